"""Grounding of a RAG answer, without a judge: what it cited, and whether it is in the retrieved context.

Citations are written `[doc-id]` (several: `[a][b]` or `[a, b]`). `grounded` asks whether the answer,
its citations removed and SQuAD-normalized, appears as whole words in the normalized retrieved text;
"unknown" (the answer the prompt asks for when the context lacks one) claims nothing, so it counts as
grounded. citation_precision and citation_recall compare the cited documents with the gold `meta.source`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..text import normalize_answer
from ._sources import SourceIndex

if TYPE_CHECKING:  # the graders package imports numpy: only when a run grades
    from ..example import Example
    from ..graders import Grader, Score

_CITATION = re.compile(r"\[([^\[\]\n]{1,200})\]")
UNKNOWN = "unknown"


def citations(output: str) -> list[str]:
    """The ids cited in an output, in order, each once."""
    found = [part.strip() for group in _CITATION.findall(output) for part in group.split(",")]
    return list(dict.fromkeys(f for f in found if f))


def strip_citations(output: str) -> str:
    """The answer without its bracketed citations."""
    return " ".join(_CITATION.sub(" ", output).split())


def _words(text: str) -> str:
    return " ".join(normalize_answer(text).split())


def is_grounded(answer: str, context: str) -> bool:
    """The answer (citations removed) appears in the context, as whole normalized words; 'unknown' claims nothing."""
    said = _words(strip_citations(answer))
    if said == UNKNOWN:
        return True
    return bool(said) and f" {said} " in f" {_words(context)} "


@dataclass(frozen=True)
class Grounding:
    """One RAG answer's grounding; the citation scores are None when the example names no source document."""

    cited: list[str]
    grounded: bool
    retrieval_hit: bool | None
    citation_precision: float | None
    citation_recall: float | None


def ground(output: str, context: str, retrieved_docs: list[str], gold: set[str] | None, index: SourceIndex) -> Grounding:
    """Grade one answer's grounding against its retrieved context and the gold source documents."""
    cited = citations(output)
    grounded = is_grounded(output, context)
    if not gold:
        return Grounding(cited, grounded, None, None, None)
    cited_docs = {d for d in (index.resolve(c) for c in cited) if d is not None}
    right = len(cited_docs & gold)
    precision = right / len(cited) if cited else 0.0
    return Grounding(cited, grounded, bool(gold & set(retrieved_docs)), precision, right / len(gold))


def grade_answer_only(grader: Grader) -> Grader:
    """A grader that sees the answer without its citations (so `exact` can match "6.8 kg [faq]")."""

    def graded(output: str, example: Example) -> Score | Awaitable[Score]:
        return grader(strip_citations(output), example)

    return graded
