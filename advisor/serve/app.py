"""An OpenAI-compatible HTTP API over a local backend, so any OpenAI client can call the model and its adapter.

Differences from OpenAI, chosen for reproducible evals: an omitted `temperature` means greedy (0), and
an omitted `max_tokens` means 512. Only `n=1` is served. `stream=true` streams the text as the model generates
it (advisor.serve.stream), the same text a plain request gets.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from advisor.serve.guard import DEFAULT_MAX_BODY_BYTES, BodyTooLarge, Guard
from advisor.serve.stream import Chunks, TextStream, events, usage
from evals.backends.base import Backend, Completion, GenerationParams, Structure
from evals.backends.response_format import from_request
from evals.errors import BackendError, InputError

DEFAULT_MAX_TOKENS = 512
ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict] | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool | None = None
    """Send a last chunk with the usage (and no choices) before [DONE]."""


class ChatRequest(BaseModel):
    """The subset of OpenAI's chat completion request that a local model can honour."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    stop: str | list[str] | None = None
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    n: int | None = 1
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    response_format: dict | None = None
    """OpenAI's structured output: {type: json_schema, json_schema: {schema}} or {type: json_object}; vLLM's
    guided_choice / guided_json / guided_regex fields are honoured too."""


class RequestProblem(Exception):
    """A request we refuse, answered in OpenAI's error shape."""

    def __init__(self, message: str, param: str | None = None, status: int = 400, code: str | None = None):
        super().__init__(message)
        self.message, self.param, self.status, self.code = message, param, status, code


def served_models(backend: Backend) -> dict[str, bool]:
    """Model ids this server answers to, each mapped to whether it uses the adapter (listed first)."""
    name = getattr(backend, "model_name", backend.spec.split(":", 1)[-1])
    adapter = getattr(backend, "adapter", None)
    ids = {Path(adapter).resolve().name: True} if adapter else {}
    ids[Path(name).name if Path(name).exists() else name] = False
    return ids


def to_messages(request: ChatRequest) -> list[dict]:
    """Plain role/content dicts; text parts are joined, anything else is refused."""
    messages = []
    for i, m in enumerate(request.messages):
        if m.role not in ROLES:
            raise RequestProblem(f"role '{m.role}' is not supported (use system, user or assistant)", f"messages[{i}].role")
        content = m.content or ""
        if isinstance(content, list):
            if any(part.get("type") != "text" for part in content):
                raise RequestProblem("only text content parts are supported", f"messages[{i}].content")
            content = "".join(str(part.get("text", "")) for part in content)
        messages.append({"role": ROLES[m.role], "content": content})
    return messages


def to_params(request: ChatRequest) -> GenerationParams:
    """GenerationParams from the request, refusing what the local backend cannot do."""
    if request.n not in (None, 1):
        raise RequestProblem("only n=1 is supported; send several requests instead (they are batched)", "n")
    if request.stream_options is not None and not request.stream:
        raise RequestProblem("stream_options is only allowed with stream=true", "stream_options")
    stop = [request.stop] if isinstance(request.stop, str) else list(request.stop or [])
    if any(not s for s in stop):
        raise RequestProblem("stop strings must not be empty", "stop")
    max_tokens = request.max_completion_tokens or request.max_tokens or DEFAULT_MAX_TOKENS
    return GenerationParams(
        max_tokens=max_tokens, temperature=request.temperature or 0.0, stop=tuple(stop), seed=request.seed, structure=to_structure(request)
    )


def to_structure(request: ChatRequest) -> Structure | None:
    """The answer format the request asks for, refused (400) when the grammar engine cannot compile it."""
    from evals.backends.grammar import grammar_problem

    try:
        structure = from_request(request.response_format, request.model_extra or {})
    except ValueError as exc:
        raise RequestProblem(str(exc), "response_format") from None
    problem = grammar_problem(structure) if structure is not None else None
    if problem:
        raise RequestProblem(f"cannot constrain the answer to this format: {problem}", "response_format")
    return structure


def completion_body(model_id: str, completion: Completion) -> dict:
    """A chat.completion object in OpenAI's shape."""
    choice = {
        "index": 0,
        "message": {"role": "assistant", "content": completion.text},
        "finish_reason": completion.extra.get("finish_reason", "stop"),
        "logprobs": None,
    }
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_id,
        "choices": [choice],
        "usage": usage(completion),
    }


async def answer(backend: Backend, request: ChatRequest, options: dict[str, Any]) -> dict | StreamingResponse:
    """The completion's body, or its stream once the first text is ready (an error before it still has its status)."""
    messages, params = to_messages(request), to_params(request)
    if not request.stream:
        return completion_body(request.model, await backend.complete(messages, params, **options))
    stream = TextStream(lambda on_text: backend.complete(messages, params, **{**options, "on_text": on_text}))
    await stream.started()
    chunks = Chunks(request.model, bool(request.stream_options and request.stream_options.include_usage))
    return StreamingResponse(events(stream, chunks), media_type="text/event-stream")


def error_body(message: str, kind: str, param: str | None = None, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def create_app(backend: Backend, *, api_key: str | None = None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Guard:
    """The app serving `backend` (a LocalBackend); concurrent requests share its generate batches.

    With `api_key`, every route but /health wants `Authorization: Bearer api_key`; bodies over
    `max_body_bytes` are refused with 413.
    """
    app = FastAPI(title="advisor serve", version="1")
    models = served_models(backend)
    created = int(time.time())

    @app.exception_handler(RequestProblem)
    async def refused(request: Request, exc: RequestProblem) -> JSONResponse:
        return JSONResponse(error_body(exc.message, "invalid_request_error", exc.param, exc.code), status_code=exc.status)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return JSONResponse(error_body(str(exc), "invalid_request_error", code="request_too_large"), status_code=413)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"][1:]) or None
        return JSONResponse(error_body(f"{param}: {first['msg']}", "invalid_request_error", param), status_code=400)

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "models": list(models)}

    @app.get("/v1/models")
    async def list_models() -> dict:
        data = [{"id": m, "object": "model", "created": created, "owned_by": "advisor"} for m in models]
        return {"object": "list", "data": data}

    @app.post("/v1/chat/completions", response_model=None)  # a dict in OpenAI's shape, a stream, or an error response
    async def chat_completions(request: ChatRequest) -> dict | JSONResponse | StreamingResponse:
        if request.model not in models:
            raise RequestProblem(
                f"model '{request.model}' is not served here; use one of: {', '.join(models)}", "model", 404, "model_not_found"
            )
        # LocalBackend's own keywords: which model under the adapter answers, and where its text goes as it comes
        options: dict[str, Any] = {"use_adapter": models[request.model]} if getattr(backend, "adapter", None) else {}
        try:
            return await answer(backend, request, options)
        except InputError as exc:
            raise RequestProblem(str(exc), exc.problems[0].field if exc.problems else None) from exc
        except BackendError as exc:
            return JSONResponse(error_body(str(exc), "server_error"), status_code=500)

    return Guard(app, api_key=api_key, max_body_bytes=max_body_bytes)
