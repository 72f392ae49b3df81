"""One line per rung while the ladder runs: a bar, the running score with its interval, the time left."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Label, ProgressBar, Sparkline, Static

from advisor.record.run import RungResult
from advisor.registry import rung_title
from evals.stats import wilson

from ...reports import cells


def duration(seconds: float | None) -> str:
    """12 s, 3 min, 1 h 05 min."""
    if seconds is None:
        return "…"
    if seconds < 60:
        return f"{max(seconds, 1):.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def running_score(accuracy: float | None, done: int, confidence: float) -> str:
    """The mean score so far with its Wilson interval: 'acc 0.500 [0.215, 0.785]'."""
    if accuracy is None or not done:
        return ""
    interval = wilson(accuracy * done, done, confidence)
    return f"acc {interval.value:.3f} [{interval.lower:.3f}, {interval.upper:.3f}]"


class RungRow(Horizontal):
    """A rung's progress; its state arrives as method calls from the run screen."""

    def __init__(self, rung: str):
        super().__init__(id=f"rung-{rung}", classes="rung-row -waiting")
        self.rung = rung

    def compose(self) -> ComposeResult:
        yield Label(rung_title(self.rung), classes="rung-name")
        yield ProgressBar(total=1, show_eta=False, show_percentage=False, classes="rung-bar")
        yield Static(Content.from_markup("[dim]waiting[/]"), classes="rung-detail")

    def _state(self, state: str, detail: Content | str) -> None:
        for name in ("waiting", "training", "running", "passed", "failed", "skipped", "stopped"):
            self.set_class(name == state, f"-{name}")
        self.query_one(".rung-detail", Static).update(detail)

    def reset(self) -> None:
        """Back to waiting, for a run that starts again."""
        self.query_one(ProgressBar).update(total=1, progress=0)
        self._state("waiting", Content.from_markup("[dim]waiting[/]"))

    def skip(self, reason: str | None) -> None:
        self._state("skipped", Content.from_markup("[dim]skipped: $reason[/]", reason=reason or ""))

    def start(self, total: int) -> None:
        self.query_one(ProgressBar).update(total=max(total, 1), progress=0)
        self._state("running", Content.from_markup(f"[dim]0/{total} · starting[/]"))

    def progress(self, done: int, total: int, accuracy: float | None, errors: int, eta_s: float | None, confidence: float) -> None:
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)
        parts = [f"{done}/{total}", running_score(accuracy, done, confidence)]
        parts += [f"{errors} error{'s' if errors != 1 else ''}" if errors else "", f"ETA {duration(eta_s)}" if done < total else ""]
        self._state("running", " · ".join(p for p in parts if p))

    def finish(self, result: RungResult) -> None:
        if result.status != "measured":
            self.skip(result.skip_reason)
            return
        self.query_one(ProgressBar).update(total=max(result.n, 1), progress=max(result.n, 1))
        name = "accuracy" if "accuracy" in result.metrics else next(iter(result.metrics), None)
        score = f"{name} {cells.metric(result.metrics.get(name))} · " if name else ""
        verdict = "[$success]✓ meets targets[/]" if result.meets_targets else "[$error]✗ misses targets[/]"
        self._state("passed" if result.meets_targets else "failed", Content.from_markup(f"$score{verdict}", score=score))

    def training(self) -> None:
        """The fine-tune trains before it is measured; the training row below shows how far."""
        if not self.has_class("-training"):
            self._state("training", Content.from_markup("[dim]training…[/]"))

    def stop(self) -> None:
        bar = self.query_one(ProgressBar)
        done = f"{bar.progress:.0f}/{bar.total:.0f}" if self.has_class("-running") else ""
        if self.has_class("-running") or self.has_class("-waiting") or self.has_class("-training"):
            self._state("stopped", Content.from_markup("[dim]stopped $done[/]", done=done))


class TrainingRow(Horizontal):
    """The fine-tune's training: a sparkline of the loss so far, the step and the time left."""

    def __init__(self) -> None:
        super().__init__(id="training-row")
        self.losses: list[float] = []

    def compose(self) -> ComposeResult:
        yield Label("└ training", classes="rung-name")
        yield Sparkline([], classes="loss-line")
        yield Static("", classes="rung-detail")

    def reset(self) -> None:
        """Hidden and empty until the next training reports a step."""
        self.losses = []
        self.query_one(Sparkline).data = []
        self.display = False

    def step(self, step: int, total: int, loss: float | None, eta_s: float | None) -> None:
        if loss is not None:
            self.losses.append(loss)
            self.query_one(Sparkline).data = list(self.losses)
        parts = [
            f"step {step}/{total}",
            f"loss {loss:.3f}" if loss is not None else "",
            f"ETA {duration(eta_s)}" if step < total else "done",
        ]
        self.query_one(".rung-detail", Static).update(" · ".join(p for p in parts if p))
        self.display = True
