"""One unit of a run: an example's request (messages, params, cache key) and the row it becomes."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..backends.base import Completion, GenerationParams
from ..errors import InputError, Problem
from ..example import Example
from ._cache import params_key

if TYPE_CHECKING:  # the graders package imports numpy: only when a run grades
    from ..graders import Score

COLUMNS = [
    "id",
    "rung",
    "repeat",
    "output",
    "expected",
    "score",
    "format_valid",
    "latency_s",
    "input_tokens",
    "output_tokens",
    "cached",
    "error",
    "details",
]


@dataclass
class Job:
    index: int
    rung: str
    example: Example
    messages: list[dict]
    context: Any
    repeat: int
    params: GenerationParams
    key: str

    def row(self, completion: Completion, score: Score, details: dict) -> dict:
        """The graded row of a completion."""
        return {
            "id": self.example.key,
            "rung": self.rung,
            "repeat": self.repeat,
            "output": completion.text,
            "expected": self.example.expected,
            "score": float(score.value),
            "format_valid": bool(score.format_valid),
            "latency_s": completion.latency_s,
            "input_tokens": completion.input_tokens,
            "output_tokens": completion.output_tokens,
            "cached": completion.cached,
            "error": None,
            "details": details,
        }

    def error_row(self, error: str, output: str = "") -> dict:
        """A failed call: kept as a row, scored 0 and never format-valid, so it cannot pass as correct."""
        return {
            "id": self.example.key,
            "rung": self.rung,
            "repeat": self.repeat,
            "output": output,
            "expected": self.example.expected,
            "score": 0.0,
            "format_valid": False,
            "latency_s": math.nan,
            "input_tokens": 0,
            "output_tokens": 0,
            "cached": False,
            "error": error,
            "details": {},
        }


def plan_jobs(items: Iterable[tuple[Example, Any]], rung: str, identity: dict, params: GenerationParams, repeat: int) -> list[Job]:
    """A job per item and repeat, in item order; ids must be unique since rows are resumed by id.

    A prompt with a `structure` of its own (extractive RAG: the grammar is its passages) constrains its row
    in place of the run's.
    """
    per_repeat = [repeat_params(params, r, repeat) for r in range(repeat)]
    dicts = [p.as_dict() for p in per_repeat]  # asdict is slow enough to matter per row
    jobs: list[Job] = []
    seen: set[str] = set()
    for example, prompt in items:
        if example.key in seen:
            raise InputError(
                Problem(
                    f"example id '{example.key}' appears twice", fix="give every eval example a unique id", line=example.line, field="id"
                )
            )
        seen.add(example.key)
        messages, context = prompt_parts(prompt)
        structure = getattr(prompt, "structure", None)
        for r in range(repeat):
            params_r = replace(per_repeat[r], structure=structure) if structure is not None else per_repeat[r]
            key = params_key(identity, messages, params_r.as_dict() if structure is not None else dicts[r])
            jobs.append(Job(len(jobs), rung, example, messages, context, r, params_r, key))
    return jobs


def repeat_params(params: GenerationParams, repeat: int, repeats: int) -> GenerationParams:
    """Sampled repeats get distinct seeds so that each is a fresh sample, reproducibly."""
    if repeats == 1 or params.temperature <= 0:
        return params
    return replace(params, seed=(params.seed or 0) + repeat)


def prompt_parts(prompt: Any) -> tuple[list[dict], Any]:
    """Message dicts and optional context from a list of messages or an object with `.messages`."""
    messages, context = (prompt, None) if isinstance(prompt, list) else (prompt.messages, getattr(prompt, "context", None))
    return [m if isinstance(m, dict) else {"role": m.role, "content": m.content} for m in messages], context
