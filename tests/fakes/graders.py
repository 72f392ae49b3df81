"""Stand-in graders with the `evals.graders` interface (a Score with value, format_valid, details)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StandInScore:
    value: float
    format_valid: bool
    details: dict = field(default_factory=dict)


def exact_match(output: str, example) -> StandInScore:
    """1 when the stripped output equals the expected answer."""
    hit = output.strip() == example.expected
    return StandInScore(float(hit), bool(output.strip()), {"match": hit})


async def async_exact_match(output: str, example) -> StandInScore:
    """`exact_match` as a coroutine, the way a judge grader is called."""
    return exact_match(output, example)
