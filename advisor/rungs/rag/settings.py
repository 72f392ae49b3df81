"""The RAG rung's settings: how the knowledge is chunked and retrieved, and how answers cite it."""

from __future__ import annotations

from pydantic import Field, model_validator

from advisor.scenario.schema import Strict
from evals.strategies import RetrieverKind


class RagSettings(Strict):
    top_k: int = Field(default=3, ge=1, le=50)
    """How many knowledge chunks go in the prompt."""
    retriever: RetrieverKind = "hybrid"
    """hybrid: BM25 and dense (all-MiniLM-L6-v2, installed with advisor) fused by reciprocal rank; bm25 needs no model."""
    chunk_tokens: int = Field(default=256, ge=16)
    """Chunk length in tokens (whitespace-separated words)."""
    chunk_overlap: int = Field(default=32, ge=0)
    """Tokens that consecutive chunks of a document share."""
    cite: bool = True
    """Ask for the source id in brackets after the answer, and score citation_precision / citation_recall."""
    extract: bool = False
    """qa, local model: constrain each answer to words copied from one retrieved passage, under that passage's
    `[id]` when `cite` is on (extractive QA; every answer grounded and cited). Off by default: on SQuADShifts train
    questions the embedded model answered fewer right so than freely (README, "Retrieval")."""

    @model_validator(mode="after")
    def _overlap_below_size(self) -> RagSettings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError("'chunk_overlap' must be smaller than 'chunk_tokens'")
        return self
