"""What a grader returns, what a grader is, and how to apply one whether it is sync or async."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Protocol

from ..example import Example


@dataclass(frozen=True)
class Score:
    """One output's grade: `value` in [0, 1], whether its format was valid, and what the grader saw."""

    value: float
    format_valid: bool
    details: dict = field(default_factory=dict)


class Grader(Protocol):
    """A pure function of (output, example) to a Score; the judge grader returns an awaitable."""

    def __call__(self, output: str, example: Example) -> Score | Awaitable[Score]: ...


def error_score(message: str) -> Score:
    """The score of a row with no output (the backend failed): 0 and an invalid format."""
    return Score(0.0, False, {"error": message})


async def grade(grader: Grader, output: str, example: Example) -> Score:
    """Apply any grader, awaiting it when it is async."""
    result = grader(output, example)
    return await result if inspect.isawaitable(result) else result
