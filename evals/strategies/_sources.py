"""Which knowledge document an eval line's `meta.source` (or a citation) names.

A document answers to its path relative to the knowledge folder (`sub/doc.txt`), that path without its
suffix (`sub/doc`), its file name with or without suffix when no other document shares it (`doc.txt`,
`doc`), and, for a JSONL document, its `id`. A chunk id (`doc#2`) names its document.
"""

from __future__ import annotations

from collections import defaultdict

from ..example import Example
from ._knowledge import Chunk

FORMS = (
    "the path relative to the knowledge folder, that path without its suffix, the file name with or without suffix, a JSONL document's id"
)


class SourceIndex:
    """Every name a document answers to, mapped to the document (its `Chunk.source`)."""

    def __init__(self, chunks: list[Chunk]):
        names: dict[str, set[str]] = defaultdict(set)
        for chunk in chunks:
            for name in _names(chunk):
                names[name].add(chunk.source)
        # A bare file name shared by two documents names neither.
        self._names = {name: next(iter(docs)) for name, docs in names.items() if len(docs) == 1}
        self.documents = {c.source for c in chunks}

    def resolve(self, name: str) -> str | None:
        """The document a name (source, file name, doc id or chunk id) stands for, or None."""
        name = name.strip().removeprefix("./")
        return self._names.get(name) or self._names.get(name.rsplit("#", 1)[0])

    def gold(self, example: Example) -> set[str] | None:
        """The documents of the example's `meta.source` (a string or a list); None when it names none."""
        source = example.meta.get("source")
        if source is None:
            return None
        wanted = source if isinstance(source, list) else [source]
        return {doc for doc in (self.resolve(str(s)) for s in wanted) if doc is not None}


def _names(chunk: Chunk) -> list[str]:
    names = [chunk.source, chunk.doc]
    file_name = chunk.source.rsplit("/", 1)[-1]
    return names + [file_name, file_name.rsplit(".", 1)[0]] if "/" in chunk.source else names
