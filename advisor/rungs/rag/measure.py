"""The RAG rung's own numbers: retrieval recall@k/MRR, grounding and citation metrics, and why items failed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.record.rag import MISSED, WRONG, FailedItem, Passage, RagDetails
from advisor.record.run import MetricValue
from evals.example import Example
from evals.stats import Interval, wilson
from evals.strategies import FORMS, Chunk, Grounding, Prompt, Rag, RetrievalCurve, SourceIndex, ground, retrieval_curve

if TYPE_CHECKING:
    import pandas as pd

SHOWN_FAILURES = 6
PASSAGE_CHARS = 600

Graded = tuple[Example, Prompt, Any, Grounding]
"""An item, its prompt, its first row (a row of `DataFrame.itertuples()`) and the grounding of its answer."""


@dataclass
class RagOutcome:
    metrics: dict[str, MetricValue] = field(default_factory=dict)
    details: RagDetails | None = None
    cited: dict[str, list[str]] = field(default_factory=dict)
    """Per item id: the ids its (first) answer cited."""


def rag_outcome(
    strategy: Rag, retriever_name: str, examples: list[Example], prompts: list[Prompt], rows: pd.DataFrame, confidence: float
) -> RagOutcome:
    """Grade every first-repeat row's grounding and summarise it, with the retrieval curve of the same questions."""
    from evals.graders import rate

    chunks = {c.id: c for c in strategy.retriever.chunks}
    index = SourceIndex(list(chunks.values()))
    first = rows[rows["repeat"] == 0] if "repeat" in rows else rows
    by_id = {r.id: r for r in first.itertuples()}
    out, grades = RagOutcome(), list[Graded]()
    for example, prompt in zip(examples, prompts):
        row = by_id.get(example.key)
        if row is None:
            continue
        shown = [chunks[h["id"]] for h in prompt.context["retrieved"]]
        gold = index.gold(example)
        g = ground(row.output or "", "\n".join(c.text for c in shown), [c.source for c in shown], gold, index)
        out.cited[example.key] = g.cited
        grades.append((example, prompt, row, g))
    out.metrics = _metrics(grades, strategy.cite, confidence, rate)
    curve = retrieval_curve(strategy.retriever, examples, index)
    out.details = RagDetails(
        retriever=retriever_name, top_k=strategy.top_k, warnings=_source_warnings(curve), curve=curve if curve.with_source else None
    )
    _failures(out.details, grades, chunks)
    return out


def _metrics(
    grades: list[Graded], cite: bool, confidence: float, rate: Callable[[Sequence[float], float], Interval]
) -> dict[str, MetricValue]:
    metrics = {"grounded": wilson(sum(g.grounded for *_, g in grades), len(grades), confidence)}
    sourced = [g for *_, g in grades if g.retrieval_hit is not None]
    if sourced:
        metrics["recall_at_k"] = wilson(sum(bool(g.retrieval_hit) for g in sourced), len(sourced), confidence)
        if cite:  # an answer with a source to check has both citation scores (`ground` sets them with retrieval_hit)
            metrics["citation_precision"] = rate([g.citation_precision or 0.0 for g in sourced], confidence)
            metrics["citation_recall"] = rate([g.citation_recall or 0.0 for g in sourced], confidence)
    return {k: MetricValue.model_validate(v.as_dict()) for k, v in metrics.items()}


def _source_warnings(curve: RetrievalCurve) -> list[str]:
    if not curve.unmatched:
        return []
    if curve.unmatched == curve.with_source:
        return [
            (
                f"RAG: no eval meta.source matches a knowledge document (tried {FORMS}), so retrieval recall and "
                "citations are not measured: this is a data problem, not a retrieval score. Fix meta.source."
            )
        ]
    return [
        (
            f"RAG: {curve.unmatched} of {curve.with_source} eval meta.source values match no knowledge document; "
            "those items are left out of recall and citation scores."
        )
    ]


def _failures(details: RagDetails, grades: list[Graded], chunks: dict[str, Chunk]) -> None:
    """Count wrong answers by cause and keep a handful to show, retrieval misses first."""
    failed = []
    for example, prompt, row, g in grades:
        if isinstance(row.error, str) or float(row.score) >= 1.0:  # a backend failure is not RAG's
            continue
        why = "no source to check" if g.retrieval_hit is None else WRONG if g.retrieval_hit else MISSED
        details.missed_retrieval += why == MISSED
        details.answered_wrong += why == WRONG
        passages = [Passage(id=h["id"], score=h["score"], text=chunks[h["id"]].text[:PASSAGE_CHARS]) for h in prompt.context["retrieved"]]
        failed.append(
            FailedItem(
                id=example.key, question=example.user_text, retrieved=passages, answer=row.output or "", expected=example.expected, why=why
            )
        )
    order = {MISSED: 0, WRONG: 1}
    details.failed = sorted(failed, key=lambda f: order.get(f.why, 2))[:SHOWN_FAILURES]
