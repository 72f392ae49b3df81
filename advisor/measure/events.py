"""Progress events the ladder emits; the CLI draws rich bars from them, the TUI posts them as messages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.record.run import RungResult


@dataclass(frozen=True)
class RungStarted:
    rung: str
    total: int


@dataclass(frozen=True)
class RowsDone:
    rung: str
    done: int
    total: int
    errors: int = 0
    accuracy: float | None = None
    eta_s: float | None = None


@dataclass(frozen=True)
class TrainingStep:
    step: int
    total: int
    loss: float | None = None
    eta_s: float | None = None


@dataclass(frozen=True)
class RungFinished:
    result: RungResult
    """The RungResult (measured or skipped)."""


@dataclass(frozen=True)
class Note:
    text: str
    level: str = "info"


Event = RungStarted | RowsDone | TrainingStep | RungFinished | Note
"""Everything the ladder reports while it climbs."""
OnEvent = Callable[[Event], None]
"""Where the ladder sends its events (the CLI's bars, the TUI's messages)."""


@dataclass
class Estimate:
    calls: int
    input_tokens: int
    output_tokens: int
    train_tokens: int
    cost_usd: float
    per_rung: dict = field(default_factory=dict)
    top_up_calls: int = 0
    """Most calls spent after the ladder asking rungs that stopped early the recommended rung's items (`--top-up`).
    A top-up asks a rung only items it has not answered, so with the cache on they fall within `calls`."""

    def as_dict(self) -> dict:
        return {
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "train_tokens": self.train_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "per_rung": self.per_rung,
            "top_up_calls": self.top_up_calls,
        }
