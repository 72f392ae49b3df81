"""Reading chat JSONL: every line checked, every problem located by file, line and field."""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..example import Example
from ._record import SHAPE, Locate, check_record
from ._text import WIDE_BOMS, encoding_of
from ._tokens import count_tokens


def load_jsonl(path: str | Path, *, tokenizer: Any = None, max_tokens: int | None = None, name: str = "data set") -> list[Example]:
    """Read a chat JSONL file; raise InputError listing every problem in it."""
    examples, problems = read_jsonl(path, tokenizer=tokenizer, max_tokens=max_tokens, name=name)
    if problems:
        raise InputError(problems, title=f"Invalid {name} {path}")
    return examples


def validate_jsonl(path: str | Path, tokenizer: Any = None, max_tokens: int | None = None) -> list[Problem]:
    """Every problem in a chat JSONL file (empty when it is fine)."""
    return read_jsonl(path, tokenizer=tokenizer, max_tokens=max_tokens)[1]


UNLABELED = "?"
"""The answer an input-only line gets until a teacher writes one (`inputs=True`)."""


def read_jsonl(
    path: str | Path,
    *,
    tokenizer: Any = None,
    max_tokens: int | None = None,
    name: str = "data set",
    inputs: bool = False,
    duplicates: bool = True,
) -> tuple[list[Example], list[Problem]]:
    """The examples that parse and every problem in the file (duplicates among them); blank lines are skipped.

    `inputs`: the lines end with the user turn (nothing answered yet); each example gets `UNLABELED` as its answer.
    `duplicates=False`: repeated conversations and ids are not problems (for a caller that removes repeats)."""
    path = Path(path)
    if not path.is_file():
        return [], [Problem(f"{name} file not found", fix="check the path", file=path)]
    examples: list[Example] = []
    problems: list[Problem] = []
    rows = 0
    data = path.read_bytes()
    if data.startswith(WIDE_BOMS):  # UTF-16/32: every line would fail alone; say it once
        return [], [Problem(f"not UTF-8 text: {encoding_of(data)}", fix="save the file as UTF-8", file=path, line=1)]
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        if not raw.strip():
            continue
        rows += 1
        record, found = _parse_line(raw, path, number, inputs)
        problems += found
        if record is not None:
            examples.append(Example.model_validate({**record, "line": number}))
    if rows == 0:
        problems.append(Problem(f"{name} has 0 rows", fix=f"add examples: {SHAPE}", file=path))
    problems += _duplicates(examples, path) if duplicates else []
    if tokenizer is not None and max_tokens:
        problems += _too_long(examples, tokenizer, max_tokens, path)
    return examples, sorted(problems, key=lambda p: p.line or 0)


def _parse_line(raw: bytes, path: Path, number: int, inputs: bool = False) -> tuple[dict | None, list[Problem]]:
    """The record on one line when it is valid, and the problems found on it."""

    def at(message: str, fix: str, field: str | None = None) -> Problem:
        return Problem(message, fix=fix, file=path, line=number, field=field)

    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [at("not UTF-8 text", fix="save the file as UTF-8")]
    except json.JSONDecodeError as exc:
        return None, [at(f"not valid JSON: {exc.msg} (column {exc.colno})", fix=f"check quotes, commas and brackets; {SHAPE}")]
    except RecursionError:
        return None, [at("the JSON nests too deeply to read", fix=SHAPE)]
    if _has_lone_surrogate(raw):
        return None, [
            at(
                "the line holds a lone surrogate escape (\\ud800-\\udfff), which is not a character and cannot be written back as UTF-8",
                fix="remove it, or pair it with its other half",
            )
        ]
    if inputs:
        record, problems = _as_input(record, at)
        if problems:
            return None, problems
    problems = check_record(record, at)
    return (record if not problems else None), problems


def _as_input(record: Any, at: Locate) -> tuple[Any, list[Problem]]:
    """An input-only line with the placeholder answer appended (check_record then checks it as any line)."""
    messages = record.get("messages") if isinstance(record, dict) else None
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        return record, []
    if messages[-1].get("role") == "assistant":
        last = f"messages[{len(messages) - 1}].role"
        return None, [at("an input-only line must end with the user turn", fix="drop the answer: the teacher writes it", field=last)]
    return {**record, "messages": [*messages, {"role": "assistant", "content": UNLABELED}]}, []


def _has_lone_surrogate(raw: bytes) -> bool:
    """An escaped surrogate that does not form a pair (json.loads accepts it; nothing can write it as UTF-8)."""
    if b"\\u" not in raw:
        return False
    try:
        json.dumps(json.loads(raw), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _duplicates(examples: list[Example], path: Path) -> list[Problem]:
    """Later copies of the same conversation or the same id."""
    problems: list[Problem] = []
    by_messages: dict[tuple, int | None] = {}
    by_id: dict[str, int | None] = {}
    for ex in examples:
        key = tuple((m.role, m.content) for m in ex.messages)
        if key in by_messages:
            problems.append(
                Problem(
                    f"duplicate of line {by_messages[key]}", fix="remove one of the two lines", file=path, line=ex.line, field="messages"
                )
            )
        by_messages.setdefault(key, ex.line)
        if ex.id is not None and ex.id in by_id:
            problems.append(
                Problem(
                    f"id '{ex.id}' is already used on line {by_id[ex.id]}",
                    fix="give every example its own id",
                    file=path,
                    line=ex.line,
                    field="id",
                )
            )
        if ex.id is not None:
            by_id.setdefault(ex.id, ex.line)
    return problems


def _too_long(examples: list[Example], tokenizer: Any, max_tokens: int, path: Path) -> list[Problem]:
    problems = []
    for ex in examples:
        n = count_tokens(ex.messages, tokenizer)
        if n > max_tokens:
            problems.append(
                Problem(
                    f"{n} tokens, longer than the model's context of {max_tokens}",
                    fix="shorten the example or drop it",
                    file=path,
                    line=ex.line,
                    field="messages",
                )
            )
    return problems
