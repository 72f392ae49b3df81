"""Reading the rows of a CSV, JSON array or JSONL file as (location, record) pairs for conversion."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ._text import read_text

Row = tuple[int | None, str | None, dict[str, Any]]
"""(1-based line, field prefix such as '[3]' for a JSON array item, record)."""
CSV_CELL_LIMIT = 64 * 1024 * 1024
"""The longest CSV cell read, in characters: room for any chat example, where the csv module's own 131,072 is not."""


def read_records(path: Path) -> list[Row]:
    """Every row of a .csv/.tsv, .json (array) or JSON-lines file; InputError lists unreadable ones."""
    if not path.is_file():
        raise InputError(Problem("input file not found", fix="check the path", file=path))
    text = read_text(path)
    if path.suffix.lower() in {".csv", ".tsv"}:
        return _csv_rows(text, "\t" if path.suffix.lower() == ".tsv" else ",", path)
    if text.lstrip().startswith("["):
        return _array_rows(text, path)
    return _jsonl_rows(text, path)


def is_csv(path: Path) -> bool:
    return path.suffix.lower() in {".csv", ".tsv"}


def _csv_rows(text: str, delimiter: str, path: Path) -> list[Row]:
    reader = csv.DictReader(text.splitlines(keepends=True), delimiter=delimiter)
    rows: list[Row] = []
    # The csv module's limit holds for every reader in the process: lift it while this one reads, and check CSV_CELL_LIMIT here.
    module_limit = csv.field_size_limit(sys.maxsize)
    try:
        header = reader.fieldnames or []
        problems = _long_cells(path, reader.line_num, {f"column {i + 1}": name for i, name in enumerate(header)})
        if problems:  # a row's cells would be named by these
            raise InputError(problems, title=f"Cannot convert {path}")
        for record in reader:
            # line_num is the last physical line of the row: the row's line unless a cell spans lines.
            cells = {k: v for k, v in record.items() if k is not None}
            problems += _long_cells(path, reader.line_num, cells)
            rows.append((reader.line_num, None, cells))
    except csv.Error as exc:
        raise InputError(
            Problem(f"not readable as CSV: {exc}", fix="check the quotes on that line", file=path, line=reader.line_num)
        ) from None
    finally:
        csv.field_size_limit(module_limit)
    if problems:
        raise InputError(problems, title=f"Cannot convert {path}")
    return rows


def _long_cells(path: Path, line: int, cells: dict[str, str | None]) -> list[Problem]:
    """The cells of one row longer than CSV_CELL_LIMIT, by column."""
    return [
        Problem(
            f"a cell of {len(value):,} characters, longer than the {CSV_CELL_LIMIT:,} a cell may hold",
            fix="shorten it or drop the row; if the rows after it are missing, a quote opened in it is never closed",
            file=path,
            line=line,
            field=column if len(column) <= 100 else column[:100] + "…",
        )
        for column, value in cells.items()
        if value is not None and len(value) > CSV_CELL_LIMIT
    ]


def _array_rows(text: str, path: Path) -> list[Row]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            Problem(f"not valid JSON: {exc.msg}", fix="check quotes, commas and brackets", file=path, line=exc.lineno)
        ) from None
    except RecursionError:
        raise InputError(Problem("the JSON nests too deeply to read", fix="an item is a flat object of fields", file=path)) from None
    bad = [
        Problem("an item must be a JSON object", fix="make each item an object with the fields to convert", file=path, field=f"[{i}]")
        for i, item in enumerate(data)
        if not isinstance(item, dict)
    ]
    if bad:
        raise InputError(bad, title=f"Cannot convert {path}")
    return [(None, f"[{i}]", item) for i, item in enumerate(data)]


def _jsonl_rows(text: str, path: Path) -> list[Row]:
    rows: list[Row] = []
    problems: list[Problem] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(
                Problem(f"not valid JSON: {exc.msg} (column {exc.colno})", fix="check quotes, commas and brackets", file=path, line=number)
            )
            continue
        except RecursionError:
            problems.append(Problem("the JSON nests too deeply to read", fix="a line is a flat object of fields", file=path, line=number))
            continue
        if not isinstance(record, dict):
            problems.append(
                Problem(
                    "a line must be a JSON object", fix="put one object with the fields to convert on each line", file=path, line=number
                )
            )
            continue
        rows.append((number, None, record))
    if problems:
        raise InputError(problems, title=f"Cannot convert {path}")
    return rows
