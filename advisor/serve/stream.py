"""A chat completion streamed as OpenAI streams one: server-sent events of chat.completion.chunk objects.

The events: a chunk with the role, one per piece of text as the model generates it, one with the finish reason,
with `stream_options.include_usage` a last one with the usage and no choices, then `data: [DONE]`. An error after
the first event can no longer change the status, so it goes out as an event of its own (`{"error": {...}}`), which
the openai SDK raises.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from evals.backends.base import Completion
from evals.errors import BackendError

DONE = b"data: [DONE]\n\n"


def event(data: dict) -> bytes:
    """One server-sent event carrying `data` as JSON."""
    return f"data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


def usage(completion: Completion) -> dict:
    """OpenAI's usage object for a completion."""
    total = completion.input_tokens + completion.output_tokens
    return {"prompt_tokens": completion.input_tokens, "completion_tokens": completion.output_tokens, "total_tokens": total}


@dataclass
class Chunks:
    """The chat.completion.chunk objects of one streamed answer (one id and creation time for all of them)."""

    model: str
    include_usage: bool = False
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex}")
    created: int = field(default_factory=lambda: int(time.time()))

    def chunk(self, choices: list[dict], usage: dict | None = None) -> bytes:
        body: dict = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model}
        body.update(system_fingerprint=None, choices=choices)
        if self.include_usage:  # null on every chunk but the last, as OpenAI sends it
            body["usage"] = usage
        return event(body)

    def delta(self, delta: dict, finish_reason: str | None = None) -> bytes:
        return self.chunk([{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}])

    def start(self) -> bytes:
        return self.delta({"role": "assistant", "content": ""})

    def text(self, piece: str) -> bytes:
        return self.delta({"content": piece})

    def end(self, completion: Completion) -> list[bytes]:
        """The finish chunk, the usage chunk when asked for, and [DONE]."""
        finish = self.delta({}, completion.extra.get("finish_reason", "stop"))
        return [finish, *([self.chunk([], usage(completion))] if self.include_usage else []), DONE]


class TextStream:
    """A completion running in its own task, its pieces of text queued as the backend hands them over."""

    def __init__(self, complete: Callable[[Callable[[str], None]], Awaitable[Completion]]):
        """`complete(on_text)` runs the completion, calling `on_text` on this loop with each piece."""
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._task = asyncio.ensure_future(complete(self._queue.put_nowait))
        self._task.add_done_callback(lambda _: self._queue.put_nowait(None))  # after every piece: they were queued first
        self._first: str | None = None

    async def started(self) -> None:
        """Wait for the first piece or the end; a completion that failed before any text raises its error here,
        while the status of the response can still say so."""
        self._first = await self._queue.get()
        if self._first is None:
            self._task.result()

    async def pieces(self) -> AsyncIterator[str]:
        piece = self._first
        while piece is not None:
            yield piece
            piece = await self._queue.get()

    async def completion(self) -> Completion:
        return await self._task

    def cancel(self) -> None:
        """The client went away: stop waiting (its batch generates on for the other requests in it)."""
        self._task.cancel()


async def events(stream: TextStream, chunks: Chunks) -> AsyncIterator[bytes]:
    """The response body of a started stream."""
    try:
        yield chunks.start()
        async for piece in stream.pieces():
            yield chunks.text(piece)
        for body in chunks.end(await stream.completion()):
            yield body
    except BackendError as exc:
        yield event({"error": {"message": str(exc), "type": "server_error", "param": None, "code": None}})
    finally:
        stream.cancel()
