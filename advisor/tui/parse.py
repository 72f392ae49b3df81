"""Reading the interview's typed answers: numbers, paths, and which question a schema error belongs to."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from advisor.scenario.metrics import TARGET_METRICS
from evals.errors import Problem

PATH_KEYS = ("train", "eval", "knowledge")
N = TypeVar("N", int, float)


def number(text: Any, kind: type[N], key: str, errors: dict[str, str], low: float | None = None, rate: bool = False) -> N | None:
    """A number typed in a box ('90%' reads as 0.9 for rates); blank is None; a bad one is noted in errors."""
    text = str(text).strip().replace(",", "").replace("_", "")
    if not text:
        return None
    try:
        value = kind(float(text[:-1]) / 100) if rate and text.endswith("%") else kind(text)
    except ValueError:
        errors[key] = "enter a whole number" if kind is int else "enter a number"
        return None
    if low is not None and value < low:
        errors[key] = f"must be at least {low:g}"
        return None
    return value


def path_errors(values: dict, cwd: Path) -> dict[str, str]:
    """Missing files and folders, found before anything reads them."""
    errors = {}
    if not values["eval"].strip():
        errors["eval"] = "an eval set is needed: chat JSONL whose last assistant turn is the expected answer"
    for key in PATH_KEYS:
        text = values[key].strip()
        if text and not (cwd / Path(text).expanduser()).exists():
            errors[key] = f"{text} not found"
    if values["grader"] == "json" and values["schema"].strip() and not (cwd / values["schema"].strip()).is_file():
        errors["schema"] = f"{values['schema'].strip()} not found"
    return errors


def message(err: Any) -> str:
    """A schema error in the interview's words."""
    if err["type"] == "string_pattern_mismatch" and not err.get("input"):
        return "a name is needed, e.g. support-tickets"
    if err["type"] == "string_pattern_mismatch":
        return "use only letters, digits, '-', '_' and '.' (e.g. support-tickets)"
    return err["msg"].removeprefix("Value error, ")


def question_of(err: Any, targets: list[dict]) -> str:
    """The question a schema error belongs to."""
    loc, message = err["loc"], err["msg"]
    if loc and loc[0] == "targets" and len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(targets):
        return f"target.{targets[loc[1]]['metric']}"
    if loc and loc[0] == "targets":
        return "targets"
    if loc and loc[0] in ("profile", "data"):
        return str(loc[1]) if len(loc) > 1 else str(loc[0])
    if loc and loc[0] == "task":
        return {"kind": "task_kind", "system_prompt": "system_prompt"}.get(str(loc[-1]), "labels")
    if loc and loc[0] == "grader":
        return {"pattern": "pattern", "schema": "schema", "schema_": "schema"}.get(str(loc[-1]), "grader")
    if loc:
        return str(loc[0])
    metric = next((m for m in TARGET_METRICS if f"'{m}'" in message), None)
    return f"target.{metric}" if metric else "grader"


def as_text(value: Any) -> Any:
    """A profile value as its control holds it: flags and lists as they are, numbers as text."""
    if isinstance(value, (bool, list, str)):
        return value
    return "" if value is None else str(value) if isinstance(value, int) else f"{value:g}"


def problem_key(problem: Problem, paths: dict[str, Path | None]) -> str | None:
    """The question a data problem belongs to: by its field (data.eval) or by the file it names."""
    if problem.field and problem.field.startswith("data."):
        return problem.field.removeprefix("data.")
    if problem.field and problem.field.startswith("grader.schema"):
        return "schema"
    if problem.file is not None:
        named = Path(problem.file).resolve()
        for key, path in paths.items():
            if path is not None and Path(path).resolve() == named:
                return key
    return None
