"""Memory of a fine-tune: the estimate a full fine-tune is checked against before it starts, and the peak measured."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from evals.errors import InputError, Problem

from ._config import FIELD

if TYPE_CHECKING:  # transformers is imported when a run trains
    from transformers import PreTrainedModel

# fp32 weights, their gradients and AdamW's two moments: 4 + 4 + 8 bytes per trained parameter.
STATE_BYTES_PER_PARAM = 16
# Activations kept for the backward pass, per token, layer and hidden unit, in fp32: twice the 34 bytes of
# Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer Models", 16-bit, no attention scores).
ACTIVATION_BYTES = 68


@dataclass(frozen=True)
class MemoryEstimate:
    """What a full fine-tune will hold at once, in bytes."""

    states: int
    activations: int

    @property
    def total(self) -> int:
        return self.states + self.activations

    def line(self) -> str:
        return (
            f"{_gb(self.total)} (weights, gradients and AdamW states {_gb(self.states)}, "
            f"activations of the widest batch {_gb(self.activations)})"
        )


def estimate_full(model: PreTrainedModel, batch_size: int, longest: int) -> MemoryEstimate:
    """The memory of training every weight of `model` on batches of `batch_size` rows of at most `longest` tokens."""
    params = sum(p.numel() for p in model.parameters())
    config = model.config
    layers, hidden = getattr(config, "num_hidden_layers", 1), getattr(config, "hidden_size", 1)
    return MemoryEstimate(params * STATE_BYTES_PER_PARAM, batch_size * longest * layers * hidden * ACTIVATION_BYTES)


def check_fits(estimate: MemoryEstimate, max_memory_gb: float | None) -> None:
    """Refuse, with the estimate and the fix, a full fine-tune that needs more than the cap (or than is available)."""
    cap = max_memory_gb * 1e9 if max_memory_gb is not None else available_bytes()
    if cap is None or estimate.total <= cap:
        return
    where = f"max_memory_gb is {max_memory_gb:g}" if max_memory_gb is not None else f"{_gb(cap)} is available"
    raise InputError(
        Problem(
            f"a full fine-tune needs about {estimate.line()}; {where}",
            fix="use method: lora (or qlora on a CUDA GPU), which trains a small fraction of the weights; or lower batch_size "
            "or max_seq_len; or raise max_memory_gb if the machine has the memory",
            field=f"{FIELD}.method",
        )
    )


def available_bytes() -> int | None:
    """Memory available to a new allocation now (Linux's MemAvailable), or None where unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class PeakRss:
    """Samples this process's resident memory while a block runs; `peak` is the highest seen, in bytes."""

    def __init__(self, every_s: float = 0.2):
        self.every_s, self.peak = every_s, _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    def _sample(self) -> None:
        while not self._stop.wait(self.every_s):
            self.peak = max(self.peak, _rss())


def _rss() -> int:
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB"
