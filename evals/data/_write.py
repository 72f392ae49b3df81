"""Writing chat JSONL atomically, never over a user's file without --force."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..errors import InputError, Problem
from ..example import Example


def example_to_dict(example: Example) -> dict:
    """The JSONL record of an example: messages, then id and meta when set."""
    record: dict = {"messages": [m.model_dump() for m in example.messages]}
    if example.id is not None:
        record["id"] = example.id
    if example.meta:
        record["meta"] = example.meta
    return record


def check_writable(*paths: str | Path, force: bool = False) -> None:
    """Refuse, naming every file, when an output exists and force is off."""
    taken = [Path(p) for p in paths if Path(p).exists()]
    if taken and not force:
        raise InputError([Problem("file exists and would be overwritten", fix="choose another output path or pass --force", file=p)
                          for p in taken], title="Output exists")


def write_jsonl(examples: list[Example], path: str | Path, *, force: bool = False) -> Path:
    """Write examples one per line (UTF-8, key order kept) through a temp file and a rename."""
    check_writable(path, force=force)
    text = "".join(json.dumps(example_to_dict(ex), ensure_ascii=False) + "\n" for ex in examples)
    return write_atomic(Path(path), text)


def write_atomic(path: Path, text: str) -> Path:
    """Replace path with text in one rename, so an interruption leaves the old file or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
