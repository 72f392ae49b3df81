"""A Structure as an llguidance grammar: the one place that turns labels, schemas and patterns into grammars.

llguidance (the engine behind structured output in vLLM and llama.cpp) compiles these lazily into a
token mask for each step. JSON is generated compact (`{"a":1}`), without free whitespace: fewer tokens,
and no newline that a stop string could cut. An object's properties come in the order of the schema's
`properties` (llguidance's documented departure from JSON Schema, shared by OpenAI's strict mode), so
`as_constrained` writes example answers the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from .base import Structure

COMPACT_JSON = {"whitespace_flexible": False}


@lru_cache(maxsize=64)
def grammar_of(structure: Structure) -> str:
    """The llguidance grammar that accepts exactly the answers `structure` allows."""
    import llguidance

    if structure.kind == "choice":
        return llguidance.grammar_from("choice", json.dumps(list(structure.choices)))
    if structure.kind == "regex":
        return llguidance.grammar_from("regex", structure.pattern or "")
    if structure.kind == "extract":
        return llguidance.grammar_from("lark", extract_lark(structure))
    schema = json.loads(structure.schema or '{"type": "object"}')
    if isinstance(schema, dict):
        schema = bounded(schema, structure.max_length, structure.max_items)
        schema = {**schema, "x-guidance": {**COMPACT_JSON, **schema.get("x-guidance", {})}}
    return llguidance.grammar_from("json_schema", json.dumps(schema))


VALUES = frozenset({"const", "enum", "default", "examples"})
"""Schema keywords whose contents are JSON values, not schemas: left as they are."""


def bounded(schema: Any, max_length: int | None, max_items: int | None) -> Any:
    """A copy of `schema` in which every string without its own maxLength (and every array without maxItems) gets
    the bound given; None leaves that kind unbounded."""
    if isinstance(schema, list):
        return [bounded(s, max_length, max_items) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: v if k in VALUES else bounded(v, max_length, max_items) for k, v in schema.items()}
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "string" in types and max_length is not None and "maxLength" not in schema:
        out["maxLength"] = max(max_length, schema.get("minLength", 0))
    if "array" in types and max_items is not None and "maxItems" not in schema:
        out["maxItems"] = max(max_items, schema.get("minItems", 0))
    return out


MIN_LENGTH_BOUND, MIN_ITEMS_BOUND = 64, 4


def bounds_from(values: Iterable[Any]) -> tuple[int, int]:
    """(max_length, max_items) for answers like `values`: twice the longest string and the most items seen, and
    at least MIN_LENGTH_BOUND characters and MIN_ITEMS_BOUND items, so a valid answer a little past the train
    answers still fits while a value repeated over and over is cut off and the document closed."""
    longest = most = 0
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            longest = max(longest, len(value))
        elif isinstance(value, list):
            most = max(most, len(value))
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
    return max(MIN_LENGTH_BOUND, 2 * longest), max(MIN_ITEMS_BOUND, 2 * most)


def as_constrained(value: Any, schema: Any) -> str:
    """A JSON value as the grammar writes it: compact, each object's properties in the order of its schema's
    `properties` (the others after them). Few-shot demonstrations and fine-tune answers written in another order
    would teach the model an order the grammar then refuses, so it closes the object early instead."""
    return json.dumps(_in_order(value, schema, schema), ensure_ascii=False, separators=(",", ":"))


def _in_order(value: Any, schema: Any, root: Any) -> Any:
    if not isinstance(schema, dict):
        return value
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        target = root
        for part in ref[1:].split("/")[1:]:
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    for key in ("anyOf", "oneOf"):
        variants = [v for v in schema.get(key, []) if isinstance(v, dict)]
        fits = next((v for v in variants if _fits(value, v, root)), None)
        if fits is not None:
            return _in_order(value, {**{k: v for k, v in schema.items() if k != key}, **fits}, root)
    if isinstance(value, dict):
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        rest = schema.get("additionalProperties")
        ordered = {k: _in_order(value[k], properties[k], root) for k in properties if k in value}
        ordered.update({k: _in_order(v, rest, root) for k, v in value.items() if k not in properties})
        return ordered
    if isinstance(value, list):
        prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else []
        items = schema.get("items")
        return [_in_order(v, prefix[i] if i < len(prefix) else items, root) for i, v in enumerate(value)]
    return value


def _fits(value: Any, schema: dict, root: Any) -> bool:
    import jsonschema

    with_defs = {**schema, **{k: root[k] for k in ("$defs", "definitions") if isinstance(root, dict) and k in root}}
    try:
        return jsonschema.validators.validator_for(with_defs)(with_defs).is_valid(value)
    except (jsonschema.exceptions.RefResolutionError, jsonschema.exceptions.SchemaError, KeyError):
        return False


def extract_lark(structure: Structure) -> str:
    """Lark for extractive answers: a passage's `[id] ` when cited, then a run of whole words from that passage.

    llguidance's `substring_words` lexeme accepts any run of consecutive words of its text, so a span can
    never be made up, and the cited id is the one of the passage the span comes from. The id comes first
    because the lexeme is greedy (a space after a span would be read as the span going on) and because an
    answer cut at max_tokens then still carries its citation.
    """
    rules = []
    for n, passage in enumerate(structure.passages):
        cited = f'"[{structure.cite[n]}] " ' if structure.cite else ""
        rules.append(f"span{n}: {cited}SPAN{n}\nSPAN{n}: %regex {json.dumps({'substring_words': passage})}")
    answers = [f"span{n}" for n in range(len(rules))] + [json.dumps(c) for c in structure.choices]
    return "\n".join([f"start: {' | '.join(answers)}", *rules])


def grammar_problem(structure: Structure) -> str | None:
    """Why the engine cannot constrain to `structure` (e.g. a regex feature it lacks), or None when it can."""
    import llguidance

    try:
        failed, messages = llguidance.LLMatcher.validate_grammar_with_warnings(grammar_of(structure))
    except (ValueError, RuntimeError) as exc:
        return str(exc)
    return "; ".join(m.strip().splitlines()[0] for m in messages) if failed else None
