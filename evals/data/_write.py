"""Writing chat JSONL atomically, never over a user's file without --force."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..errors import InputError, Problem
from ..example import Example
from ..secrets import redact


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
        raise InputError(
            [Problem("file exists and would be overwritten", fix="choose another output path or pass --force", file=p) for p in taken],
            title="Output exists",
        )


def check_not_input(src: str | Path, dst: str | Path, *, fix: str) -> None:
    """Refuse, even with --force, an output that is the input file itself (by another name or a link too)."""
    src, dst = Path(src), Path(dst)
    if dst.exists() and src.exists() and os.path.samefile(src, dst):
        raise InputError(Problem("the output would replace the input", fix=fix, file=dst))


def write_jsonl(examples: list[Example], path: str | Path, *, force: bool = False) -> Path:
    """Write examples one per line (UTF-8, key order kept) through a temp file and a rename."""
    check_writable(path, force=force)
    text = "".join(json.dumps(example_to_dict(ex), ensure_ascii=False) + "\n" for ex in examples)
    return write_atomic(Path(path), text)


def write_atomic(path: str | Path, text: str) -> Path:
    """Replace path with text in one rename, so an interruption leaves the old file or none.

    Every file the project writes goes through here: the text is scrubbed of API keys (see
    `evals.secrets`), and a path that cannot be written is an InputError naming it.
    """
    path = Path(path)
    text = redact(text)
    temp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        raise InputError(
            Problem(
                f"cannot write {path}: {exc.strerror or exc}",
                file=path,
                fix="choose a writable file path (not a folder, not a system path)",
            )
        ) from None
    except UnicodeEncodeError as exc:
        raise InputError(
            Problem(
                f"cannot write {path}: the text holds a character UTF-8 cannot encode ({exc.reason})",
                file=path,
                fix="remove lone surrogates (\\ud800-\\udfff) from the data",
            )
        ) from None
    finally:
        if temp is not None and Path(temp).exists():
            Path(temp).unlink(missing_ok=True)
    return path


def write_json(path: str | Path, value: object, *, indent: int | None = 1) -> Path:
    """`value` as JSON, atomically (see `write_atomic`)."""
    return write_atomic(path, json.dumps(value, indent=indent, ensure_ascii=False, default=str))


def read_saved(path: str | Path) -> dict | None:
    """A JSON object this project saved earlier, or None when it is missing or torn (the caller redoes the work)."""
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None
