"""One ladder run for the wizard: prepare, climb, save run.json, and stop promptly when cancelled.

`climb` is a coroutine; the wizard runs it on an event loop of its own inside a worker thread, so a
cancel from the UI thread cancels that loop's task, and the event callback refuses to go on (which
also stops a training loop, whose progress callback runs in yet another thread).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from advisor.measure.events import Event, OnEvent
from advisor.record.run import RunRecord


class RunCancelled(Exception):
    """The user stopped the run; what finished is in the cache and the journal, so a rerun resumes."""


@dataclass(frozen=True)
class Prepared:
    """Sent once the data passed its checks: what is about to run, and what it should cost."""

    scenario: str
    model: str
    n_eval: int
    n_eval_total: int
    n_train: int
    rungs: list[tuple[str, str | None]]
    """Each rung in ladder order with its skip reason (None: it will be measured)."""
    confidence: float = 0.95
    estimate: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RunChoices:
    """What the interview decides about a run beyond the scenario: `advisor run`'s --limit and --learning-curve."""

    limit: int | None = None
    """Measure the first N eval examples (None: all)."""
    learning_curve: bool = False
    """Also fine-tune on growing shares of train and forecast the data the target needs."""


class Job(Protocol):
    """What the run screen drives: `run` blocks in a worker thread, `cancel` is thread-safe (tests script one)."""

    def run(self, on_event: Callable[[Any], None]) -> RunRecord: ...

    def cancel(self) -> None: ...


@dataclass
class LadderJob:
    """Runs `climb` for a scenario file; `run` blocks (call it from a worker thread), `cancel` is thread-safe."""

    scenario_path: Path
    out_dir: Path
    choices: RunChoices = RunChoices()
    _cancelled: threading.Event = field(default_factory=threading.Event, repr=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _task: asyncio.Task | None = field(default=None, repr=False)

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def run(self, on_event: Callable[[Event | Prepared], None]) -> RunRecord:
        """Check the data, measure the ladder, save run.json; raises RunCancelled after `cancel`."""
        # The ladder and the data checks only once the user measures: the wizard opens without them.
        from advisor.run import RunOptions, climb, estimate_cells, plan_rungs, warnings_before
        from advisor.scenario.workspace import prepare

        ws = prepare(self.scenario_path, self.choices.limit)
        plans = plan_rungs(ws)
        on_event(
            Prepared(
                ws.scenario.name,
                ", ".join(c.model for c in ws.scenario.candidates),
                len(ws.eval_set),
                ws.eval_total,
                len(ws.train_set),
                [(p.name, p.skip_reason) for p in plans],
                ws.scenario.confidence,
                estimate_cells(ws).as_dict(),
                warnings_before(ws),
            )
        )
        opts = RunOptions(self.out_dir, learning_curve=self.choices.learning_curve)
        record = self._climb(climb(ws, opts, self._guard(on_event)))
        self.out_dir.mkdir(parents=True, exist_ok=True)
        record.save(self.out_dir / "run.json")
        return record

    def cancel(self) -> None:
        """Stop at the next event or await; safe to call from any thread, any number of times."""
        self._cancelled.set()
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not loop.is_closed():
            loop.call_soon_threadsafe(task.cancel)

    def _guard(self, on_event: OnEvent) -> OnEvent:
        def guarded(event: Event) -> None:
            if self._cancelled.is_set():
                raise RunCancelled()
            on_event(event)

        return guarded

    def _climb(self, coro: Coroutine[Any, Any, RunRecord]) -> RunRecord:
        """Run the coroutine on a private loop; closing it does not wait for a generate call already under way."""
        if self._cancelled.is_set():
            coro.close()
            raise RunCancelled()
        loop = asyncio.new_event_loop()
        self._loop, self._task = loop, loop.create_task(coro)
        try:
            return loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            raise RunCancelled() from None
        finally:
            _cancel_rest(loop)
            self._loop = None
            loop.close()


def _cancel_rest(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what the run left on the loop (the local backend's batch worker) and let it unwind."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
