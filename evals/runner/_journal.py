"""The run's journal: an append-only JSONL of finished rows, so a killed run resumes where it stopped."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TextIO

from ..secrets import redact

VERSION = 1
FILENAME = "journal.jsonl"


class Journal:
    """`journal.jsonl` in a run folder: one line per finished row, flushed per row, fsync'd in batches.

    Each line holds the row and the hash of the request that produced it, so a row is reused only
    for the same backend, messages and params. A torn last line (the process killed mid-write) is
    cut off when the journal is opened.
    """

    def __init__(self, path: str | Path, *, fsync_every_s: float = 0.5):
        self.path = Path(path)
        self.fsync_every_s = fsync_every_s
        self.torn = 0  # lines dropped on open because they were cut short
        self._entries: dict[tuple[str, str, int], tuple[str, dict]] = {}
        self._file: TextIO | None = None
        self._synced_at = time.monotonic()
        if self.path.exists():
            self._load()

    @classmethod
    def in_folder(cls, folder: str | Path, **options: float) -> Journal:
        """The journal of the run kept in `folder`."""
        return cls(Path(folder) / FILENAME, **options)

    def finished(self, rung: str) -> dict[tuple[str, int], tuple[str, dict]]:
        """(id, repeat) -> (request key, row) for every row of `rung` already done."""
        return {(id_, repeat): entry for (r, id_, repeat), entry in self._entries.items() if r == rung}

    def append(self, row: dict, request: str) -> None:
        """Record one finished row; it reaches the OS now and the disk within `fsync_every_s`."""
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115  # kept open across appends; close() closes it
        line = redact(json.dumps({"v": VERSION, "request": request, "row": row}, ensure_ascii=False, default=str))
        self._file.write(line + "\n")
        self._file.flush()
        self._entries[(row["rung"], row["id"], row["repeat"])] = (request, row)
        if time.monotonic() - self._synced_at >= self.fsync_every_s:
            self.sync()

    def sync(self) -> None:
        """Force what was written onto the disk."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
        self._synced_at = time.monotonic()

    def close(self) -> None:
        if self._file is not None:
            self.sync()
            self._file.close()
            self._file = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _load(self) -> None:
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):
            # Cut the torn tail, or the next append would glue a good line onto it.
            with open(self.path, "r+b") as handle:
                handle.truncate(end)
            self.torn += 1
        for raw in data[:end].splitlines():
            try:
                entry = json.loads(raw)
                row = entry["row"]
                self._entries[(row["rung"], row["id"], row["repeat"])] = (entry["request"], row)
            except (ValueError, KeyError, TypeError):
                self.torn += 1
