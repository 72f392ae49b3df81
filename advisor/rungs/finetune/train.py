"""The fine-tune rung: train an adapter (or a hosted job) on train, then hand the ladder a backend to measure.

Training examples are put in the very form the tuned model is later asked in: the rung's prompt
(by default the input alone, see `FinetuneSettings.prompt`) followed by the expected answer. A finished
training is kept in the run folder with a stamp of what it was trained on, so a rerun after an
interruption measures the same adapter instead of training again.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.decide.cost import finetune_cost
from advisor.measure import events as ev
from advisor.record.run import Training
from advisor.rungs.finetune.hosted import train_hosted
from advisor.rungs.finetune.settings import FinetuneSettings
from advisor.rungs.finetune.tuned import Tuned, checked_once, finetune_settings
from advisor.scenario.workspace import Workspace
from evals.backends.local import LocalBackend
from evals.data import read_saved, write_json
from evals.example import Example, Message
from evals.memory import release_memory

if TYPE_CHECKING:
    from advisor.measure.cell import Strategy
    from trainers import TrainProgress


def training_examples(train: list[Example], strategy: Strategy) -> list[Example]:
    """Each train example as the tuned model will be asked: the rung's prompt, then the expected answer."""
    out = []
    for example in train:
        messages = strategy(example).messages + [{"role": "assistant", "content": example.expected}]
        out.append(Example(messages=[Message(**m) for m in messages], id=example.id, meta=example.meta))
    return out


async def train_rung(
    ws: Workspace, strategy: Strategy, out_dir: Path, on_event: ev.OnEvent, config: FinetuneSettings | None = None
) -> Tuned:
    """Train with the scenario's finetune settings, or `config` (or reuse a finished training of the same data) and build its backend."""
    examples = training_examples(ws.train_set, strategy)
    config = config or finetune_settings(ws)
    if config.method == "openai":
        return await train_hosted(ws, examples, out_dir, on_event)
    return await _train_local(ws, config, examples, out_dir, on_event)


async def _train_local(ws: Workspace, config: FinetuneSettings, examples: list[Example], out_dir: Path, on_event: ev.OnEvent) -> Tuned:
    model = ws.scenario.model_spec.local_model
    stamp = _stamp(config.model_dump(exclude={"compare"}), model, examples)
    full = config.method == "full"
    saved = out_dir / ("model" if full else "adapter")
    training = _finished(out_dir, saved, stamp)
    if training is None:
        epochs = "epochs auto" if config.epochs == "auto" else f"{config.epochs:g} epochs"
        what = "full fine-tune (every weight)" if full else f"{config.method} r={config.r}"
        on_event(
            ev.Note(f"fine-tune: {what} on {len(examples)} examples, {epochs}, validation scored with the {ws.scenario.grader.kind} grader")
        )
        training = await asyncio.to_thread(_run_local, ws, config, examples, out_dir, model, on_event)
        release_memory()  # the trainer's model, gradients and optimizer, before the tuned model loads
        write_json(out_dir / "rung.json", {"stamp": stamp, "training": training.model_dump()})
    else:
        on_event(ev.Note(f"fine-tune: reusing the {saved.name} in {saved} (trained on the same data and settings)"))
    backend = LocalBackend(str(saved)) if full else LocalBackend(model, adapter=saved)
    check = functools.partial(asyncio.to_thread, _forgetting, ws, model, saved, backend)
    forgetting = await checked_once(out_dir / "forgetting.json", stamp, check, "through lm-eval", on_event)
    return Tuned(backend, training, forgetting)


def _run_local(
    ws: Workspace, config: FinetuneSettings, examples: list[Example], out_dir: Path, model: str, on_event: ev.OnEvent
) -> Training:
    from trainers import grader_scorer, train_lora

    def progress(p: TrainProgress) -> None:
        on_event(ev.TrainingStep(p.step, p.total_steps, p.loss, p.eta_s))

    # Validation answers are generated and graded as the eval's are: same params (structure included), same grader.
    result = train_lora(examples, config, out_dir, model=model, progress=progress, val_scorer=grader_scorer(ws.grader(), ws.params))
    return Training(
        method=config.method,
        trainable_params=result.trainable_params,
        trainable_share=result.trainable_share,
        train_tokens=result.train_tokens,
        seconds=result.seconds,
        tokens_per_s=result.tokens_per_s,
        padding_waste=result.padding_waste,
        final_train_loss=result.final_train_loss,
        final_val_loss=result.final_val_loss,
        stopped_early=result.stopped_early,
        overfitting_warning=result.overfitting_warning,
        cost_usd=finetune_cost(ws.scenario.pricing, result.seconds, None),
        curve=result.curve,
        epochs=result.epochs,
        best_step=result.best_step,
        best_val_score=result.best_val_score,
        undertrained_note=result.undertrained_note,
        peak_rss_mb=result.peak_rss_bytes / 1e6,
        artifact_mb=result.artifact_bytes / 1e6,
    )


def _forgetting(ws: Workspace, model: str, saved: Path, tuned: LocalBackend) -> dict:
    """The canary check of base vs the tuned model (adapter or whole model) through lm-eval.

    An adapter is checked on the tuned backend's own model (the base answers with the adapter disabled), so the
    check loads no copy of its own.
    """
    from evals.lmeval import forgetting_check

    config, full = finetune_settings(ws), saved.name == "model"
    return forgetting_check(
        model,
        tuned_model=saved if full else None,
        peft_model=None if full else tuned.model,
        tokenizer=None if full else tuned.tokenizer,
        confidence=ws.scenario.confidence,
        threshold=config.forgetting_threshold,
        extra=config.forgetting_tasks,
    )


def _finished(out_dir: Path, saved: Path, stamp: str) -> Training | None:
    """The Training of an earlier run of the same training whose adapter (or model) is still there."""
    path = out_dir / "rung.json"
    marker = "config.json" if saved.name == "model" else "adapter_config.json"
    if not path.is_file() or not (saved / marker).is_file():
        return None
    found = read_saved(path)  # a torn file (a run killed while writing it) means: train again
    return Training(**found["training"]) if found is not None and found.get("stamp") == stamp else None


def _stamp(settings: dict, model: str, examples: list[Example]) -> str:
    payload = json.dumps([settings, model, [e.model_dump(mode="json") for e in examples]], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()
