"""Rich progress bars for the ladder's events (plain lines when output is not a terminal)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from advisor.measure import events as ev
from advisor.registry import rung_title

if TYPE_CHECKING:
    from advisor.record.run import RungResult
    from trainers import TrainProgress


class LadderProgress:
    """Draws one bar per rung (and one for training); a callable for `climb(on_event=...)`."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            disable=not console.is_terminal,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> LadderProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.RungStarted):
            self.tasks[event.rung] = self.progress.add_task(rung_title(event.rung), total=event.total, info="")
        elif isinstance(event, ev.RowsDone) and event.rung in self.tasks:
            info = f"acc {event.accuracy:.2f}" if event.accuracy is not None else ""
            info += f"  errors {event.errors}" if event.errors else ""
            self.progress.update(self.tasks[event.rung], completed=event.done, info=info)
        elif isinstance(event, ev.TrainingStep):
            if "train" not in self.tasks:
                self.tasks["train"] = self.progress.add_task("training", total=event.total, info="")
            loss = f"loss {event.loss:.3f}" if event.loss is not None else ""
            self.progress.update(self.tasks["train"], completed=event.step, total=event.total, info=loss)
        elif isinstance(event, ev.RungFinished):
            self._finished(event.result)
        elif isinstance(event, ev.Note):
            self.console.print(f"[{'yellow' if event.level == 'warning' else 'dim'}]{event.text}")

    def training(self, p: TrainProgress) -> None:
        """A trainer's own progress tick (trainers.TrainProgress), drawn as the training bar."""
        self(ev.TrainingStep(p.step, p.total_steps, p.loss, p.eta_s))

    def _finished(self, result: RungResult) -> None:
        title = rung_title(result.name)
        if result.status == "skipped":
            self.console.print(f"[dim]{title}: skipped ({result.skip_reason})")
            return
        acc = result.metrics.get("accuracy")
        score = f"accuracy {acc.value:.3f} [{acc.lower:.3f}, {acc.upper:.3f}]" if acc else ""
        mark = "[green]meets targets" if result.meets_targets else "[red]misses targets"
        self.console.print(f"{title}: {score}, n={result.n}, {result.seconds:.0f} s — {mark}")
