"""Structured output: parse JSON (rescuing it from chatter), check a JSON Schema, compare field by field."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, Problem
from ..example import Example
from ._score import Grader, Score

if TYPE_CHECKING:  # jsonschema is imported when a schema is loaded
    from jsonschema.protocols import Validator

_OPENERS: dict[type, str] = {dict: "{", list: "["}


def parse_output(text: str, kind: type = dict) -> tuple[Any, bool] | None:
    """(value, clean): the whole output as JSON (clean), else the first JSON `kind` inside it; None if neither."""
    try:
        return json.loads(text), True
    except ValueError:
        pass
    decoder, opener = json.JSONDecoder(), _OPENERS.get(kind, "{")
    start = text.find(opener)
    while start != -1:
        try:
            return decoder.raw_decode(text, start)[0], False
        except ValueError:
            start = text.find(opener, start + 1)
    return None


def same(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1, and dict key order does not matter."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if a != b:
        return False
    return type(a) is type(b) or (isinstance(a, (int, float)) and isinstance(b, (int, float)))


def load_schema(schema: dict | str | Path) -> Validator:
    """A jsonschema validator for a schema given as a dict or a .json file; a bad schema is an InputError."""
    import jsonschema

    if not isinstance(schema, dict):
        source = Path(schema)
        try:
            schema = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            fix = "point grader.schema at a JSON Schema file"
            raise InputError(Problem(f"cannot read the JSON Schema: {exc}", fix=fix, file=source)) from None
    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        problem = Problem(f"not a valid JSON Schema: {exc.message}", fix="fix the schema", field="grader.schema")
        raise InputError(problem) from exc
    return cls(schema)


def expected_value(answer: str, example: Example) -> Any:
    """An expected answer as JSON; one that does not parse is a mistake in the data."""
    try:
        return json.loads(answer)
    except ValueError as exc:
        fix = "make the final assistant turn (or meta.answers) valid JSON"
        problem = Problem(f"expected answer is not JSON: {exc}", fix=fix, line=example.line, field="messages")
        raise InputError(problem) from exc


def field_correctness(value: Any, expected: Any, fields: Sequence[str] | None) -> dict[str, bool]:
    """Per-field correctness on `fields` (else the expected object's keys); a missing field counts as null."""
    if not isinstance(expected, dict) and not fields:
        return {"$": same(value, expected)}
    got = value if isinstance(value, dict) else {}
    want = expected if isinstance(expected, dict) else {}
    return {name: same(got.get(name), want.get(name)) for name in (fields or list(want))}


def json_grader(schema: dict | str | Path | None = None, fields: Sequence[str] | None = None) -> Grader:
    """1 iff the output's JSON equals the expected JSON (on `fields` if given); chatter or schema errors void the format."""
    validator = load_schema(schema) if schema is not None else None

    def grade_json(output: str, example: Example) -> Score:
        candidates = [_score_against(output, expected_value(a, example), validator, fields) for a in example.answers]
        return max(candidates, key=lambda s: (s.value, s.details["field_score"]))

    return grade_json


def _score_against(output: str, expected: Any, validator: Validator | None, fields: Sequence[str] | None) -> Score:
    parsed = parse_output(output, type(expected))
    value, clean = parsed if parsed is not None else (None, False)
    details: dict[str, Any] = {"parsed": parsed is not None, "extracted": parsed is not None and not clean}
    # A bare number where an object was expected parses, but is not the format asked for.
    valid = clean and (type(value) is type(expected) or not isinstance(expected, (dict, list)))
    if validator is not None and parsed is not None:
        errors = [e.message for e in validator.iter_errors(value)][:3]
        details["schema_errors"] = errors
        valid = valid and not errors
    correct = field_correctness(value, expected, fields)
    if parsed is None:  # nothing to compare: a null expected field is not "right" by absence
        correct = dict.fromkeys(correct, False)
    details.update(fields=correct, field_score=sum(correct.values()) / len(correct) if correct else 0.0)
    matched = parsed is not None and (all(correct.values()) if fields else same(value, expected))
    return Score(float(matched), bool(valid), details)
