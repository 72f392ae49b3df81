"""The live run: the ladder climbs in a worker thread; its events come back as messages and move the rows."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from advisor.measure import events as ev
from advisor.record.run import RunRecord
from advisor.registry import wizard_rungs
from evals.errors import InputError

from ..job import Job, Prepared, RunCancelled
from ..widgets.notes import Notes
from ..widgets.rung_row import RungRow, TrainingRow, duration

clock = time.monotonic
"""The run screen's clock (tests pin it so the elapsed time is the same on every screenshot)."""


class RunScreen(Screen):
    """Starts a job from `make_job` on mount; cancel stops it, resume starts a fresh one that reuses the cache."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel run"),
        Binding("r", "resume", "Resume"),
        Binding("e", "edit", "Edit answers"),
    ]

    class Event(Message):
        """One event of the ladder, carried from the worker thread to the screen."""

        def __init__(self, event: ev.Event):
            super().__init__()
            self.event = event

    class Finished(Message):
        """The ladder finished; the record is saved in the run folder."""

        def __init__(self, record: RunRecord):
            super().__init__()
            self.record = record

    class Stopped(Message):
        """The run ended without a record: cancelled, or failed with `error`."""

        def __init__(self, error: str | None = None):
            super().__init__()
            self.error = error

    class Edit(Message):
        """Back to the interview, every answer as it was."""

    def __init__(self, make_job: Callable[[], Job]):
        super().__init__()
        self.make_job = make_job
        self.job: Job | None = None
        self.state, self.confidence, self.started = "running", 0.95, clock()

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="run"):
            yield Static(id="run-title")
            yield Static(id="run-estimate", markup=False)
            with Vertical(id="rungs"):
                yield from (RungRow(rung.name) for rung in wizard_rungs())
                yield TrainingRow()
            yield Notes(id="notes")
            yield Static(id="run-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.set_interval(1.0, self._show_status)
        self._start()

    def _start(self) -> None:
        for row in self.query(RungRow):
            row.reset()
        self.query_one(TrainingRow).reset()
        self.query_one(Notes).clear()
        self.job, self.state, self.started = self.make_job(), "running", clock()
        self.refresh_bindings()
        self._show_status()
        self._climb(self.job)

    @work(thread=True, exclusive=True, group="ladder", exit_on_error=False)
    def _climb(self, job: Job) -> None:
        def post(event: ev.Event) -> None:
            self.post_message(self.Event(event))

        try:
            record = job.run(post)
        except RunCancelled:
            self.post_message(self.Stopped())
        except InputError as exc:
            self.post_message(self.Stopped("\n".join(str(p) for p in exc.problems)))
        except Exception as exc:  # shown on screen; the app must stay usable
            self.post_message(self.Stopped(f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(self.Finished(record))

    @on(Event)
    def _event(self, message: Event) -> None:
        event = message.event
        if isinstance(event, Prepared):
            self._prepared(event)
        elif isinstance(event, ev.RungStarted) and (row := self._row(event.rung)):
            row.start(event.total)
        elif isinstance(event, ev.RowsDone) and (row := self._row(event.rung)):
            row.progress(event.done, event.total, event.accuracy, event.errors, event.eta_s, self.confidence)
        elif isinstance(event, ev.TrainingStep):
            if row := self._row("finetune"):
                row.training()
            self.query_one(TrainingRow).step(event.step, event.total, event.loss, event.eta_s)
        elif isinstance(event, ev.RungFinished) and (row := self._row(event.result.name)):
            row.finish(event.result)
        elif isinstance(event, ev.Note):
            self._note(event.text, event.level)

    def _prepared(self, p: Prepared) -> None:
        self.confidence = p.confidence
        of = f" (first {p.n_eval} of {p.n_eval_total})" if p.n_eval < p.n_eval_total else ""
        title = "[b]$name[/] · $model · $n eval$of · $train train"
        self.query_one("#run-title", Static).update(
            Content.from_markup(title, name=p.scenario, model=p.model, n=str(p.n_eval), of=of, train=str(p.n_train))
        )
        est = p.estimate
        self.query_one("#run-estimate", Static).update(
            f"Estimate, all rungs: {est.get('calls', 0):,} calls · {est.get('input_tokens', 0):,} in + "
            f"{est.get('output_tokens', 0):,} out tokens · ${est.get('cost_usd', 0):.4f}"
        )
        for rung, reason in p.rungs:
            if reason and (row := self._row(rung)):
                row.skip(reason)
        for warning in p.warnings:
            self._note(warning, "warning")

    def _row(self, rung: str) -> RungRow | None:
        """The rung's row; None for a rung the wizard draws no row for (distillation: its notes still show)."""
        return next(iter(self.query(f"#rung-{rung}").results(RungRow)), None)

    def _note(self, text: str, level: str = "info") -> None:
        self.query_one(Notes).add(text, level)

    @on(Stopped)
    def _stopped(self, message: Stopped) -> None:
        self.state = "failed" if message.error else "cancelled"
        for row in self.query(RungRow):
            row.stop()
        if message.error:
            self._note(message.error, "warning")
        self.refresh_bindings()
        self._show_status()

    def _show_status(self) -> None:
        elapsed = duration(clock() - self.started)
        text = {
            "running": f"Measuring · {elapsed} · [b]esc[/] cancels (answers so far stay cached)",
            "cancelling": "Cancelling… the run stops at its next answer or training step",
            "cancelled": "Cancelled. [b]r[/] resumes from the cache · [b]e[/] edits the answers",
            "failed": "The run stopped on an error (above). [b]e[/] edits the answers · [b]r[/] tries again",
        }[self.state]
        self.query_one("#run-status", Static).update(Content.from_markup(text))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "cancel":
            return self.state == "running"
        if action in ("resume", "edit"):
            return self.state in ("cancelled", "failed")
        return True

    def action_cancel(self) -> None:
        if self.job is not None and self.state == "running":
            self.job.cancel()
            self.state = "cancelling"
            self.refresh_bindings()
            self._show_status()

    def action_resume(self) -> None:
        if self.state in ("cancelled", "failed"):
            self._start()

    def action_edit(self) -> None:
        self.post_message(self.Edit())

    def on_unmount(self) -> None:
        if self.job is not None:
            self.job.cancel()  # a worker thread left running would keep the app from exiting
