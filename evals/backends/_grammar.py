"""A Structure as an llguidance grammar: the one place that turns labels, schemas and patterns into grammars.

llguidance (the engine behind structured output in vLLM and llama.cpp) compiles these lazily into a
token mask for each step. JSON is generated compact (`{"a":1}`), without free whitespace: fewer tokens,
and no newline that a stop string could cut.
"""

from __future__ import annotations

import json
from functools import lru_cache

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
    schema = json.loads(structure.schema or '{"type": "object"}')
    if isinstance(schema, dict):
        schema = {**schema, "x-guidance": {**COMPACT_JSON, **schema.get("x-guidance", {})}}
    return llguidance.grammar_from("json_schema", json.dumps(schema))


def grammar_problem(structure: Structure) -> str | None:
    """Why the engine cannot constrain to `structure` (e.g. a regex feature it lacks), or None when it can."""
    import llguidance

    try:
        failed, messages = llguidance.LLMatcher.validate_grammar_with_warnings(grammar_of(structure))
    except (ValueError, RuntimeError) as exc:
        return str(exc)
    return "; ".join(m.strip().splitlines()[0] for m in messages) if failed else None
