"""Progress of a rung as it runs: counts, running accuracy, elapsed time and an estimate of what is left."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProgressEvent:
    """A snapshot sent after every finished row (and once at the start)."""

    rung: str
    done: int
    total: int
    errors: int
    accuracy: float | None
    """Mean score of the rows done so far, errors counting 0; None before the first row."""
    elapsed_s: float
    eta_s: float | None
    """Seconds left at the pace of this session's rows; None until one finished."""


class ProgressTracker:
    """Counts rows as they finish and reports each change to a callback."""

    def __init__(self, rung: str, total: int, callback: Callable[[ProgressEvent], None] | None):
        self.rung, self.total, self.callback = rung, total, callback
        self.done = self.errors = self.fresh = 0
        self.score_sum = 0.0
        self.start = time.perf_counter()

    def add(self, row: dict, *, fresh: bool = True) -> None:
        """Count one row; `fresh` rows (not resumed from the journal) set the pace for the estimate."""
        self.done += 1
        self.fresh += fresh
        self.errors += row["error"] is not None
        self.score_sum += row["score"]
        self.emit()

    def emit(self) -> None:
        if self.callback is not None:
            self.callback(self.event())

    def event(self) -> ProgressEvent:
        elapsed = time.perf_counter() - self.start
        eta = elapsed / self.fresh * (self.total - self.done) if self.fresh else None
        accuracy = self.score_sum / self.done if self.done else None
        return ProgressEvent(self.rung, self.done, self.total, self.errors, accuracy, elapsed, eta)
