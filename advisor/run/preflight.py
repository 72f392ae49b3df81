"""What a run works out around its measurements: the estimate before anything is spent, the warnings, the error budget."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.decide.cost import per_call
from advisor.decide.targets import sample_size_warnings
from advisor.measure import events as ev
from advisor.measure.cell import TOP_UP_CALLS, RungPlan
from advisor.record.run import RungResult, RunRecord
from advisor.scenario.workspace import Workspace
from evals.data import estimate_tokens
from evals.errors import BackendError

if TYPE_CHECKING:
    import pandas as pd


def estimate(ws: Workspace, plans: list[RungPlan], top_up: int = TOP_UP_CALLS) -> ev.Estimate:
    """Calls, tokens and cost if every applicable rung is measured (an upper bound: the ladder may stop early), and
    the budget of the top-up after it (`advisor.run.topup`)."""
    n, per_rung, calls, tokens_in, tokens_out, train_tokens = len(ws.eval_set), {}, 0, 0, 0, 0
    for plan in plans:
        if plan.strategy is None or not ws.eval_set:
            continue
        rung_calls = n + plan.calls_before + len(ws.update_set)  # a search's budget, at most; asked again after an update
        rung_in, rung_out = int(prompt_tokens(ws, plan) * rung_calls), ws.params.max_tokens * rung_calls
        per_rung[plan.name] = {"calls": rung_calls, "input_tokens": rung_in, "output_tokens": rung_out}
        calls, tokens_in, tokens_out = calls + rung_calls, tokens_in + rung_in, tokens_out + rung_out
        train_tokens += int(sum(estimate_tokens(ex.messages) for ex in plan.trains_on) * plan.epochs)  # as it trains on them
    cost = per_call(ws.scenario.pricing, tokens_in, tokens_out, 0).total
    if ws.scenario.pricing:
        cost += ws.scenario.pricing.training_per_1m * train_tokens / 1e6
    return ev.Estimate(calls, tokens_in, tokens_out, train_tokens, cost, per_rung, top_up)


def prompt_tokens(ws: Workspace, plan: RungPlan) -> float:
    """Estimated input tokens of one call of a rung (`evals.data.estimate_tokens`, over the first 20 eval items)."""
    sample = ws.eval_set[:20]
    if plan.strategy is None or not sample:
        return 0.0
    return sum(estimate_tokens(plan.strategy(ex).messages) for ex in sample) / len(sample)


def warnings_before(ws: Workspace) -> list[str]:
    """What the user should know before anything is spent: sample size and leakage."""
    return sample_size_warnings(ws.scenario.targets, len(ws.eval_set), ws.scenario.confidence) + ws.warnings


def error_budget(plan: RungPlan, result: RungResult, max_rate: float, rows: pd.DataFrame) -> str | None:
    """Why the run stops when too many of a rung's calls failed after retries, or None. A rung whose failures are its
    own answers (your system failing on an item) stops the run only when it answered nothing at all: it is down."""
    if not result.n:
        return None
    down = result.errors == result.n if plan.own_failures else result.errors / result.n > max_rate
    if not down:
        return None
    errors = rows["error"].dropna()
    cause = f"; the most common error: {errors.mode().iloc[0]}" if len(errors) else ""
    share = "every one" if plan.own_failures else f"more than {max_rate:.0%}"
    return f"{result.errors} of {result.n} {result.name} calls failed after retries ({share}){cause}"


def raise_on_backend_failure(record: RunRecord) -> None:
    if record.backend_failure:
        raise BackendError(record.backend_failure)
