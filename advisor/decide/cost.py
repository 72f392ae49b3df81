"""Cost per call, per 1M calls, of a fine-tune, the break-even volume between two rungs, and a cell's cost at a volume."""

from __future__ import annotations

from dataclasses import dataclass

from advisor.record.frontier import CellPrice
from advisor.scenario.schema import Pricing


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
