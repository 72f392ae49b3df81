"""Cost per call, per 1M calls, of a fine-tune, and the break-even volume between two rungs."""

from __future__ import annotations

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
