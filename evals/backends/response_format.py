"""A Structure as an OpenAI-compatible request, and the answer back out of the structured reply.

OpenAI's structured outputs take a JSON Schema (`response_format: json_schema`, strict where the schema
allows it); labels become an enum inside a one-field object that `unwrap` takes apart. vLLM (and
`advisor serve`) also take `guided_choice` / `guided_json` / `guided_regex` in the request body, which
constrain the plain answer with no wrapper. OpenAI has no regex constraint, and neither transport an extractive
one (its grammar uses llguidance's own lexemes): such requests go unconstrained.
"""

from __future__ import annotations

import json

from .base import Structure

WRAPPER_FIELD = "answer"


def request_fields(structure: Structure) -> dict:
    """Extra chat-completion fields that constrain the answer; {} when its transport (`via`) cannot express it."""
    if structure.kind == "extract":
        return {}
    if structure.via == "vllm":
        if structure.kind == "choice":
            return {"extra_body": {"guided_choice": list(structure.choices)}}
        if structure.kind == "regex":
            return {"extra_body": {"guided_regex": structure.pattern}}
        return {"extra_body": {"guided_json": _schema(structure)}}
    if structure.kind == "choice":
        schema = {
            "type": "object",
            "properties": {WRAPPER_FIELD: {"type": "string", "enum": list(structure.choices)}},
            "required": [WRAPPER_FIELD],
            "additionalProperties": False,
        }
        return {"response_format": _json_schema(schema, strict=True)}
    if structure.kind == "json":
        schema = _schema(structure)
        return {"response_format": _json_schema(schema, strict=is_strict_compatible(schema))}
    return {}


def unwrap(structure: Structure, text: str) -> str:
    """The answer inside a structured reply: the label out of its one-field object; anything else as sent."""
    if structure.via == "vllm" or structure.kind != "choice":
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text  # the grader sees what came back and marks it
    if isinstance(value, dict) and isinstance(value.get(WRAPPER_FIELD), str):
        return value[WRAPPER_FIELD]
    return text


def from_request(response_format: dict | None, body: dict) -> Structure | None:
    """The Structure an incoming request asks for (response_format, or vLLM's guided_* fields); None for free text."""
    if body.get("guided_choice") is not None:
        return Structure("choice", choices=tuple(str(c) for c in body["guided_choice"]))
    if body.get("guided_regex") is not None:
        return Structure("regex", pattern=str(body["guided_regex"]))
    if body.get("guided_json") is not None:
        schema = body["guided_json"]
        return Structure("json", schema=schema if isinstance(schema, str) else json.dumps(schema))
    kind = (response_format or {}).get("type", "text")
    if kind == "json_object":
        return Structure("json")
    if kind == "json_schema":
        spec = response_format.get("json_schema") or {}  # type: ignore[union-attr]
        return Structure("json", schema=json.dumps(spec.get("schema") or {"type": "object"}))
    if kind != "text":
        raise ValueError(f"response_format type '{kind}' is not supported (use text, json_object or json_schema)")
    return None


def is_strict_compatible(schema: object) -> bool:
    """Whether OpenAI's strict mode accepts the schema: every object closed, with all its properties required."""
    if isinstance(schema, list):
        return all(is_strict_compatible(s) for s in schema)
    if not isinstance(schema, dict):
        return True
    if schema.get("type") == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        if schema.get("additionalProperties") is not False or set(schema.get("required") or []) != set(props):
            return False
    return all(is_strict_compatible(v) for k, v in schema.items() if k not in ("enum", "const", "required"))


def _schema(structure: Structure) -> dict:
    return json.loads(structure.schema or '{"type": "object"}')


def _json_schema(schema: dict, *, strict: bool) -> dict:
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": strict}}
