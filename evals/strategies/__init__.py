"""Strategies (rungs): each turns an eval example into the messages sent to the model."""

from ._prompts import FewShot, Prompt, Rag, ZeroShot, recall_at_k
from ._retrieval import BM25Retriever, Chunk, DenseRetriever, Retriever, load_knowledge, make_retriever

__all__ = [
    "BM25Retriever", "Chunk", "DenseRetriever", "FewShot", "Prompt", "Rag", "Retriever", "ZeroShot",
    "load_knowledge", "make_retriever", "recall_at_k",
]
