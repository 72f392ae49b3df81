"""Failing fast: a backend that has never answered and fails every attempt the same way is down, not flaky."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import BackendError
from ._retry import Verdict


class Breaker:
    """Trips when the first `trip_after` attempts all failed the same way; after one success it never trips.

    Once tripped, every call fails at once with the cause, so that a dead server ends the run in about
    one request timeout and one retry instead of retrying every row.
    """

    def __init__(self, trip_after: int = 4):
        self.trip_after = trip_after
        self.answered = False
        self.failures: list[str] = []
        self._reason: str | None = None

    @property
    def tripped(self) -> bool:
        return self.reason is not None

    @property
    def reason(self) -> str | None:
        """Why calls stopped, once tripped."""
        if self._reason is not None:
            return self._reason
        if self.answered or len(self.failures) < self.trip_after or len(set(self.failures)) != 1:
            return None
        return (
            f"the first {len(self.failures)} attempts all failed the same way ({self.failures[0]}) and none succeeded: "
            "the server is down or refusing every request, so retrying stopped"
        )

    def trip(self, reason: str) -> None:
        """Stop now: the caller found the backend dead (e.g. it answers nothing at all)."""
        if not self.answered:
            self._reason = reason

    def check(self) -> None:
        """Raise instead of calling a backend that is down."""
        if self.tripped:
            raise BackendError(self.reason)

    def success(self) -> None:
        self.answered = True

    def failure(self, signature: str) -> None:
        if not self.answered:
            self.failures.append(signature)

    def watch(
        self, classify: Callable[[BaseException], Verdict | None], signature: Callable[[BaseException], str]
    ) -> Callable[[BaseException], Verdict | None]:
        """`classify`, noting each failure; once tripped, no failure is worth another try."""

        def noted(exc: BaseException) -> Verdict | None:
            verdict = classify(exc)
            if verdict is not None and not isinstance(exc, BackendError):
                self.failure(signature(exc))
            if verdict is not None and self.tripped:
                return Verdict(False)
            return verdict

        return noted
