"""The zero-shot rung: the task's instructions and the input, nothing else. The floor every other rung must beat."""

from __future__ import annotations

from advisor.measure.cell import RungPlan
from advisor.registry import Rung
from advisor.scenario.schema import Strict
from advisor.scenario.workspace import Workspace
from evals.strategies import ZeroShot


class ZeroShotSettings(Strict):
    """The zero-shot rung has no settings: set it to null to leave it out."""


def plan(ws: Workspace, settings: ZeroShotSettings) -> RungPlan:
    return RungPlan("zero_shot", ZeroShot(ws.system_prompt))


RUNG = Rung(
    name="zero_shot",
    title="zero-shot",
    order=10,
    settings=ZeroShotSettings,
    plan=plan,
    prompting=True,
    wizard="zero-shot",
    color="#8c96a8",
)
