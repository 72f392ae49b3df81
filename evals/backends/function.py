"""The `function` backend: a team's own pipeline, as a Python function, measured on the ladder like a model.

The function takes the chat messages (`[{"role", "content"}, ...]`: the system and user turns) and returns the
answer text; it may be sync or async. A sync function runs in a daemon thread of its own, so it cannot block the
event loop, and one that never returns can neither hold up the end of the run nor fill a shared thread pool.
An async one runs on the loop and must not block it. What the function prints goes to the terminal as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from ..errors import BackendError
from ..secrets import redact
from ._target import resolve_target, source_sha256
from .base import Completion, GenerationParams

__all__ = ["DEFAULT_TIMEOUT_S", "FunctionBackend", "resolve_target"]

DEFAULT_TIMEOUT_S = 60.0
DETAIL_CHARS = 300


class FunctionBackend:
    """Answers from `target` ("module:function"), imported from `base_dir` (the scenario's folder) or the Python path.

    Each call must return within `timeout` seconds (None: no bound). A call that times out, raises or returns
    anything but a string fails that item with a BackendError saying which; the other items go on.
    The identity holds a hash of the source files, so a changed pipeline is not answered from the cache
    (data files it reads, such as an index, are not hashed).
    """

    def __init__(self, target: str, base_dir: Path | None = None, timeout: float | None = DEFAULT_TIMEOUT_S):
        self.target = target.strip()
        self.timeout = timeout
        self.function = resolve_target(self.target, base_dir)
        self.spec = f"function:{self.target}"
        self._identity = {"backend": "function", "target": self.target, "source_sha256": source_sha256(self.function, base_dir)}

    @property
    def identity(self) -> dict:
        return dict(self._identity)

    async def complete(self, messages: list[dict], params: GenerationParams) -> Completion:
        """The function's answer to the messages; `params` are not the function's to honour."""
        turns = [{"role": m["role"], "content": m["content"]} for m in messages]  # a copy it may change freely
        start = time.perf_counter()
        try:
            answer = await asyncio.wait_for(self._call(turns), self.timeout)
        except asyncio.TimeoutError:
            raise BackendError(f"{self.target} did not return within {self.timeout:g} s") from None
        except _Raised as raised:
            raise BackendError(self._describe(raised.cause)) from None
        latency = time.perf_counter() - start
        if not isinstance(answer, str):
            raise BackendError(f"{self.target} returned {type(answer).__name__}, not str")
        return Completion(answer, 0, 0, latency, extra={"usage_missing": True})

    async def _call(self, turns: list[dict]) -> object:
        """The function's result; whatever it raised, wrapped so that it is told apart from our own timeout."""
        try:
            if inspect.iscoroutinefunction(self.function):
                return await self.function(turns)
            result = await _in_daemon_thread(self.function, turns)
            return await result if inspect.isawaitable(result) else result  # e.g. an object with an async __call__
        except (Exception, SystemExit) as exc:  # sys.exit() in the pipeline fails the item, not the run
            raise _Raised(exc) from exc

    def _describe(self, exc: BaseException) -> str:
        said = f": {exc}" if str(exc) else ""
        return redact(f"{self.target} raised {type(exc).__name__}{said}")[:DETAIL_CHARS]  # redact first: a cut key would slip through


class _Raised(Exception):
    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


def _in_daemon_thread(function: Callable, *args: object) -> Awaitable:
    """`function(*args)` in a new daemon thread, as a future of the running loop (`asyncio.to_thread` without its pool)."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    context = contextvars.copy_context()

    def settle(result: object, error: BaseException | None) -> None:
        if future.done():  # timed out and cancelled meanwhile
            return
        if isinstance(error, StopIteration):  # a future cannot hold one; a coroutine would turn it into this too
            error = RuntimeError(f"{type(error).__name__} escaped the function")
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        try:
            outcome: tuple[object, BaseException | None] = (context.run(function, *args), None)
        except BaseException as exc:  # handed to the awaiting side, which decides what it means
            outcome = (None, exc)
        with contextlib.suppress(RuntimeError):  # the loop closed while the function ran: nobody is waiting
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=run, name=f"function-backend-{getattr(function, '__name__', 'call')}", daemon=True).start()
    return future
