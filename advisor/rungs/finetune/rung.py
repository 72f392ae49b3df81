"""The fine-tune rung: LoRA (or a hosted job) on train, then the tuned model measured like every other rung.

It trains only when the cheaper rungs missed (or --full asks), keeps the best checkpoint by the task's own
grader, checks what the training broke (the forgetting canary), and with `compare` trains each listed way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from advisor.measure.cell import Cell, Finish, Measured, RungPlan, Strategy, evaluate, recheck, release
from advisor.record.run import RungResult
from advisor.registry import Rung, RungName
from advisor.rungs.finetune.settings import FinetuneSettings
from advisor.rungs.finetune.train import train_rung, training_examples
from advisor.rungs.finetune.tuned import Tuned
from advisor.rungs.finetune.variants import measure_variants
from advisor.scenario.workspace import FINETUNE_MIN_TRAIN, Workspace
from evals.example import Example
from evals.strategies import Prompt, ZeroShot
from trainers import planned_epochs

if TYPE_CHECKING:
    import pandas as pd


def plan(ws: Workspace, settings: FinetuneSettings) -> RungPlan:
    n = len(ws.train_set)
    if n < FINETUNE_MIN_TRAIN:
        return RungPlan("finetune", skip_reason=f"{n} train examples; fine-tuning needs at least {FINETUNE_MIN_TRAIN}")
    if settings.method != "openai" and not ws.scenario.model_spec.is_local:
        return RungPlan(
            "finetune",
            skip_reason=f"local fine-tuning ({settings.method}) needs local weights; {ws.scenario.model} has none (use method: openai)",
        )
    if settings.method == "openai" and ws.scenario.model_spec.is_local:
        return RungPlan(
            "finetune", skip_reason=f"a hosted fine-tuning job needs an openai: model; {ws.scenario.model} is local (use method: lora)"
        )
    return trained_plan("finetune", ws, ws.train_set, settings, measure)


def trained_plan(
    name: RungName,
    ws: Workspace,
    train: list[Example],
    settings: FinetuneSettings,
    measure_step: Callable[[Cell, RungPlan], Awaitable[Measured]],
) -> RungPlan:
    """A rung that trains with the fine-tune's recipe on `train` and is then asked as the tuned model is."""
    # "" (not None) drops the data's own system message too: the tuned model is asked with the input alone.
    strategy = ZeroShot(ws.system_prompt if settings.prompt == "full" else "")
    return RungPlan(
        name,
        strategy,
        measure=measure_step,
        trains_on=training_examples(train, strategy),
        epochs=planned_epochs(settings, len(train)),
    )


async def measure(cell: Cell, plan: RungPlan) -> Measured:
    """Train, measure the tuned model; with `compare`, every other method too, on the same items."""
    settings, strategy = cell.ws.scenario.ladder.finetune, plan.strategy
    assert strategy is not None and settings is not None  # the plan exists only when the rung is on
    first = await train_and_evaluate(cell, strategy, settings)
    if not settings.compare:
        return first

    async def variant(config: FinetuneSettings, label: str) -> Measured:
        return await train_and_evaluate(cell, strategy, config, label)

    return await measure_variants(settings, first, cell.ws.scenario.confidence, variant)


async def train_and_evaluate(
    cell: Cell, strategy: Strategy, settings: FinetuneSettings, label: str | None = None, ws: Workspace | None = None
) -> Measured:
    """Train with `settings` on `ws`'s train set (the cell's by default), then evaluate the tuned model."""
    ws, label = ws or cell.ws, label or cell.name
    tuned = await train(cell, strategy, settings, label, ws)
    return await evaluate(cell, strategy, backend=tuned.backend, ws=ws, label=label, finish=with_training(tuned, ws))


async def train(cell: Cell, strategy: Strategy, settings: FinetuneSettings, label: str, ws: Workspace) -> Tuned:
    """The fine-tune recipe on `ws`'s train set, each example asked as `strategy` asks it (or a finished training)."""
    release(cell.base)  # one base model in memory at a time: the trainer loads its own
    return await train_rung(ws, strategy, cell.opts.out_dir / label, cell.on_event, settings)


def with_training(tuned: Tuned, ws: Workspace) -> Finish:
    """The finish step of a tuned model's evaluation: what the training cost and broke, and the targets again."""

    def finish(result: RungResult, rows: pd.DataFrame, prompts: list[Prompt]) -> None:
        result.training, result.forgetting = tuned.training, tuned.forgetting
        recheck(result, ws)  # forgetting_change needs the canary

    return finish


RUNG = Rung(
    name="finetune",
    title="fine-tune",
    order=50,
    settings=FinetuneSettings,
    plan=plan,
    trains=True,
    wizard="fine-tune (LoRA on train)",
    color="#54a24b",
)
