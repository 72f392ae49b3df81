"""What the record keeps of a RAG rung beyond its metrics: the retrieval curve and why items failed."""

from __future__ import annotations

from pydantic import BaseModel, Field

MISSED = "retrieval missed the source"
WRONG = "retrieved but answered wrong"


class RetrievalCurve(BaseModel):
    """recall[k-1] and mrr[k-1] for k = 1..10, measured without a model call."""

    recall: list[float] = Field(default_factory=list)
    mrr: list[float] = Field(default_factory=list)
    n: int = 0
    """Questions scored: those whose meta.source matches a knowledge document."""
    with_source: int = 0
    """Questions that carry a meta.source."""
    unmatched: int = 0
    """Questions whose meta.source matches no knowledge document."""


class Passage(BaseModel):
    id: str
    score: float
    text: str


class FailedItem(BaseModel):
    """A wrong answer, with what the model was shown."""

    id: str
    question: str
    retrieved: list[Passage]
    answer: str
    expected: str
    why: str
    """MISSED, WRONG, or "no source to check" when the item names none."""


class RagDetails(BaseModel):
    retriever: str
    top_k: int
    curve: RetrievalCurve | None = None
    missed_retrieval: int = 0
    """Wrong answers whose source document was not among the retrieved chunks."""
    answered_wrong: int = 0
    """Wrong answers whose source document was retrieved."""
    failed: list[FailedItem] = Field(default_factory=list)
    """A handful of failed items, retrieval misses first."""
    warnings: list[str] = Field(default_factory=list)
    """Data problems found while measuring, e.g. sources that match no document."""
