"""Retrieval quality without a model call: recall@k and MRR@k for k = 1..10 against `meta.source`."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..example import Example
from ._retrieval import Retriever, prepare
from ._sources import SourceIndex

MAX_K = 10


class RetrievalCurve(BaseModel):
    """recall[k-1]: share of questions whose source document is in the top k chunks; mrr[k-1]: mean 1/rank within k."""

    recall: list[float] = Field(default_factory=list)
    mrr: list[float] = Field(default_factory=list)
    n: int = 0
    """Questions scored: those whose meta.source matches a knowledge document."""
    with_source: int = 0
    """Questions with a meta.source at all."""
    unmatched: int = 0
    """Questions whose meta.source matches no document (a data problem, not a retrieval miss)."""

    def recall_at(self, k: int) -> float | None:
        return self.recall[min(k, len(self.recall)) - 1] if self.recall else None


def first_rank(retriever: Retriever, example: Example, gold: set[str], max_k: int = MAX_K) -> int | None:
    """Rank (1-based) of the first chunk from a gold document in the top max_k, else None."""
    for rank, hit in enumerate(retriever.hits(example.user_text, max_k), 1):
        if hit.chunk.source in gold:
            return rank
    return None


def retrieval_curve(retriever: Retriever, examples: list[Example], index: SourceIndex, max_k: int = MAX_K) -> RetrievalCurve:
    """recall@k and MRR@k for k = 1..max_k over the examples whose source names a document."""
    golds = [index.gold(ex) for ex in examples]
    given = [(ex, g) for ex, g in zip(examples, golds) if g is not None]
    scored = [(ex, g) for ex, g in given if g]
    curve = RetrievalCurve(n=len(scored), with_source=len(given), unmatched=len(given) - len(scored))
    if not scored:
        return curve
    prepare(retriever, [ex.user_text for ex, _ in scored])
    ranks = [first_rank(retriever, ex, g, max_k) for ex, g in scored]
    for k in range(1, max_k + 1):
        curve.recall.append(sum(r is not None and r <= k for r in ranks) / len(ranks))
        curve.mrr.append(sum(1 / r for r in ranks if r is not None and r <= k) / len(ranks))
    return curve
