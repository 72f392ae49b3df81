"""The `endpoint` backend: a team's own HTTP service, asked with a JSON body rendered from each example.

Headers may name environment variables (`Authorization: "Bearer ${OUR_KEY}"`). Their values, like the OpenAI
backend's key, are registered as secrets so that every writer masks them, and go only to the url's own host:
redirects are not followed. Retries, backoff and the circuit breaker are the OpenAI backend's: a dead endpoint
fails every call within about a second (connection refused) or one `timeout` (accepts and never answers).
"""

from __future__ import annotations

import asyncio
import copy
import time
from urllib.parse import urlsplit

import httpx

from ..errors import BackendError, InputError, Problem
from ..secrets import redact
from ._breaker import Breaker
from ._endpoint_template import MissingAnswer, check_body, fill_env, parse_output, read_output, render_body, shown_url
from ._retry import GaveUp, RetryPolicy, Verdict, parse_retry_after, retrying
from .base import Completion, GenerationParams

DEFAULT_TIMEOUT_S = 60.0
DETAIL_CHARS = 300
TRANSIENT_STATUS = {408, 409, 425, 429}


class StatusFailure(Exception):
    """The endpoint answered with a status other than 2xx."""

    def __init__(self, response: httpx.Response):
        super().__init__(f"HTTP {response.status_code}")
        self.status = response.status_code
        self.headers = response.headers
        self.text = response.text


class EndpointBackend:
    """POSTs `body` (with `{{input}}`, `{{system}}`, `"{{messages}}"` filled in) to `url`; the answer is at `output`.

    Every mistake in url, body, output path and headers is reported at once, as an InputError, before anything
    is sent. `concurrency` bounds the requests in flight; `trip_after` is the circuit breaker's threshold.
    """

    def __init__(
        self,
        url: str,
        body: dict,
        output: str,
        headers: dict[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        *,
        max_retries: int = 4,
        backoff_s: float = 0.5,
        backoff_max_s: float = 30.0,
        retry_after_max_s: float = 60.0,
        concurrency: int | None = None,
        trip_after: int = 4,
    ):
        problems: list[Problem] = []
        _check_url(url, problems)
        check_body(body, problems)
        self.output = parse_output(output, problems)
        self._url = fill_env(url, "url", problems)
        self._headers = {name: fill_env(str(value), f"headers.{name}", problems) for name, value in (headers or {}).items()}
        if problems:
            raise InputError(problems)
        self.url = shown_url(url)
        self.body = copy.deepcopy(body)
        self.spec = f"endpoint:{self.url}"
        self._identity = {"backend": "endpoint", "url": self.url, "body": self.body, "output": str(output).strip()}
        self.timeout = timeout
        self.policy = RetryPolicy(max_retries, backoff_s, backoff_max_s, retry_after_max_s)
        self.concurrency = concurrency or 8
        self.breaker = Breaker(trip_after)
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def identity(self) -> dict:
        """The url, body template and output path; not the headers, so that a new key keeps the cache."""
        return copy.deepcopy(self._identity)

    async def complete(self, messages: list[dict], params: GenerationParams) -> Completion:
        """One POST, retried on connection errors, timeouts, 408/409/425/429 and 5xx; `params` are the endpoint's own business."""
        client, slots = self._session()
        payload = render_body(self.body, messages)
        attempts = 0

        async def attempt() -> Completion:
            nonlocal attempts
            attempts += 1
            async with slots:
                self.breaker.check()
                start = time.perf_counter()
                response = await client.post(self._url, json=payload, headers=self._headers)
                latency = time.perf_counter() - start
            if not response.is_success:
                raise StatusFailure(response)
            self.breaker.success()  # it answered: whatever the body holds, the endpoint is up
            return Completion(_answer(response, self.output), 0, 0, latency, extra={"usage_missing": True})

        try:
            completion = await retrying(attempt, self.policy, self.breaker.watch(_classify, _signature))
        except GaveUp as failure:
            raise BackendError(self._describe(failure.cause, failure.attempts)) from None
        except MissingAnswer as exc:
            raise BackendError(self._say(str(exc))) from None
        if attempts > 1:
            completion.extra["retries"] = attempts - 1
        return completion

    def _session(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        """The client and the semaphore for the running event loop (each `asyncio.run` gets its own)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
            self._slots = asyncio.Semaphore(self.concurrency)
            self._loop = loop
        return self._client, self._slots

    def _describe(self, cause: BaseException, attempts: int) -> str:
        if isinstance(cause, BackendError):  # the breaker stopped this call before it was sent: its reason says it all
            return self._say(str(cause))
        if self.breaker.tripped:
            return self._say(f"{self.breaker.reason}; last error: {_detail(cause)}")
        return self._say(f"{_detail(cause)} (after {attempts} attempt(s))")

    def _say(self, text: str) -> str:
        return redact(f"POST {self.url}: {text}")  # whatever the endpoint echoed, keys come out masked


def _answer(response: httpx.Response, output: tuple[str | int, ...]) -> str:
    try:
        data = response.json()
    except ValueError:
        raise MissingAnswer(f"response is not JSON: {response.text[:80]!r}") from None
    return read_output(data, output)


def _check_url(url: str, problems: list[Problem]) -> None:
    fix = "give the full address, e.g. http://127.0.0.1:8080/answer or https://rag.internal.example/answer"
    try:
        parts = urlsplit(str(url))
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError as exc:
        problems.append(Problem(f"'{url}' is not a valid url: {exc}", fix=fix, field="url"))
        return
    if parts.scheme not in ("http", "https"):
        problems.append(Problem(f"'{url}' is not an http or https url", fix=fix, field="url"))
    elif not parts.hostname:
        problems.append(Problem(f"'{url}' names no host", fix=fix, field="url"))


def _detail(exc: BaseException) -> str:
    """What went wrong in a line: the status and the start of the body, or the connection error."""
    if isinstance(exc, StatusFailure):
        if 300 <= exc.status < 400:
            where = exc.headers.get("location", "elsewhere")
            return f"HTTP {exc.status} redirect to {where} not followed (headers go only to the url's host): point url at the final address"
        return f"HTTP {exc.status}: {redact(exc.text)[:DETAIL_CHARS]}"  # redact first: a cut key would slip through
    said = redact(str(exc))[:DETAIL_CHARS]
    return f"{type(exc).__name__}: {said}" if said else type(exc).__name__


def _signature(exc: BaseException) -> str:
    """How a call failed, for the breaker: the HTTP status, else the exception's type."""
    return f"HTTP {exc.status}" if isinstance(exc, StatusFailure) else type(exc).__name__


def _classify(exc: BaseException) -> Verdict | None:
    """Transient: connection errors, timeouts, 408/409/425/429 and 5xx. Final: the breaker, other statuses. None: a bad body."""
    if isinstance(exc, BackendError):
        return Verdict(False)
    if isinstance(exc, StatusFailure):
        transient = exc.status in TRANSIENT_STATUS or exc.status >= 500
        return Verdict(transient, parse_retry_after(exc.headers) if transient else None)
    if isinstance(exc, httpx.TransportError):
        return Verdict(True)
    if isinstance(exc, httpx.HTTPError):
        return Verdict(False)
    return None  # MissingAnswer: the endpoint answered, so it neither retries nor counts towards the breaker
