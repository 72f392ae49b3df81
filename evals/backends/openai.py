"""The `openai` backend: any OpenAI-compatible chat API through the official SDK, with our own retries.

Works with api.openai.com, vLLM, llama.cpp server, Ollama and `advisor serve`. The SDK's retries are
off: ours back off with full jitter, honour Retry-After, and give up with a `BackendError` whose
message never contains the API key.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import TYPE_CHECKING

import openai

from ..errors import BackendError, InputError, Problem
from ..secrets import register_secret
from ._breaker import Breaker
from ._retry import GaveUp, RetryPolicy, Verdict, parse_retry_after, retrying
from .base import Completion, GenerationParams
from .response_format import request_fields, unwrap
from .spec import OPENAI_URL, ModelSpec, key_env

if TYPE_CHECKING:
    from openai import AsyncStream
    from openai.types import CompletionUsage
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

DEFAULT_TIMEOUT_S = 60.0
"""Per request. A server that accepts and never answers fails the run after one timeout and one probe."""
PROBE_S = 5.0
"""How long a server that timed out gets to list its models before it counts as dead."""
DETAIL_CHARS = 300
# Local OpenAI-compatible servers ignore the key, but the SDK refuses to start without one.
PLACEHOLDER_KEY = "no-key-needed"
TRANSIENT_STATUS = {408, 409, 425, 429}


class MalformedResponse(Exception):
    """The server said 200 but the body is not a chat completion."""


class NotStreamed(Exception):
    """A streamed request came back without a single chunk: the server ignores `stream`, so asking again will not help."""


class OpenAIBackend:
    """Chat completions from an OpenAI-compatible server, `concurrency` requests in flight at most."""

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str | None = None,
        api_key_env: str | None = None,
        max_retries: int = 4,
        timeout: float | None = None,
        concurrency: int | None = None,
        backoff_s: float = 0.5,
        backoff_max_s: float = 30.0,
        retry_after_max_s: float = 60.0,
        token_param: str | None = None,
        trip_after: int = 4,
    ):
        self.base_url = (base_url or OPENAI_URL).rstrip("/")
        # The environment's key goes only to the OpenAI API itself, or where the scenario names its variable.
        self.api_key_env = key_env(ModelSpec("openai", model, base_url), api_key_env)
        self._api_key = _api_key(self.api_key_env) if self.api_key_env else None
        register_secret(self._api_key)
        self.policy = RetryPolicy(max_retries, backoff_s, backoff_max_s, retry_after_max_s)
        self.timeout = timeout or DEFAULT_TIMEOUT_S
        self.concurrency = concurrency or 8
        self.breaker = Breaker(trip_after)
        # OpenAI's newer models only take max_completion_tokens; most other servers only max_tokens.
        self.token_param = token_param or ("max_completion_tokens" if base_url is None else "max_tokens")
        self.model = model or self._first_model()
        self.spec = f"openai:{self.model}" if base_url is None else f"openai:{self.base_url}#{self.model}"
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def identity(self) -> dict:
        return {"backend": "openai", "base_url": self.base_url, "model": self.model}

    async def complete(self, messages: list[dict], params: GenerationParams) -> Completion:
        """One chat completion, retried on rate limits, server errors, timeouts and malformed bodies."""
        return await self._complete(messages, params, streamed=False)

    async def complete_streamed(self, messages: list[dict], params: GenerationParams) -> Completion:
        """As `complete`, asked with `stream=True` (and the usage in the last chunk): `ttft_s` is the time to the first
        text. A server that does not stream fails the call (BackendError)."""
        return await self._complete(messages, params, streamed=True)

    async def _complete(self, messages: list[dict], params: GenerationParams, *, streamed: bool) -> Completion:
        client, slots = self._session()
        request = self._request(messages, params)
        attempts = 0

        async def attempt() -> Completion:
            nonlocal attempts
            attempts += 1
            async with slots:
                self.breaker.check()
                start = time.perf_counter()
                try:
                    completion = await (_streamed(client, request, start) if streamed else _answered(client, request, start))
                except openai.APITimeoutError:
                    await self._probe(client)
                    raise
            self.breaker.success()
            return completion

        try:
            completion = await retrying(attempt, self.policy, self.breaker.watch(_classify, _signature))
        except GaveUp as failure:
            raise BackendError(self._describe(failure)) from None  # the cause may quote the key
        if attempts > 1:
            completion.extra["retries"] = attempts - 1
        if params.structure is not None:
            completion.extra["constrained"] = "response_format" in request or "extra_body" in request
            completion.text = unwrap(params.structure, completion.text)
        return completion

    async def _probe(self, client: openai.AsyncOpenAI) -> None:
        """After a timeout: a server that lists no models within PROBE_S either is not answering at all."""
        if self.breaker.answered:
            return
        try:
            await client.models.list(timeout=min(PROBE_S, self.timeout))
        except openai.OpenAIError as exc:
            self.breaker.trip(
                f"no answer to a request within {self.timeout:g} s, nor to GET /models after it "
                f"({_signature(exc)}): the server is not answering, so retrying stopped (if it is only slow, raise --timeout)"
            )

    def _session(self) -> tuple[openai.AsyncOpenAI, asyncio.Semaphore]:
        """The SDK client and the semaphore for the running event loop (each `asyncio.run` gets its own)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._client = openai.AsyncOpenAI(
                api_key=self._api_key or PLACEHOLDER_KEY, base_url=self.base_url, max_retries=0, timeout=self.timeout
            )
            self._slots = asyncio.Semaphore(self.concurrency)
            self._loop = loop
        return self._client, self._slots

    def _request(self, messages: list[dict], params: GenerationParams) -> dict:
        request = {"model": self.model, "messages": messages, "temperature": params.temperature, self.token_param: params.max_tokens}
        if params.stop:
            request["stop"] = list(params.stop)
        if params.seed is not None:
            request["seed"] = params.seed
        if params.structure is not None:
            request.update(request_fields(params.structure))
        return request

    def _first_model(self) -> str:
        """The first model the server lists, for specs that name a server but no model."""
        client = openai.OpenAI(api_key=self._api_key or PLACEHOLDER_KEY, base_url=self.base_url, max_retries=1, timeout=self.timeout)
        try:
            models = [m.id for m in client.models.list().data]
        except openai.OpenAIError as exc:
            raise BackendError(self._redact(f"could not list the models at {self.base_url}: {exc}")) from None
        finally:
            client.close()
        if not models:
            raise InputError(
                Problem(f"the server at {self.base_url} lists no models", fix=f"name one: openai:{self.base_url}#MODEL", field="model")
            )
        return models[0]

    def _describe(self, failure: GaveUp) -> str:
        cause = failure.cause
        if isinstance(cause, BackendError) or self.breaker.tripped:  # the breaker: its reason says it all
            return self._redact(f"{self.spec}: {self.breaker.reason}; last error: {_signature(cause)}")
        status = getattr(cause, "status_code", None)
        what = f"HTTP {status}" if status else type(cause).__name__
        hint = ""
        if status in (401, 403):
            hint = (
                f"; check the key in ${self.api_key_env}"
                if self.api_key_env
                else "; this server wants a key: name its environment variable in model_options.api_key_env"
            )
        detail = self._redact(str(cause))[:DETAIL_CHARS]  # redact first: a cut key would slip through
        return f"{self.spec}: {what} after {failure.attempts} attempt(s): {detail}{hint}"

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text


def _api_key(env: str) -> str:
    key = os.environ.get(env)
    if not key:
        raise InputError(
            Problem(
                f"${env} is not set",
                fix=f"export {env}=... (or point `model` at a local server: openai:http://127.0.0.1:8000/v1#MODEL)",
                field="model",
            )
        )
    return key


def _signature(exc: BaseException) -> str:
    """How a call failed, for the breaker: the HTTP status, else the exception's type."""
    status = getattr(exc, "status_code", None)
    return f"HTTP {status}" if status else type(exc).__name__


async def _answered(client: openai.AsyncOpenAI, request: dict, start: float) -> Completion:
    response = await client.chat.completions.create(**request)
    return _completion(response, time.perf_counter() - start)


def _completion(response: ChatCompletion, latency_s: float) -> Completion:
    """Text and token usage from a chat completion; usage counts 0 with a flag when the server omits it."""
    choices = getattr(response, "choices", None)
    if not choices or getattr(choices[0], "message", None) is None:
        raise MalformedResponse("the response has no choices[0].message")
    return _counted(choices[0].message.content or "", getattr(response, "usage", None), latency_s)


async def _streamed(client: openai.AsyncOpenAI, request: dict, start: float) -> Completion:
    """The streamed answer joined from its chunks, timed to its first text and to its end."""
    stream: AsyncStream[ChatCompletionChunk] = await client.chat.completions.create(
        **request, stream=True, stream_options={"include_usage": True}
    )
    pieces: list[str] = []
    first, usage, chunks = None, None, 0
    async with stream:
        async for chunk in stream:
            chunks += 1
            usage = chunk.usage or usage
            text = chunk.choices[0].delta.content if chunk.choices else None
            if text:
                first = time.perf_counter() - start if first is None else first
                pieces.append(text)
    if not chunks:
        raise NotStreamed("the server answered stream=true with no chunks: it does not stream")
    completion = _counted("".join(pieces), usage, time.perf_counter() - start)
    completion.ttft_s = first
    return completion


def _counted(text: str, usage: CompletionUsage | None, latency_s: float) -> Completion:
    prompt, output = getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None)
    if prompt is None or output is None:
        return Completion(text, 0, 0, latency_s, extra={"usage_missing": True})
    return Completion(text, int(prompt), int(output), latency_s)


def _classify(exc: BaseException) -> Verdict | None:
    """Final: the breaker tripped, or the server does not stream. Transient: 408/409/425/429, 5xx, timeouts, dropped connections, malformed bodies. Other API errors are final."""
    if isinstance(exc, (BackendError, NotStreamed)):
        return Verdict(False)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        transient = status in TRANSIENT_STATUS or status >= 500
        return Verdict(transient, parse_retry_after(exc.response.headers) if transient else None)
    if isinstance(exc, (openai.APIConnectionError, openai.APIResponseValidationError, MalformedResponse, json.JSONDecodeError)):
        return Verdict(True)
    if isinstance(exc, openai.OpenAIError):
        return Verdict(False)
    return None
