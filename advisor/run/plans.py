"""Which rungs apply to a workspace: every registered rung in ladder order, then the scenario's own systems."""

from __future__ import annotations

from advisor.measure.cell import RungPlan
from advisor.registry import rungs
from advisor.rungs.custom import custom_plan
from advisor.scenario.workspace import Workspace


def plan_rungs(ws: Workspace, selected: list[str] | None = None) -> list[RungPlan]:
    """Every rung in ladder order, each ready to measure or with the reason it is skipped."""
    ladder = ws.scenario.ladder
    plans = []
    for rung in rungs():
        settings = ladder.settings(rung.name)
        if selected is not None and rung.name not in selected:
            plans.append(RungPlan(rung.name, skip_reason="not selected (--rungs)"))
        elif settings is None:
            plans.append(RungPlan(rung.name, skip_reason="left out of the scenario's ladder"))
        else:
            plans.append(rung.plan(ws, settings))
    for custom in ladder.custom:
        if selected is not None and custom.name not in selected:
            plans.append(RungPlan(custom.name, skip_reason="not selected (--rungs)"))
        else:
            plans.append(custom_plan(ws, custom))
    return plans
