"""The runner: send every item's messages to a backend at bounded concurrency, grade, return one row each."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..backends.base import Backend, Completion, GenerationParams
from ..errors import BackendError, InputError, Problem
from ..example import Example
from ._cache import Cache
from ._jobs import COLUMNS, Job, plan_jobs
from ._journal import Journal
from ._progress import ProgressEvent, ProgressTracker
from ._summary import error_rate

if TYPE_CHECKING:  # pandas is imported when a run builds its frame
    import pandas as pd


class Runner:
    """Runs one rung's items through a backend and a grader; cache, journal and progress are optional.

    An item is `(example, prompt)`: the prompt is the list of message dicts to send (what a Strategy
    made of the example), or an object with `.messages` and an optional `.context` (e.g. retrieved
    chunks, kept in the row's details). The example supplies the id and the expected answer.
    Failed calls become rows with `error` set; they are neither cached nor journaled, so running
    again retries them. Cached rows keep the latency measured when the answer was first made.

    With `stop`, rows are handed to it in item order as they finish; once it returns True no new
    call starts, the calls in flight finish (and are cached and journaled like any other, as are later
    items that finished while an earlier one was still running), and the returned frame holds the
    items up to the one that decided, in order.
    """

    def __init__(
        self,
        backend: Backend,
        grader: Callable,
        *,
        params: GenerationParams = GenerationParams(),
        concurrency: int = 8,
        cache: Cache | None = None,
        journal: Journal | None = None,
        progress: Callable[[ProgressEvent], None] | None = None,
        repeat: int = 1,
    ):
        if repeat < 1 or concurrency < 1:
            raise InputError(Problem(f"repeat ({repeat}) and concurrency ({concurrency}) must be at least 1", field="repeat"))
        self.backend, self.grader, self.params = backend, grader, params
        self.concurrency, self.journal, self.progress, self.repeat = concurrency, journal, progress, repeat
        # Repeats want fresh samples, so they neither read nor fill the cache.
        self.cache = cache if repeat == 1 else None
        self.error_rate = 0.0
        """Share of failed rows in the last run."""
        self.rows_made = 0
        """Rows the last run produced (resumed, cached or called), including those past a stop."""
        self._identity: dict = {}

    def run_sync(self, items: Sequence[tuple[Example, Any]], rung: str) -> pd.DataFrame:
        """`run` for scripts and worker threads that have no event loop of their own."""
        return asyncio.run(self.run(items, rung))

    async def run(self, items: Sequence[tuple[Example, Any]], rung: str, stop: Callable[[dict], bool] | None = None) -> pd.DataFrame:
        """Every item (times `repeat`) as a row of a DataFrame with `COLUMNS`, in item order (up to a `stop`)."""
        import pandas as pd

        if stop is not None and self.repeat > 1:
            raise InputError(
                Problem("sequential stopping needs one sample per item", fix="drop --repeat or pass --no-sequential", field="repeat")
            )
        self._identity = self.backend.identity
        jobs = plan_jobs(items, rung, self._identity, self.params, self.repeat)
        rows: list[dict | None] = [None] * len(jobs)
        order = InOrder(rows, stop)
        tracker = ProgressTracker(rung, len(jobs), self.progress)
        tracker.emit()
        pending = self._resume(jobs, rows, rung, tracker)
        order.advance()
        hits = self.cache.get_many([job.key for job in pending]) if self.cache else {}
        for job in pending:
            if job.key in hits and not order.stopped:
                rows[job.index] = await self._finish(job, hits[job.key], tracker)
                order.advance()
        await self._pool([job for job in pending if job.key not in hits], rows, tracker, order)
        if self.journal is not None:
            self.journal.sync()
        self.rows_made = sum(row is not None for row in rows)
        frame = pd.DataFrame(rows[: order.stopped_at] if order.stopped else rows, columns=COLUMNS)
        self.error_rate = error_rate(frame)
        return frame

    def _resume(self, jobs: list[Job], rows: list, rung: str, tracker: ProgressTracker) -> list[Job]:
        """Fill the rows the journal already holds for the same request; return the jobs still to do."""
        done = self.journal.finished(rung) if self.journal is not None else {}
        pending = []
        for job in jobs:
            request, row = done.get((job.example.key, job.repeat), (None, None))
            if request == job.key and row is not None:
                rows[job.index] = row
                tracker.add(row, fresh=False)
            else:
                pending.append(job)
        return pending

    async def _pool(self, jobs: list[Job], rows: list, tracker: ProgressTracker, order: InOrder) -> None:
        """`concurrency` workers share one iterator of jobs, so each job is taken exactly once."""
        queue = iter(jobs)

        async def worker() -> None:
            for job in queue:
                if order.stopped:  # decided: start nothing new
                    return
                rows[job.index] = await self._call(job, tracker)
                order.advance()

        workers = [asyncio.ensure_future(worker()) for _ in range(min(self.concurrency, len(jobs)))]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise

    async def _call(self, job: Job, tracker: ProgressTracker) -> dict:
        try:
            completion = await self.backend.complete(job.messages, job.params)
        except BackendError as exc:
            return self._record(job, job.error_row(str(exc)), tracker)
        if self.cache is not None:
            self.cache.put(job.key, completion, self._identity)
        return await self._finish(job, completion, tracker)

    async def _finish(self, job: Job, completion: Completion, tracker: ProgressTracker) -> dict:
        """Grade a completion (sync graders and async judges alike) into a row."""
        try:
            score = self.grader(completion.text, job.example)
            if inspect.isawaitable(score):
                score = await score
        except BackendError as exc:  # a judge backend that failed
            return self._record(job, job.error_row(f"grader: {exc}", completion.text), tracker)
        details = dict(score.details or {})
        if completion.extra:
            details["backend"] = completion.extra
        if job.context is not None:
            details["context"] = job.context
        return self._record(job, job.row(completion, score, details), tracker)

    def _record(self, job: Job, row: dict, tracker: ProgressTracker) -> dict:
        # Failed rows stay out of the journal, so that running the command again retries them.
        if self.journal is not None and row["error"] is None:
            self.journal.append(row, job.key)
        tracker.add(row)
        return row


class InOrder:
    """Hands finished rows to a stop rule in item order, whatever order they finish in.

    The order must not depend on the outcomes (slow wrong answers would otherwise arrive last and
    bias an early look), so a row waits until every row before it has finished.
    """

    def __init__(self, rows: list, stop: Callable[[dict], bool] | None):
        self.rows, self.stop = rows, stop
        self.next = 0
        self.stopped_at: int | None = None

    @property
    def stopped(self) -> bool:
        return self.stopped_at is not None

    def advance(self) -> None:
        while self.stop is not None and not self.stopped and self.next < len(self.rows) and self.rows[self.next] is not None:
            self.next += 1
            if self.stop(self.rows[self.next - 1]):
                self.stopped_at = self.next
