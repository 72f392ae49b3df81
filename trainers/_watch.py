"""Watches a Trainer run: the training log, progress ticks, early stopping and the overfitting warning."""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transformers import TrainerCallback

from evals.data import write_atomic

from ._config import BEST_SO_FAR
from ._result import TrainProgress

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase, TrainerControl, TrainerState, TrainingArguments

    from evals.models import CausalLM

log = logging.getLogger("trainers")


@dataclass(frozen=True)
class Verdict:
    """What the evaluations so far say: stop, warn, and which one was best."""

    stop: bool = False
    warning: str | None = None
    best_step: int | None = None
    best_val_loss: float | None = None
    best_val_score: float | None = None
    best_index: int = 0
    """1-based number of the best evaluation (0: none yet); it rises exactly when a new best appears."""


def record(entry: dict[str, Any]) -> dict[str, Any]:
    """One line of the training log from one Trainer log entry."""
    return {
        "step": entry.get("step"),
        "epoch": entry.get("epoch"),
        "loss": entry.get("loss"),
        "val_loss": entry.get("eval_loss"),
        "val_score": entry.get("eval_score"),
        "lr": entry.get("learning_rate"),
        "tokens": entry.get("num_input_tokens_seen"),
    }


def records(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The training log of a whole run: its train-loss and val-loss entries."""
    return [record(h) for h in history if "loss" in h or "eval_loss" in h]


def assess(history: list[dict[str, Any]], patience: int) -> Verdict:
    """Best evaluation (highest validation score, ties to the lower val loss; the loss alone without a score),
    whether `patience` evaluations in a row failed to beat it, and overfitting."""
    evals = [(h["step"], h["eval_loss"], h.get("eval_score")) for h in history if "eval_loss" in h]
    if not evals:
        return Verdict()

    def rank(i: int) -> tuple[float, float]:
        score = evals[i][2]
        return (score if score is not None else float("-inf"), -evals[i][1])

    best = max(range(len(evals)), key=rank)  # the first of equals: a later evaluation must be strictly better
    since_best = len(evals) - 1 - best
    step, loss, score = evals[best]
    return Verdict(
        patience > 0 and since_best >= patience, _overfitting(history, [(s, v) for s, v, _ in evals]), step, loss, score, best + 1
    )


def undertrained(history: list[dict[str, Any]], window: int) -> str | None:
    """A note when the run ended with its loss still falling: the mean train loss of the last `window` steps is
    more than 5% (and 0.01) below the window before, and the last evaluation, if any, has the lowest val loss."""
    train = [h["loss"] for h in history if "loss" in h]
    evals = [h["eval_loss"] for h in history if "eval_loss" in h]
    window = max(1, window)
    if len(train) < 2 * window:
        return None
    before, last = statistics.fmean(train[-2 * window : -window]), statistics.fmean(train[-window:])
    if before - last <= max(0.05 * before, 0.01) or (evals and evals[-1] > min(evals)):
        return None
    return (
        f"undertrained: the train loss was still falling at the end ({before:.3f} -> {last:.3f} over the last "
        f"{window} steps){' and the val loss was at its lowest' if evals else ''}; more epochs would help"
    )


def _overfitting(history: list[dict[str, Any]], evals: list[tuple[int, float]]) -> str | None:
    """The first evaluation where val loss rose while the mean train loss since the last one fell."""
    train = [(h["step"], h["loss"]) for h in history if "loss" in h]
    bounds = [0] + [step for step, _ in evals]
    means = [_mean([loss for step, loss in train if lo < step <= hi]) for lo, hi in zip(bounds, bounds[1:])]
    for i in range(1, len(evals)):
        now, before = means[i], means[i - 1]
        if evals[i][1] > evals[i - 1][1] and now is not None and before is not None and now < before:
            return (
                f"overfitting from step {evals[i][0]}: val loss rose {evals[i - 1][1]:.3f} -> {evals[i][1]:.3f} "
                f"while train loss fell {means[i - 1]:.3f} -> {means[i]:.3f}; fewer epochs or more data would help"
            )
    return None


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


class TrainWatch(TrainerCallback):
    """Writes out_dir/train_log.jsonl, scores each evaluation, sends progress, stops early, counts the micro-batches.

    Args:
        score: (model, tokenizer) -> validation score in [0, 1], run at every evaluation; without it the
            evaluations are ranked by val loss alone.
    """

    def __init__(
        self,
        log_path: Path,
        patience: int,
        progress: Callable[[TrainProgress], None] | None = None,
        score: Callable[[CausalLM, PreTrainedTokenizerBase], float] | None = None,
    ):
        self.log_path = log_path
        self.patience = patience
        self.progress = progress
        self.score = score
        self.verdict = Verdict()
        self.micro_batches = 0
        self.start = (time.perf_counter(), 0, 0)
        self.loss: float | None = None

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        self.start = (time.perf_counter(), state.global_step, state.num_input_tokens_seen)
        self.verdict = assess(state.log_history, self.patience)
        if state.is_world_process_zero:  # a resumed run's log restarts from its checkpoint
            write_atomic(self.log_path, "".join(json.dumps(r) + "\n" for r in records(state.log_history)))

    def on_substep_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        self.micro_batches += 1

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        self.micro_batches += 1

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        if not logs or "loss" not in logs or "eval_loss" in logs:  # evaluations are written once scored
            return
        self._write(state, record({**logs, "step": state.global_step}))

    def on_evaluate(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        metrics: dict[str, float] | None = None,
        model: CausalLM | None = None,
        processing_class: PreTrainedTokenizerBase | None = None,
        **kwargs: Any,
    ) -> None:
        entry = next(h for h in reversed(state.log_history) if "eval_loss" in h)  # the one just logged
        assert metrics is not None  # the Trainer hands every on_evaluate its metrics, model and tokenizer
        if self.score is not None:
            assert model is not None and processing_class is not None
            entry["eval_score"] = metrics["eval_score"] = self.score(model, processing_class)
        before = self.verdict.warning
        self.verdict = assess(state.log_history, self.patience)
        # The Trainer keeps the checkpoint whose metric is highest: the number of the best evaluation so far.
        metrics[BEST_SO_FAR] = float(self.verdict.best_index)
        self._write(state, record(entry))
        if self.verdict.warning and not before:
            log.warning(self.verdict.warning)
        if self.verdict.stop:
            log.info("early stopping at step %d: no better evaluation than step %s", state.global_step, self.verdict.best_step)
            control.should_training_stop = True

    def _write(self, state: TrainerState, line: dict[str, Any]) -> None:
        self.loss = line["loss"] if line["loss"] is not None else self.loss
        if state.is_world_process_zero:
            with self.log_path.open("a") as f:
                f.write(json.dumps(line) + "\n")
        if self.progress is not None:
            self.progress(self.tick(state, line["val_loss"], line["val_score"]))

    def tick(self, state: TrainerState, val_loss: float | None, val_score: float | None = None) -> TrainProgress:
        """Progress now: throughput and ETA from this call's own steps."""
        started, step0, tokens0 = self.start
        elapsed = time.perf_counter() - started
        done = state.global_step - step0
        eta = elapsed / done * (state.max_steps - state.global_step) if done else None
        rate = (state.num_input_tokens_seen - tokens0) / elapsed if elapsed > 0 else 0.0
        return TrainProgress(state.global_step, state.max_steps, state.epoch or 0.0, self.loss, val_loss, rate, eta, elapsed, val_score)
