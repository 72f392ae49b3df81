"""Collect concurrent requests into batches: one worker per event loop, one batch running at a time."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

# How many batches' worth of waiting requests the worker looks at when grouping by length.
LOOKAHEAD_BATCHES = 4
# The longest the first waiting request is held while more keep arriving.
MAX_GATHER_S = 0.05


@dataclass
class Pending:
    item: Any
    key: Hashable
    """Requests with different keys (e.g. sampling settings) never share a batch."""
    length: int
    future: asyncio.Future
    held: bool = False
    """Already passed over once to fill a later batch; it runs in the next one whatever its size."""


def plan(pending: list[Pending], max_batch_size: int, max_batch_tokens: int | None = None) -> list[list[Pending]]:
    """Split waiting requests into batches of one key each, neighbours in length, so padding stays small.

    With `max_batch_tokens`, a batch also stops growing before its rows, padded to the longest, would pass that
    many tokens (a single longer request still runs, alone).
    """
    groups: dict[Hashable, list[Pending]] = defaultdict(list)
    for p in pending:
        groups[p.key].append(p)
    batches: list[list[Pending]] = []
    for group in groups.values():
        group.sort(key=lambda p: p.length)
        batch: list[Pending] = []
        for p in group:  # ascending lengths: the newest row is the longest
            full = len(batch) == max_batch_size or (max_batch_tokens is not None and (len(batch) + 1) * p.length > max_batch_tokens)
            if batch and full:
                batches.append(batch)
                batch = []
            batch.append(p)
        batches += [batch] if batch else []
    return batches


IDLE_S = 5.0
"""A worker with no request for this long ends (the next request starts another)."""


class MicroBatcher:
    """Queue `submit`ted items and run them in batches through a blocking `run(key, items) -> results`.

    `run` executes in a worker thread (asyncio.to_thread) so the event loop keeps accepting requests
    while a batch generates; the next batch is formed from whatever arrived meanwhile.
    """

    def __init__(
        self,
        run: Callable[[Any, list[Any]], list[Any]],
        max_batch_size: int = 16,
        wait_s: float = 0.002,
        max_batch_tokens: int | None = None,
    ):
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be at least 1")
        self.run, self.max_batch_size, self.wait_s, self.max_batch_tokens = run, max_batch_size, wait_s, max_batch_tokens
        # A queue belongs to one event loop: each loop using this batcher (asyncio.run twice, a server
        # thread beside a script) gets its own queue and worker; the caller's lock keeps runs one at a time.
        self._workers: dict[asyncio.AbstractEventLoop, tuple[asyncio.Queue, asyncio.Task]] = {}

    async def submit(self, item: Any, key: Hashable, length: int) -> Any:
        """Wait for `item`'s result; it runs with other items of the same key submitted around the same time."""
        queue = self._queue_for_running_loop()
        future = asyncio.get_running_loop().create_future()
        queue.put_nowait(Pending(item, key, length, future))
        return await future

    def _queue_for_running_loop(self) -> asyncio.Queue:
        loop = asyncio.get_running_loop()
        for closed in [other for other in list(self._workers) if other.is_closed()]:
            self._workers.pop(closed, None)
        queue, worker = self._workers.get(loop, (None, None))
        if queue is None or worker is None or worker.done():
            queue = asyncio.Queue()
            self._workers[loop] = (queue, loop.create_task(self._work(queue)))
        return queue

    async def _work(self, queue: asyncio.Queue) -> None:
        held: list[Pending] = []
        while True:
            if not held:
                try:  # a timeout, not a bare wait: the loop's timer keeps an idle worker reachable, so it is never
                    # collected while pending (a batcher dropped with its backend), and it ends once idle
                    first = await asyncio.wait_for(queue.get(), IDLE_S)
                except asyncio.TimeoutError:
                    if queue.empty():
                        self._workers.pop(asyncio.get_running_loop(), None)  # the next submit starts a new one
                        return
                    continue
            pending = held or [first]
            await self._gather(queue, pending)
            held = []
            for batch in plan(pending, self.max_batch_size, self.max_batch_tokens):
                if len(batch) < self.max_batch_size and not queue.empty() and not any(p.held for p in batch):
                    # Requests arrived while the full batches ran: this part-full one waits once to join them.
                    for p in batch:
                        p.held = True
                    held += batch
                else:
                    await self._run(batch)

    async def _gather(self, queue: asyncio.Queue, pending: list[Pending]) -> None:
        """Take requests until `wait_s` passes with none arriving, the lookahead is full, or MAX_GATHER_S is up.

        A caller submitting many requests (the runner) needs more than one `wait_s` to submit them all;
        stopping at the first would run a part-full batch before the full ones (64 items made batches
        of 16, 10, 16, 16, 6 instead of four of 16 on a busy machine).
        """
        loop = asyncio.get_running_loop()
        limit, deadline = self.max_batch_size * LOOKAHEAD_BATCHES, loop.time() + MAX_GATHER_S
        while True:
            await asyncio.sleep(self.wait_s)
            arrived = 0
            while not queue.empty() and len(pending) < limit:
                pending.append(queue.get_nowait())
                arrived += 1
            if not arrived or len(pending) >= limit or loop.time() >= deadline:
                return

    async def _run(self, batch: list[Pending]) -> None:
        live = [p for p in batch if not p.future.done()]  # a caller may have given up (cancelled)
        if not live:
            return
        try:
            results = await asyncio.to_thread(self.run, live[0].key, [p.item for p in live])
        except Exception as exc:  # the callers see the failure; the worker serves the next batch
            results = [exc] * len(live)
        for p, result in zip(live, results):
            if p.future.done():
                continue
            if isinstance(result, Exception):
                p.future.set_exception(result)
            else:
                p.future.set_result(result)
