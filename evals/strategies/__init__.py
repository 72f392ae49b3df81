"""Strategies (rungs): each turns an eval example into the messages sent to the model."""

from ._curve import MAX_K, RetrievalCurve, retrieval_curve
from ._grounding import Grounding, citations, grade_answer_only, ground, is_grounded, strip_citations
from ._knowledge import KNOWLEDGE_SUFFIXES, Chunk, chunk_text, knowledge_problems, load_knowledge
from ._prompts import FewShot, Prompt, Rag, ZeroShot
from ._retrieval import (
    RETRIEVERS,
    BM25Retriever,
    DenseRetriever,
    Hit,
    HybridRetriever,
    Retriever,
    RetrieverKind,
    folder_retriever,
    fuse,
    make_retriever,
    prepare,
    search,
)
from ._sources import FORMS, SourceIndex

__all__ = [
    "FORMS",
    "KNOWLEDGE_SUFFIXES",
    "MAX_K",
    "RETRIEVERS",
    "BM25Retriever",
    "Chunk",
    "DenseRetriever",
    "FewShot",
    "Grounding",
    "Hit",
    "HybridRetriever",
    "Prompt",
    "Rag",
    "RetrievalCurve",
    "Retriever",
    "RetrieverKind",
    "SourceIndex",
    "ZeroShot",
    "chunk_text",
    "citations",
    "fuse",
    "grade_answer_only",
    "ground",
    "is_grounded",
    "knowledge_problems",
    "load_knowledge",
    "folder_retriever",
    "make_retriever",
    "prepare",
    "retrieval_curve",
    "search",
    "strip_citations",
]
