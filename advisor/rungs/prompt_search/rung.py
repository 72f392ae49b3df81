"""The prompt-search rung: instructions and demonstrations searched on a dev split of train, the winner measured on eval."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.measure.cell import Cell, Measured, RungPlan, evaluate
from advisor.record.run import RungResult
from advisor.registry import Rung
from advisor.rungs.prompt_search.search import baseline_k, close, search_prompts
from advisor.rungs.prompt_search.settings import PromptSearchSettings
from advisor.scenario.workspace import PROMPT_SEARCH_MIN_TRAIN, Workspace
from evals.strategies import FewShot, Prompt

if TYPE_CHECKING:
    import pandas as pd


def plan(ws: Workspace, settings: PromptSearchSettings) -> RungPlan:
    n = len(ws.train_set)
    if n < PROMPT_SEARCH_MIN_TRAIN:
        return RungPlan(
            "prompt_search",
            skip_reason=f"{n} train examples; prompt search needs at least {PROMPT_SEARCH_MIN_TRAIN} to carve a dev split from",
        )
    k = baseline_k(ws.scenario.ladder)
    recipe = FewShot(ws.train_set, k, "similar", settings.seed, ws.system_prompt)  # where the search starts
    return RungPlan("prompt_search", recipe, measure=measure, calls_before=settings.budget_calls)


async def measure(cell: Cell, plan: RungPlan) -> Measured:
    """Search on dev with the cell's model, then measure the winner on eval."""
    opts = cell.opts
    found = await search_prompts(cell.ws, cell.base, use_cache=opts.use_cache, concurrency=opts.concurrency, on_event=cell.on_event)

    def finish(result: RungResult, rows: pd.DataFrame, prompts: list[Prompt]) -> None:
        result.search = close(found.search, float(rows[rows["repeat"] == 0]["score"].mean()))

    return await evaluate(cell, found.strategy, finish=finish)


RUNG = Rung(
    name="prompt_search",
    title="prompt search",
    order=30,
    settings=PromptSearchSettings,
    plan=plan,
    prompting=True,
    wizard="prompt search (instructions and examples chosen on a dev split of train)",
    color="#b279a2",
)
