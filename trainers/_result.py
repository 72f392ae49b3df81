"""What a training run reports: live progress while it runs, the result when it ends."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TrainProgress:
    """One progress tick: sent after every optimizer step and every evaluation."""

    step: int
    total_steps: int
    epoch: float
    loss: float | None
    val_loss: float | None
    tokens_per_s: float
    eta_s: float | None
    elapsed_s: float
    val_score: float | None = None
    """Mean grader score on the validation slice, at an evaluation of a run given a scorer."""


@dataclass(frozen=True)
class TrainResult:
    """A finished (or early-stopped) run: where the adapter (or, method full, the whole model) is and what it cost."""

    adapter_dir: Path
    """The adapter folder, or with method full the model folder (safetensors)."""
    trainable_params: int
    total_params: int
    trainable_share: float
    train_tokens: int
    """Non-pad tokens trained on by this call (a resumed run counts only what it did)."""
    seconds: float
    """Wall time of this call's training loop, evaluations and checkpoints included."""
    tokens_per_s: float
    padding_waste: float
    """Pad tokens over all tokens in the train batches this call used."""
    final_train_loss: float | None
    """Mean train loss over the last epoch's worth of steps."""
    final_val_loss: float | None
    """Validation loss at the last evaluation."""
    stopped_early: bool
    overfitting_warning: str | None
    curve: list[dict[str, Any]]
    """Every logged point: step, epoch, loss (train), or val_loss with val_score (when scored)."""
    steps: int
    total_steps: int = 0
    best_step: int | None = None
    """The step whose weights were kept (best validation score, ties to the lower val loss), when there was validation."""
    best_val_loss: float | None = None
    best_val_score: float | None = None
    """The kept step's mean grader score on the validation slice (None without a scorer)."""
    epochs: float = 0.0
    """The planned number of epochs (the resolved count for `epochs: auto`)."""
    undertrained_note: str | None = None
    """Set when the loss was still falling at the end."""
    resumed_from_step: int = 0
    train_examples: int = 0
    val_examples: int = 0
    skipped_examples: int = 0
    """Examples whose answer lay entirely beyond max_seq_len (nothing left to learn)."""
    device: str = "cpu"
    method: str = "lora"
    peak_rss_bytes: int = 0
    """Highest resident memory of the process while it trained (model loading and earlier work included)."""
    artifact_bytes: int = 0
    """Size on disk of what it saved: the adapter, or the whole model."""
    model: Any = field(default=None, repr=False, compare=False)
    """The trained PeftModel still in memory (not serialized), to evaluate without reloading."""

    @property
    def trainable_line(self) -> str:
        """E.g. '1.8M of 136M = 1.35%'."""
        return f"{_millions(self.trainable_params)} of {_millions(self.total_params)} = {self.trainable_share:.2%}"

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "model"}
        data["adapter_dir"] = str(self.adapter_dir)
        return data


def _millions(n: int) -> str:
    return f"{n / 1e6:.3g}M" if n >= 1e5 else f"{n:,}"
