"""Converting CSV, prompt/completion JSONL and Alpaca-style data to chat JSONL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..example import Example
from ._records import Row, is_csv, read_records
from ._write import check_not_input, check_writable, write_jsonl

FORMATS = ("csv", "prompt-completion", "alpaca")
INPUT_COLUMNS = ("input", "prompt", "question", "text", "query")
OUTPUT_COLUMNS = ("output", "completion", "answer", "label", "response")


@dataclass(frozen=True)
class Columns:
    """Which record fields become which turns (csv format; the others have fixed fields)."""

    input: str | None = None
    output: str | None = None
    system: str | None = None
    """Fixed system text for every example."""
    system_col: str | None = None
    id: str | None = None


def convert(
    src: str | Path, dst: str | Path, *, fmt: str | None = None, columns: Columns = Columns(), force: bool = False
) -> list[Example]:
    """Convert a file to chat JSONL at dst (atomically); the format is detected unless fmt names it."""
    src, dst = Path(src), Path(dst)
    check_not_input(src, dst, fix="write the chat JSONL to another path")
    check_writable(dst, force=force)
    rows = read_records(src)
    if not rows:
        raise InputError(Problem("input has 0 rows", fix="add rows to convert", file=src))
    fmt = fmt or detect_format(src, rows[0][2])
    _check_header(fmt, columns, rows[0][2], src)
    examples, problems = [], []
    for row in rows:
        example, found = _convert_row(row, fmt, columns, src)
        problems += found
        if example is not None:
            examples.append(example)
    if problems:
        raise InputError(problems, title=f"Cannot convert {src}")
    write_jsonl(examples, dst, force=force)
    return examples


def detect_format(path: Path, first: dict[str, Any]) -> str:
    """csv for .csv/.tsv files, else by the first record's keys."""
    keys = set(first)
    if is_csv(path):
        return "csv"
    if "messages" in keys:
        raise InputError(Problem("already chat JSONL", fix="check it with `advisor data validate`", file=path))
    if {"prompt", "completion"} <= keys:
        return "prompt-completion"
    if {"instruction", "output"} <= keys:
        return "alpaca"
    raise InputError(
        Problem(
            f"cannot tell the format from the keys {', '.join(sorted(keys))}",
            fix="pass --from csv (with --input-col/--output-col), --from prompt-completion or --from alpaca",
            file=path,
        )
    )


def _check_header(fmt: str, columns: Columns, first: dict, src: Path) -> None:
    """A CSV column that does not exist is one problem, not one per row."""
    if fmt != "csv":
        return
    wanted = {k: v for k, v in _fields(fmt, columns, first).items() if v is not None and k != "context"}
    missing = [
        Problem(f"no column '{key}'", fix=_fix(fmt, turn, first), file=src, line=1) for turn, key in wanted.items() if key not in first
    ]
    if missing:
        raise InputError(missing, title=f"Cannot convert {src}")


def _convert_row(row: Row, fmt: str, columns: Columns, src: Path) -> tuple[Example | None, list[Problem]]:
    """One record as a chat example, or the problems (empty required cells) that keep it from being one."""
    line, prefix, record = row
    values: dict[str, str] = {}
    problems = []
    for turn, key in _fields(fmt, columns, record).items():
        if key is None:
            continue
        values[turn] = (_text(record.get(key)) or "").strip()
        required = turn in {"user", "assistant"} or key in {columns.system_col, columns.id}
        if required and not values[turn]:
            problems.append(
                Problem(
                    f"'{key}' is empty" if key in record else f"no '{key}' field",
                    fix=_fix(fmt, turn, record),
                    file=src,
                    line=line,
                    field=f"{prefix}.{key}" if prefix else key,
                )
            )
    if problems:
        return None, problems
    user = "\n\n".join(part for part in (values["user"], values.get("context")) if part)  # Alpaca: instruction, then input
    system = values.get("system") or columns.system
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": user},
        {"role": "assistant", "content": values["assistant"]},
    ]
    return Example.model_validate({"messages": messages, "id": values.get("id"), "line": line}), []


def _fields(fmt: str, columns: Columns, record: dict) -> dict[str, str | None]:
    """Turn name -> record key for one format."""
    if fmt == "prompt-completion":
        return {"user": "prompt", "assistant": "completion", "id": columns.id}
    if fmt == "alpaca":
        return {
            "user": "instruction",
            "context": "input",
            "assistant": "output",
            "system": columns.system_col or "system",
            "id": columns.id,
        }
    if fmt != "csv":
        raise InputError(Problem(f"unknown format '{fmt}'", fix=f"use one of: {', '.join(FORMATS)}"))
    return {
        "user": columns.input or _first(INPUT_COLUMNS, record),
        "assistant": columns.output or _first(OUTPUT_COLUMNS, record),
        "system": columns.system_col,
        "id": columns.id,
    }


def _first(candidates: tuple[str, ...], record: dict) -> str:
    return next((c for c in candidates if c in record), candidates[0])


def _text(value: Any) -> str | None:
    """A cell as text: strings as they are, numbers and structures as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _fix(fmt: str, turn: str, record: dict) -> str:
    if fmt == "csv" and turn in {"user", "assistant"}:
        option = "--input-col" if turn == "user" else "--output-col"
        return f"fill it in, drop the row, or name another column with {option} (columns: {', '.join(record)})"
    return "fill it in or drop the row"
