"""Cost per call, per 1M calls, of a fine-tune, the break-even volume between two rungs, and a cell's cost at a volume."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .scenario import Pricing


@dataclass(frozen=True)
class CallCost:
    tokens_usd: float
    hardware_usd: float

    @property
    def total(self) -> float:
        return self.tokens_usd + self.hardware_usd


def per_call(pricing: Pricing | None, input_tokens: float, output_tokens: float, seconds_per_call: float) -> CallCost:
    """Token prices plus the machine's time; seconds_per_call is a call's share of the machine (a batch's time over its calls)."""
    if pricing is None:
        return CallCost(0.0, 0.0)
    tokens = (input_tokens * pricing.input_per_1m + output_tokens * pricing.output_per_1m) / 1e6
    return CallCost(tokens, pricing.hardware_per_hour * seconds_per_call / 3600)


def finetune_cost(pricing: Pricing | None, seconds: float, trained_tokens: int | None) -> float:
    """A local fine-tune costs its machine time; a hosted one its trained tokens."""
    if pricing is None:
        return 0.0
    return pricing.hardware_per_hour * seconds / 3600 + pricing.training_per_1m * (trained_tokens or 0) / 1e6


def break_even_calls(one_off_usd: float, per_call_before: float, per_call_after: float) -> float | None:
    """Calls after which a one-off cost is paid back by a cheaper call; None if it never is."""
    saving = per_call_before - per_call_after
    if saving <= 0:
        return None
    return one_off_usd / saving


HOURS_PER_DAY = 24
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class CellPrice:
    """What a (model, rung) cell costs, split into what scales with calls and what does not.

    A per-token API costs per call. A model you host costs its machine around the clock: as many replicas as
    `calls_per_day` needs at the measured machine time per call (at least one), times 24 h, whether busy or not.
    The training is paid once and spread over the horizon.
    """

    per_call_usd: float
    """Token prices of one call."""
    hardware_per_hour: float
    """One always-on replica's price (0: nothing to host, e.g. an API)."""
    seconds_per_call: float
    """Machine time of one call on one replica (its capacity is a day's seconds over this)."""
    one_off_usd: float = 0.0
    """Training, paid once."""

    def replicas(self, calls_per_day: float) -> int:
        if not self.hardware_per_hour:
            return 0
        return max(1, math.ceil(calls_per_day * self.seconds_per_call / SECONDS_PER_DAY - 1e-9))

    def per_day(self, calls_per_day: float) -> float:
        return calls_per_day * self.per_call_usd + self.replicas(calls_per_day) * self.hardware_per_hour * HOURS_PER_DAY

    def total(self, calls_per_day: float, horizon_days: float) -> float:
        """Everything over the horizon: the daily cost for `horizon_days`, plus the training once."""
        return self.per_day(calls_per_day) * horizon_days + self.one_off_usd

    def per_1m_calls(self, calls_per_day: float, horizon_days: float) -> float:
        """The total spread over the horizon's calls (at least one call a day), per million calls."""
        return self.total(calls_per_day, horizon_days) / (max(calls_per_day, 1.0) * horizon_days) * 1e6


def cell_price(
    pricing: Pricing | None, input_tokens: float, output_tokens: float, seconds_per_call: float, one_off_usd: float
) -> CellPrice:
    """A cell's price from its pricing and what it measured per call."""
    hourly = pricing.hardware_per_hour if pricing else 0.0
    return CellPrice(per_call(pricing, input_tokens, output_tokens, 0).tokens_usd, hourly, seconds_per_call, one_off_usd)


def crossover(a: CellPrice, b: CellPrice, horizon_days: float, low: float = 1.0, high: float = 1e9) -> float | None:
    """The lowest volume (calls/day, between `low` and `high`) at which the cheaper of two cells changes; None if it never does."""

    def a_cheaper(calls: float) -> bool:
        return a.total(calls, horizon_days) < b.total(calls, horizon_days)

    steps = 400
    grid = [low * (high / low) ** (i / steps) for i in range(steps + 1)]
    first = a_cheaper(grid[0])
    after = next((i for i, calls in enumerate(grid) if a_cheaper(calls) != first), None)
    if after is None:
        return None
    below, above = grid[after - 1], grid[after]
    for _ in range(60):  # bisection: the totals are piecewise linear in calls (replicas step)
        middle = (below + above) / 2
        below, above = (middle, above) if a_cheaper(middle) == first else (below, middle)
    return above
