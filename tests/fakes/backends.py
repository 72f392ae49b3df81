"""ScriptedBackend: answers like the fake server (last word of the user text) without a network."""

from __future__ import annotations

import asyncio

from evals.backends.base import Completion, GenerationParams
from evals.errors import BackendError


class ScriptedBackend:
    """Answers the last word of the last user message; ids in `fail` raise BackendError; records every call."""

    def __init__(self, *, fail: frozenset[str] = frozenset(), delay_s: float = 0.0, model: str = "scripted"):
        self.spec = f"scripted:{model}"
        self.model = model
        self.fail = fail
        self.delay_s = delay_s
        self.calls: list[tuple[str, GenerationParams]] = []

    @property
    def identity(self) -> dict:
        return {"backend": "scripted", "model": self.model}

    async def complete(self, messages: list[dict], params: GenerationParams) -> Completion:
        words = next(m["content"] for m in reversed(messages) if m["role"] == "user").split()
        self.calls.append((words[0], params))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if words[0] in self.fail:
            raise BackendError(f"{self.spec}: HTTP 500 after 5 attempt(s)")
        return Completion(words[-1], len(words), 1, 0.001)

    def calls_for(self, key: str) -> int:
        return sum(1 for called, _ in self.calls if called == key)
