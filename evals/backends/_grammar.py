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
    if structure.kind == "extract":
        return llguidance.grammar_from("lark", extract_lark(structure))
    schema = json.loads(structure.schema or '{"type": "object"}')
    if isinstance(schema, dict):
        schema = {**schema, "x-guidance": {**COMPACT_JSON, **schema.get("x-guidance", {})}}
    return llguidance.grammar_from("json_schema", json.dumps(schema))


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
