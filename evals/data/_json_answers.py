"""For JSON-graded tasks: the schema file is a valid JSON Schema, and expected answers are JSON that fits it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..example import Example
from ._text import read_text


def load_schema(path: Path) -> tuple[dict | None, list[Problem]]:
    """The JSON Schema in a file, or the problems that keep it from being one."""
    import jsonschema

    try:
        schema = json.loads(read_text(path))
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except InputError as exc:
        return None, exc.problems
    except json.JSONDecodeError as exc:
        return None, [Problem(f"not valid JSON: {exc.msg}", fix="fix the JSON syntax", file=path, line=exc.lineno)]
    except RecursionError:
        return None, [Problem("the JSON Schema nests too deeply to read", fix="check the file", file=path, line=1)]
    except jsonschema.SchemaError as exc:
        at = ".".join(str(p) for p in exc.path)
        return None, [
            Problem(
                f"{path} is not a valid JSON Schema{f' (at {at!r})' if at else ''}: {exc.message}",
                fix="see https://json-schema.org/learn",
                file=path,
                field=at or None,
            )
        ]
    return schema, []


def json_answer_problems(examples: list[Example], file: Path, schema: dict | None = None) -> list[Problem]:
    """Expected answers that are not JSON, or (given a schema) do not satisfy it."""
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema) if schema is not None else None
    problems = []
    for ex in examples:
        where: dict[str, Any] = dict(file=file, line=ex.line, field=f"messages[{len(ex.messages) - 1}].content")
        try:
            answer = json.loads(ex.expected)
        except json.JSONDecodeError as exc:
            problems.append(Problem(f"the expected answer is not JSON: {exc.msg}", fix="write the expected answer as JSON", **where))
            continue
        error = jsonschema.exceptions.best_match(validator.iter_errors(answer)) if validator else None
        if error is not None:
            problems.append(
                Problem(f"the expected answer does not fit the schema: {error.message}", fix="fix the answer or the schema", **where)
            )
    return problems
