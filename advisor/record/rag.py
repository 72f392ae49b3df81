"""What the record keeps of a RAG rung beyond its metrics: the retrieval curve and why items failed."""

from __future__ import annotations

from pydantic import BaseModel, Field

from evals.strategies import RetrievalCurve

MISSED = "retrieval missed the source"
WRONG = "retrieved but answered wrong"


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
