"""The LoRA recipe: chat examples in, a peft adapter out, with the numbers of what it took."""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import math
import os
import statistics
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.data import write_json
from evals.errors import InputError, Problem
from evals.example import Example
from evals.models import quiet_transformers, resolve_model, set_offline_env

from ._config import LoraSettings, check_method, checkpointing_needed, lora_config, quantization_config, training_args
from ._data import Collator, LengthGroupedData, padding_waste, prepare, split_val
from ._epochs import resolve_epochs
from ._result import TrainProgress, TrainResult
from ._resume import fingerprint, resume_point
from ._score import ValScorer

if TYPE_CHECKING:  # torch, peft and transformers are imported when a run trains
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase, Trainer, TrainingArguments

    from ._watch import TrainWatch


def train_lora(
    train: list[Example],
    settings: Any,
    out_dir: str | Path,
    *,
    model: str = "smollm2-135m",
    val: list[Example] | None = None,
    progress: Callable[[TrainProgress], None] | None = None,
    resume: bool = True,
    device: str | None = None,
    max_steps: int | None = None,
    eval_steps: int | None = None,
    val_scorer: ValScorer | None = None,
) -> TrainResult:
    """Fine-tune on chat examples (loss on assistant tokens only): a LoRA adapter saved in out_dir/adapter or, with
    method full, every weight, saved as a whole safetensors model in out_dir/model.

    Args:
        settings: a LoraSettings, or any object with its field names (the scenario's finetune block).
        val: held-out examples; by default a seeded `val_fraction` slice of train.
        resume: continue from the latest checkpoint in out_dir/checkpoints when one exists.
        max_steps: stop after this many optimizer steps (overrides epochs).
        eval_steps: evaluate and checkpoint every N steps instead of every epoch.
        val_scorer: scores the validation slice at each evaluation (e.g. `grader_scorer`); the weights kept, and
            early stopping, follow that score (ties: lower val loss). Without it they follow the val loss.
    """
    settings = settings if type(settings) is LoraSettings else LoraSettings.from_obj(settings)
    out_dir = Path(out_dir)
    set_offline_env()
    import torch

    cuda = _wants_cuda(device, torch.cuda.is_available())
    check_method(settings, cuda)
    tokenizer, base = _load(model, settings, cuda)
    if val is None:
        train, val = split_val(train, settings.val_fraction, settings.seed)
    train_features, val_features, skipped = prepare(train, val, tokenizer, settings)
    epochs = resolve_epochs(settings.epochs, len(train_features), settings.batch_size, settings.grad_accum)
    trained = _trainable(base, settings, train_features)
    out_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = resume_point(out_dir, fingerprint(settings, model, train_features, val_features), resume)

    collator = _collator(tokenizer, base)
    watch = _watcher(out_dir, settings, progress, val_scorer, val)
    args = training_args(
        settings,
        out_dir,
        epochs=epochs,
        cuda=cuda,
        has_val=bool(val_features),
        max_steps=max_steps,
        eval_steps=eval_steps,
        checkpointing=checkpointing_needed(settings, max(len(f["input_ids"]) for f in train_features)),
    )
    trainer = _trainer(trained, tokenizer, args, settings, train_features, val_features, collator, watch)
    seconds, peak_rss = _fit(trainer, checkpoint)

    counts = dict(train_examples=len(train_features), val_examples=len(val_features), skipped_examples=skipped, peak_rss_bytes=peak_rss)
    result = _summarize(trainer, watch, collator, settings, seconds, out_dir, epochs=epochs, device="cuda" if cuda else "cpu", **counts)
    return _save(trainer, tokenizer, result, out_dir)


def _collator(tokenizer: PreTrainedTokenizerBase, model: PreTrainedModel) -> Collator:
    """Pads the batches; on models that take a position mask in `logits_to_keep`, asks for logits only where labels are."""
    return Collator(tokenizer.pad_token_id, trim_logits="logits_to_keep" in inspect.signature(model.forward).parameters)


def _watcher(
    out_dir: Path,
    settings: LoraSettings,
    progress: Callable[[TrainProgress], None] | None,
    val_scorer: ValScorer | None,
    val: list[Example],
) -> TrainWatch:
    """The run's watcher (log, progress, early stopping), scoring `val` at each evaluation when given a scorer."""
    from ._watch import TrainWatch

    score = (lambda m, tok: val_scorer(m, tok, val)) if val_scorer is not None and val else None
    return TrainWatch(out_dir / "train_log.jsonl", settings.early_stopping_patience, progress, score)


def _trainer(
    model: torch.nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    args: TrainingArguments,
    settings: LoraSettings,
    train_features: list[dict],
    val_features: list[dict],
    collator: Collator,
    watch: TrainWatch,
) -> Trainer:
    """The transformers Trainer of this run, reporting to `watch` alone (nothing printed)."""
    from transformers import PrinterCallback, Trainer

    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=LengthGroupedData(train_features, settings.batch_size, settings.seed),
        eval_dataset=val_features or None,
        data_collator=collator,
        processing_class=tokenizer,
        callbacks=[watch],
    )
    trainer.remove_callback(PrinterCallback)  # progress goes to the caller, not to stdout
    return trainer


def _fit(trainer: Trainer, checkpoint: str | None) -> tuple[float, int]:
    """Train (from `checkpoint` when resuming); the wall time in seconds and the peak resident memory in bytes."""
    from ._memory import PeakRss

    started = time.perf_counter()
    with _quiet_deprecations(), PeakRss() as memory:
        trainer.train(resume_from_checkpoint=checkpoint)
    return time.perf_counter() - started, memory.peak


def _save(trainer: Trainer, tokenizer: PreTrainedTokenizerBase, result: TrainResult, out_dir: Path) -> TrainResult:
    """Save the adapter (or model) with its tokenizer, the curve and the result; the result with its size on disk."""
    if not trainer.is_world_process_zero():
        return result  # one process writes
    trainer.model.config.use_cache = True  # type: ignore[union-attr]  # for whoever serves it
    trainer.model.save_pretrained(result.adapter_dir)  # type: ignore[union-attr,operator]  # a PeftModel here
    tokenizer.save_pretrained(result.adapter_dir)
    result = dataclasses.replace(result, artifact_bytes=sum(f.stat().st_size for f in result.adapter_dir.iterdir() if f.is_file()))
    write_json(out_dir / "curve.json", result.curve)
    write_json(out_dir / "train_result.json", result.as_dict())
    return result


def _summarize(
    trainer: Trainer,
    watch: TrainWatch,
    collator: Collator,
    settings: LoraSettings,
    seconds: float,
    out_dir: Path,
    *,
    train_examples: int,
    **extra: Any,
) -> TrainResult:
    """The result of a finished Trainer run, read from its state, its watcher and the collator's counts."""
    from ._watch import assess, records, undertrained

    state, model = trainer.state, trainer.model
    assert model is not None  # the Trainer was given it
    log = records(state.log_history)
    verdict = assess(state.log_history, settings.early_stopping_patience)
    trainable, total = _parameters(model)
    tokens = state.num_input_tokens_seen - watch.start[2]
    steps_per_epoch = math.ceil(train_examples / (settings.batch_size * settings.grad_accum))
    train_losses = [r["loss"] for r in log if r["loss"] is not None]
    val_losses = [r["val_loss"] for r in log if r["val_loss"] is not None]
    # A run stopped early, or whose kept evaluation already scored every validation answer right, has nothing left to gain.
    done = verdict.stop or verdict.best_val_score == 1.0
    note = None if done else undertrained(state.log_history, min(steps_per_epoch, len(train_losses) // 2))
    return TrainResult(
        adapter_dir=out_dir / ("model" if settings.method == "full" else "adapter"),
        trainable_params=trainable,
        total_params=total,
        trainable_share=trainable / total,
        train_tokens=tokens,
        seconds=seconds,
        tokens_per_s=tokens / seconds if seconds > 0 else 0.0,
        padding_waste=padding_waste(collator.batches[: watch.micro_batches]),
        final_train_loss=statistics.fmean(train_losses[-steps_per_epoch:]) if train_losses else None,
        final_val_loss=val_losses[-1] if val_losses else None,
        stopped_early=verdict.stop,
        overfitting_warning=verdict.warning,
        curve=[{k: r[k] for k in ("step", "epoch", "loss", "val_loss", "val_score")} for r in log],
        steps=state.global_step,
        total_steps=state.max_steps,
        best_step=verdict.best_step,
        best_val_loss=verdict.best_val_loss,
        best_val_score=verdict.best_val_score,
        undertrained_note=note,
        resumed_from_step=watch.start[1],
        train_examples=train_examples,
        method=settings.method,
        model=model,
        **extra,
    )


def _trainable(base: PreTrainedModel, settings: LoraSettings, features: list[dict]) -> torch.nn.Module:
    """What trains: a LoRA adapter on the frozen base, or (method full) the base itself once its memory fits."""
    import torch
    from peft import get_peft_model

    from ._memory import check_fits, estimate_full

    if settings.method == "full":
        check_fits(estimate_full(base, settings.batch_size, max(len(f["input_ids"]) for f in features)), settings.max_memory_gb)
        return base
    torch.manual_seed(settings.seed)  # the adapter's initial weights
    with _quiet_deprecations():
        return get_peft_model(base, lora_config(settings))


def _parameters(model: torch.nn.Module) -> tuple[int, int]:
    """(trainable, total) parameters; a tied embedding counts once."""
    from peft import PeftModel

    if isinstance(model, PeftModel):
        return model.get_nb_trainable_parameters()
    params = list(model.parameters())  # unique tensors
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)


@contextlib.contextmanager
def _quiet_deprecations() -> Iterator[None]:
    """peft and the Trainer call a transformers API deprecated in v5: a warning for them, not for the user."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        yield


def _wants_cuda(device: str | None, available: bool) -> bool:
    """Train on CUDA when asked or, by default, when present; asking for it without it is a user error."""
    if device is None:
        return available
    if device.startswith("cuda") and not available:
        raise InputError(
            Problem(
                f"device '{device}' was asked for but no CUDA GPU is visible",
                fix="leave the device unset (or 'cpu') to train on the CPU",
                field="device",
            )
        )
    return device.startswith("cuda")


def _load(name: str, settings: LoraSettings, cuda: bool) -> tuple[PreTrainedTokenizerBase, PreTrainedModel]:
    """Tokenizer (right padding, a pad token) and the base model: fp32 on CPU, bf16 (or 4-bit) on CUDA."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_transformers()
    ref = resolve_model(name)
    tokenizer = AutoTokenizer.from_pretrained(ref.path)
    if not tokenizer.chat_template:
        raise InputError(
            Problem(
                f"model '{name}' has no chat template, so chats cannot be turned into training tokens",
                fix="use an instruct/chat model",
                field="model",
            )
        )
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    quantized = quantization_config(settings)
    placement = {"device_map": {"": int(os.environ.get("LOCAL_RANK", 0))}} if quantized else {}
    model = AutoModelForCausalLM.from_pretrained(
        ref.path, dtype=torch.bfloat16 if cuda else torch.float32, quantization_config=quantized, **placement
    )
    model.config.use_cache = False  # no generation while training
    if quantized:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model)
    return tokenizer, model
