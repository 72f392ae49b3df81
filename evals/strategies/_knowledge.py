"""The knowledge folder as documents, cut into overlapping token windows (chunks)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..data import read_text
from ..errors import InputError, Problem
from ..kinds import KNOWLEDGE_SUFFIXES, knowledge_files

__all__ = ["KNOWLEDGE_SUFFIXES", "Chunk", "chunk_text", "knowledge_problems", "load_knowledge"]
_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True)
class Chunk:
    id: str
    """`doc#n`: the document's id and the chunk number."""
    source: str
    """The document: its path relative to the knowledge folder, or a JSONL document's `id`."""
    text: str

    @property
    def doc(self) -> str:
        """The id a passage is shown and cited by: the path without its suffix, or the JSONL id."""
        return self.id.rsplit("#", 1)[0]


def load_knowledge(folder: Path, chunk_tokens: int = 256, overlap: int = 32) -> list[Chunk]:
    """Read every .txt/.md/.jsonl document under a folder and cut it into chunks of `chunk_tokens` tokens.

    Tokens are whitespace-separated words (no tokenizer to load); consecutive chunks of one document
    share `overlap` tokens so that a fact on a boundary is whole in one of them.
    """
    files = knowledge_files(folder)
    if not files:
        raise InputError(
            Problem(
                "knowledge folder holds no .txt, .md or .jsonl documents",
                fix="add documents or remove data.knowledge",
                file=folder,
                field="data.knowledge",
            )
        )
    chunks: list[Chunk] = []
    for path in files:
        for source, doc, text in _documents(path, path.relative_to(folder).as_posix()):
            for n, piece in enumerate(chunk_text(text, chunk_tokens, overlap)):
                chunks.append(Chunk(f"{doc}#{n}", source, piece))
    return chunks


def _documents(path: Path, relative: str) -> Iterator[tuple[str, str, str]]:
    """(source, doc id, text) of each document in a file: the file itself, or each line of a JSONL file."""
    text = read_text(path, field="data.knowledge")
    if path.suffix.lower() != ".jsonl":
        yield relative, relative.rsplit(".", 1)[0], text
        return
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
            doc_id = str(doc.get("id", f"{relative}:{number}"))
            yield doc_id, doc_id, str(doc["text"])
        except (json.JSONDecodeError, KeyError, AttributeError, TypeError, RecursionError):
            raise InputError(
                Problem(
                    "a knowledge JSONL line must be an object with a 'text' field",
                    fix='write {"id": "...", "text": "..."} per line',
                    file=path,
                    line=number,
                    field="text",
                )
            ) from None


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


def chunk_text(text: str, size: int, overlap: int) -> list[str]:
    """Windows of `size` tokens, each starting `size - overlap` tokens after the last; spacing kept as written."""
    spans = [m.span() for m in _TOKEN.finditer(text)]
    if not spans:
        return []
    step = max(1, size - min(overlap, size - 1))
    pieces = []
    for start in range(0, len(spans), step):
        window = spans[start : start + size]
        pieces.append(text[window[0][0] : window[-1][1]])
        if start + size >= len(spans):
            break
    return pieces
