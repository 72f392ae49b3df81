"""Collect concurrent requests into batches: one worker per event loop, one batch running at a time."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

# How many batches' worth of waiting requests the worker looks at when grouping by length.
LOOKAHEAD_BATCHES = 4


@dataclass
class Pending:
    item: Any
    key: Hashable
    """Requests with different keys (e.g. sampling settings) never share a batch."""
    length: int
    future: asyncio.Future


def plan(pending: list[Pending], max_batch_size: int) -> list[list[Pending]]:
    """Split waiting requests into batches of one key each, neighbours in length, so padding stays small."""
    groups: dict[Hashable, list[Pending]] = defaultdict(list)
    for p in pending:
        groups[p.key].append(p)
    batches = []
    for group in groups.values():
        group.sort(key=lambda p: p.length)
        batches += [group[i : i + max_batch_size] for i in range(0, len(group), max_batch_size)]
    return batches


class MicroBatcher:
    """Queue `submit`ted items and run them in batches through a blocking `run(key, items) -> results`.

    `run` executes in a worker thread (asyncio.to_thread) so the event loop keeps accepting requests
    while a batch generates; the next batch is formed from whatever arrived meanwhile.
    """

    def __init__(self, run: Callable[[Any, list[Any]], list[Any]], max_batch_size: int = 16, wait_s: float = 0.002):
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be at least 1")
        self.run, self.max_batch_size, self.wait_s = run, max_batch_size, wait_s
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
        while True:
            pending = [await queue.get()]
            await asyncio.sleep(self.wait_s)  # requests submitted together arrive in the same batch
            while not queue.empty() and len(pending) < self.max_batch_size * LOOKAHEAD_BATCHES:
                pending.append(queue.get_nowait())
            for batch in plan(pending, self.max_batch_size):
                await self._run(batch)

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
