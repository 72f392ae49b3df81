"""The fine-tune rung: train an adapter (or a hosted job) on train, then hand the ladder a backend to measure.

Training examples are put in the very form the tuned model is later asked in: the rung's prompt
(by default the input alone, see `Finetune.prompt`) followed by the expected answer. A finished
training is kept in the run folder with a stamp of what it was trained on, so a rerun after an
interruption measures the same adapter instead of training again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from evals.data import write_atomic
from evals.example import Example, Message

from . import events as ev
from .cost import finetune_cost
from .record import Forgetting, Training
from .workspace import Workspace


@dataclass
class Tuned:
    """What training produced: the backend to measure, what it cost, and what it broke."""

    backend: object
    training: Training
    forgetting: Forgetting | None = None


def training_examples(train: list[Example], strategy) -> list[Example]:
    """Each train example as the tuned model will be asked: the rung's prompt, then the expected answer."""
    out = []
    for example in train:
        messages = strategy(example).messages + [{"role": "assistant", "content": example.expected}]
        out.append(Example(messages=[Message(**m) for m in messages], id=example.id, meta=example.meta))
    return out


async def train_rung(ws: Workspace, strategy, out_dir: Path, on_event: Callable[[object], None]) -> Tuned:
    """Train with the scenario's finetune settings (or reuse a finished training of the same data) and build its backend."""
    examples = training_examples(ws.train_set, strategy)
    config = ws.scenario.ladder.finetune
    if config.method == "openai":
        from .finetune_hosted import train_hosted

        return await train_hosted(ws, examples, out_dir, on_event)
    return await _train_local(ws, examples, out_dir, on_event)


async def _train_local(ws: Workspace, examples: list[Example], out_dir: Path, on_event) -> Tuned:
    from evals.backends.local import LocalBackend

    config, model = ws.scenario.ladder.finetune, ws.scenario.model.removeprefix("local:")
    stamp = _stamp(config.model_dump(), model, examples)
    training = _finished(out_dir, stamp)
    if training is None:
        epochs = "epochs auto" if config.epochs == "auto" else f"{config.epochs:g} epochs"
        on_event(ev.Note(f"fine-tune: LoRA r={config.r} on {len(examples)} examples, {epochs}, "
                         f"validation scored with the {ws.scenario.grader.kind} grader"))
        training = await asyncio.to_thread(_run_lora, ws, examples, out_dir, model, on_event)
        write_atomic(out_dir / "rung.json", json.dumps({"stamp": stamp, "training": training.model_dump()}, indent=1))
    else:
        on_event(ev.Note(f"fine-tune: reusing the adapter in {out_dir / 'adapter'} (trained on the same data and settings)"))
    backend = LocalBackend(model, adapter=out_dir / "adapter")
    forgetting = await asyncio.to_thread(_forgetting, ws, model, out_dir, stamp, on_event)
    return Tuned(backend, training, forgetting)


def _run_lora(ws: Workspace, examples: list[Example], out_dir: Path, model: str, on_event) -> Training:
    from trainers import grader_scorer, train_lora

    def progress(p) -> None:
        on_event(ev.TrainingStep(p.step, p.total_steps, p.loss, p.eta_s))

    # Validation answers are generated and graded as the eval's are: same params (structure included), same grader.
    result = train_lora(examples, ws.scenario.ladder.finetune, out_dir, model=model, progress=progress,
                        val_scorer=grader_scorer(ws.grader(), ws.params))
    return Training(
        method=ws.scenario.ladder.finetune.method, trainable_params=result.trainable_params,
        trainable_share=result.trainable_share, train_tokens=result.train_tokens, seconds=result.seconds,
        tokens_per_s=result.tokens_per_s, padding_waste=result.padding_waste, final_train_loss=result.final_train_loss,
        final_val_loss=result.final_val_loss, stopped_early=result.stopped_early,
        overfitting_warning=result.overfitting_warning,
        cost_usd=finetune_cost(ws.scenario.pricing, result.seconds, None), curve=result.curve, epochs=result.epochs,
        best_step=result.best_step, best_val_score=result.best_val_score, undertrained_note=result.undertrained_note)


def _forgetting(ws: Workspace, model: str, out_dir: Path, stamp: str, on_event) -> Forgetting | None:
    """The canary check of base vs adapter through lm-eval, once per adapter."""
    from evals.lmeval import forgetting_check

    path = out_dir / "forgetting.json"
    if path.is_file():
        saved = json.loads(path.read_text())
        if saved.get("stamp") == stamp:
            return Forgetting(**saved["forgetting"])
    on_event(ev.Note("fine-tune: forgetting check (canary tasks, base vs adapter, through lm-eval)"))
    found = Forgetting(**forgetting_check(model, out_dir / "adapter", confidence=ws.scenario.confidence,
                                           threshold=ws.scenario.ladder.finetune.forgetting_threshold))
    write_atomic(path, json.dumps({"stamp": stamp, "forgetting": found.model_dump()}, indent=1))
    return found


def _finished(out_dir: Path, stamp: str) -> Training | None:
    """The Training of an earlier run of the same training whose adapter is still there."""
    path = out_dir / "rung.json"
    if not path.is_file() or not (out_dir / "adapter" / "adapter_config.json").is_file():
        return None
    saved = json.loads(path.read_text())
    return Training(**saved["training"]) if saved.get("stamp") == stamp else None


def _stamp(settings: dict, model: str, examples: list[Example]) -> str:
    payload = json.dumps([settings, model, [e.model_dump(mode="json") for e in examples]], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()
