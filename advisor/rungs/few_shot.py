"""The few-shot rung: k train examples as demonstrations before the input, the most similar ones by default."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from advisor.measure.cell import RungPlan
from advisor.registry import Rung
from advisor.scenario.schema import Strict
from advisor.scenario.workspace import Workspace
from evals.strategies import FewShot


class FewShotSettings(Strict):
    k: int = Field(default=8, ge=1, le=64)
    """How many train examples go in the prompt."""
    select: Literal["similar", "random"] = "similar"
    """similar: the k train inputs most like the question (BM25); random: a fixed random sample."""
    seed: int = 0
    """Seed of the random selection."""


def plan(ws: Workspace, settings: FewShotSettings) -> RungPlan:
    if not ws.train_set:
        return RungPlan("few_shot", skip_reason="no train set (data.train) to draw examples from")
    return RungPlan("few_shot", FewShot(ws.train_set, settings.k, settings.select, settings.seed, ws.system_prompt))


RUNG = Rung(
    name="few_shot",
    title="few-shot",
    order=20,
    settings=FewShotSettings,
    plan=plan,
    prompting=True,
    wizard="few-shot (examples from train)",
    color="#4c78a8",
)
