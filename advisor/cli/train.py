"""`advisor train`: the fine-tune rung's LoRA training alone, e.g. on GPUs with `accelerate launch -m advisor train ...`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from . import output


@click.command()
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the adapter, checkpoints, training log and loss curve.",
)
@click.option("--max-steps", type=click.IntRange(min=1), default=None, help="Stop after N optimizer steps (overrides epochs).")
@click.option("--device", default=None, help="cpu or cuda (default: cuda when present).")
@click.option("--no-resume", is_flag=True, help="Start over instead of resuming from the latest checkpoint.")
def train(scenario_path: Path, out_dir: Path, max_steps: int | None, device: str | None, no_resume: bool) -> None:
    """Train the scenario's LoRA adapter on its train set, in the form the fine-tune rung asks it.

    Runs unchanged under `accelerate launch` (one process per GPU); only the first process prints.
    """
    from advisor.run import plan_rungs, tuned_workspace
    from advisor.rungs.finetune.train import training_examples
    from advisor.scenario.workspace import prepare
    from trainers import grader_scorer, train_lora

    from .progress import LadderProgress

    ws = tuned_workspace(prepare(scenario_path))  # with `models:`, the first local candidate that fine-tunes
    plan = next(p for p in plan_rungs(ws, ["finetune"]) if p.name == "finetune")
    if plan.strategy is None:
        from evals.errors import InputError, Problem

        raise InputError(
            Problem(
                f"the fine-tune rung does not apply: {plan.skip_reason}",
                file=scenario_path,
                field="ladder.finetune",
                fix="give at least 100 train examples, a local model and method: lora or qlora",
            )
        )
    config = ws.scenario.ladder.finetune
    main_process = int(os.environ.get("LOCAL_RANK", os.environ.get("RANK", 0))) == 0
    examples = training_examples(ws.train_set, plan.strategy)
    bars = LadderProgress(output.console if main_process else output.quiet_console())
    with bars:
        result = train_lora(
            examples,
            config,
            out_dir,
            model=ws.scenario.model_spec.local_model,
            device=device,
            resume=not no_resume,
            max_steps=max_steps,
            progress=bars.training,
            val_scorer=grader_scorer(ws.grader(), ws.params),
        )
    if main_process:
        output.console.print(
            f"{'Model' if result.method == 'full' else 'Adapter'} in {result.adapter_dir}: {result.steps} steps, {result.train_tokens:,} tokens at {result.tokens_per_s:,.0f} tokens/s "
            f"on {result.device}, padding waste {result.padding_waste:.1%}, trainable {result.trainable_line}, "
            f"loss {_number(result.final_train_loss)} (train) / {_number(result.final_val_loss)} (val)"
            + (f", kept step {result.best_step} (val score {_number(result.best_val_score)})" if result.best_step else ""),
            soft_wrap=True,
        )
        for note in (result.overfitting_warning, result.undertrained_note):
            if note:
                output.console.print(f"[yellow]warning:[/] {note}", soft_wrap=True)


def _number(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "—"
