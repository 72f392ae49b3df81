"""Free-text graders: exact, normalized (SQuAD), contains (whole words), and regex."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable

from ..errors import InputError, Problem
from ..example import Example
from ._score import Grader, Score

_ARTICLES = re.compile(r"\b(a|an|the)\b")


def _is_punctuation(char: str) -> bool:
    return char in string.punctuation or unicodedata.category(char).startswith("P")


def normalize(text: str) -> str:
    """SQuAD's normalize_answer: lowercase, drop punctuation (Unicode too), drop articles, collapse spaces."""
    text = "".join(c for c in text.lower() if not _is_punctuation(c))
    return " ".join(_ARTICLES.sub(" ", text).split())


def _first(example: Example, accept: Callable[[str], bool]) -> Score | None:
    """Score 1 with the first accepted answer, or None when no answer is accepted."""
    for answer in example.answers:
        if accept(answer):
            return Score(1.0, True, {"matched": answer})
    return None


def exact(output: str, example: Example) -> Score:
    """1 when the stripped output equals a stripped answer; an empty output is an invalid format."""
    hit = _first(example, lambda answer: output.strip() == answer.strip())
    return hit or Score(0.0, bool(output.strip()))


def normalized(output: str, example: Example) -> Score:
    """1 when the output equals an answer after SQuAD normalization."""
    said = normalize(output)
    hit = _first(example, lambda answer: said == normalize(answer))
    return hit or Score(0.0, bool(output.strip()))


def contains(output: str, example: Example) -> Score:
    """1 when a normalized answer appears in the normalized output as whole words ("4" is not in "42")."""
    said = f" {normalize(output)} "

    def found(answer: str) -> bool:
        wanted = normalize(answer)
        # An answer that normalizes away ("The.") must not match everything.
        return f" {wanted} " in said if wanted else said.strip() == ""

    return _first(example, found) or Score(0.0, bool(output.strip()))


def regex_grader(pattern: str) -> Grader:
    """1 (and a valid format) iff the stripped output fully matches `pattern`; the answers are not used."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        problem = Problem(f"the regex pattern does not compile: {exc}", fix="fix the pattern", field="grader.pattern")
        raise InputError(problem) from exc

    def regex(output: str, example: Example) -> Score:
        match = compiled.fullmatch(output.strip())
        details = {"groups": match.groupdict()} if match else {}
        return Score(float(match is not None), match is not None, details)

    return regex
