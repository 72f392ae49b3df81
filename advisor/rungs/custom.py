"""Your own system as a rung (`ladder.custom`): a Python function or an HTTP endpoint, measured like every rung.

It is sent what the zero-shot rung sends (the task's instructions and the input) and graded as it answers:
it cannot be constrained, so its format validity is measured, not imposed. A failure of your code (an
exception, a wrong type, no answer within the timeout) is that item's failure, shown with the item; a rerun
asks again only for those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.measure.cell import Cell, Measured, RungPlan, evaluate, recheck
from advisor.record.run import RungResult
from advisor.scenario.schema import CustomRung
from advisor.scenario.workspace import Workspace
from evals.backends.base import Backend
from evals.backends.endpoint import EndpointBackend
from evals.backends.function import DEFAULT_TIMEOUT_S, FunctionBackend
from evals.strategies import Prompt, ZeroShot

if TYPE_CHECKING:
    import pandas as pd


def custom_plan(ws: Workspace, custom: CustomRung) -> RungPlan:
    async def measure(cell: Cell, plan: RungPlan) -> Measured:
        backend = system_backend(custom, ws, cell.opts.timeout)

        def finish(result: RungResult, rows: pd.DataFrame, prompts: list[Prompt]) -> None:
            price = custom.pricing.per_call if custom.pricing else None  # the model's prices are not your system's
            result.cost_per_1k_calls_usd = None if price is None else price * 1e3
            result.cost_per_1m_calls_usd = None if price is None else price * 1e6
            result.cost_per_1k_calls_bounds = None if price is None else [price * 1e3, price * 1e3]
            recheck(result, ws)

        assert plan.strategy is not None
        return await evaluate(cell, plan.strategy, backend=backend, finish=finish)

    return RungPlan(custom.name, ZeroShot(ws.system_prompt), measure=measure, own_failures=True)


def system_backend(custom: CustomRung, ws: Workspace, timeout: float | None = None) -> Backend:
    """The backend that asks your system: your function, or your endpoint."""
    if custom.python is not None:
        base = ws.scenario_path.parent if ws.scenario_path else None
        return FunctionBackend(custom.python, base, timeout=timeout or DEFAULT_TIMEOUT_S)
    assert custom.http is not None  # the schema asks for exactly one of the two
    http = custom.http
    return EndpointBackend(http.url, http.body, http.output, headers=http.headers, timeout=timeout or http.timeout)
