"""Our graders as lm-eval's `process_results`: the grading spec that travels with a task, and the hook built from it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import InputError, Problem
from ..example import Example

METRICS = ("accuracy", "format_valid")
"""What every exported generation task reports, both averaged over items."""


@dataclass(frozen=True)
class Grading:
    """How a task's outputs are graded: a grader kind of `evals.graders` and its options, all JSON-ready.

    `schema` may be given as a path; `grading_of` reads it, so an exported task does not depend on the file.
    """

    kind: str = "normalized"
    labels: tuple[str, ...] | None = None
    schema: dict | None = None
    fields: tuple[str, ...] | None = None
    pattern: str | None = None

    def as_dict(self) -> dict:
        """Only the options that are set, as plain JSON values."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items() if v is not None}


def grading_of(
    kind: str = "normalized",
    *,
    labels: Sequence[str] | None = None,
    schema: dict | str | Path | None = None,
    fields: Sequence[str] | None = None,
    pattern: str | None = None,
) -> Grading:
    """A Grading checked by building its grader once (an unknown kind or a missing option is an InputError)."""
    if kind == "judge":
        fix = "use the harness (`advisor run`) for judge-graded sets; lm-eval tasks take a pure grader"
        raise InputError(Problem("the judge grader cannot run inside lm-eval", fix=fix, field="grader.kind"))
    if schema is not None and not isinstance(schema, dict):
        schema = _read_schema(Path(schema))
    spec = Grading(kind, _tuple(labels), schema, _tuple(fields), pattern)
    build(spec)
    return spec


def _read_schema(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fix = "point grader.schema at a JSON Schema file"
        raise InputError(Problem(f"cannot read the JSON Schema: {exc}", fix=fix, file=path)) from exc


def _tuple(values: Sequence[str] | None) -> tuple[str, ...] | None:
    return tuple(values) if values is not None else None


def build(spec: Grading | dict) -> Callable:
    """The grader a spec names, from `evals.graders.make_grader`."""
    from ..graders import make_grader

    options = spec.as_dict() if isinstance(spec, Grading) else dict(spec)
    return make_grader(options.pop("kind"), **options)


def process_results_for(spec: Grading | dict) -> Callable[[dict, list], dict]:
    """lm-eval's `process_results(doc, results)`: our grader's score and format validity for one item."""
    grader = build(spec)

    def process_results(doc: dict, results: list) -> dict:
        example = Example.model_validate(json.loads(doc["example"]))
        score = grader(results[0], example)
        return {"accuracy": float(score.value), "format_valid": float(score.format_valid)}

    return process_results
