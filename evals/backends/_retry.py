"""When and how long to wait before asking a backend again: exponential backoff with full jitter."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry and how long to wait; `Retry-After` from the server wins, up to a cap."""

    max_retries: int = 4
    backoff_s: float = 0.5
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 60.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (0-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_max_s)
        # Full jitter (AWS architecture blog): spreads synchronized clients over the whole window.
        return random.uniform(0.0, min(self.backoff_max_s, self.backoff_s * 2**attempt))


@dataclass(frozen=True)
class Verdict:
    """What a failure means: worth another try (`transient`) and how long the server asked us to wait."""

    transient: bool
    retry_after: float | None = None


class GaveUp(Exception):
    """The call failed for good: a permanent error, or transient ones until the retries ran out."""

    def __init__(self, cause: BaseException, attempts: int):
        super().__init__(f"gave up after {attempts} attempt(s)")
        self.cause = cause
        self.attempts = attempts


async def retrying(call: Callable[[], Awaitable[T]], policy: RetryPolicy, classify: Callable[[BaseException], Verdict | None]) -> T:
    """Await `call()` until it succeeds, retrying what `classify` calls transient; errors it does not know propagate."""
    for attempt in range(policy.max_retries + 1):
        try:
            return await call()
        except Exception as exc:
            verdict = classify(exc)
            if verdict is None:
                raise
            if not verdict.transient or attempt == policy.max_retries:
                raise GaveUp(exc, attempt + 1) from exc
            await asyncio.sleep(policy.delay(attempt, verdict.retry_after))
    raise AssertionError("unreachable")


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait: `retry-after-ms`, or `Retry-After` as seconds or an HTTP date."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)
