"""What stands in front of `advisor serve`'s routes: a bearer token and a request body limit (pure ASGI)."""

from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
"""8 MiB: far above any prompt the model's context can hold, far below what would stall the server."""
OPEN_PATHS = {"/health"}
"""Answered without a token, so that a load balancer can probe the server."""


class Guard:
    """Refuses requests without `Authorization: Bearer KEY` (when a key is set) with 401, and bodies over the limit with 413."""

    def __init__(self, app: ASGIApp, *, api_key: str | None = None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES):
        self.app, self.api_key, self.max_body_bytes = app, api_key, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.api_key and scope["path"] not in OPEN_PATHS and not self._authorized(scope):
            return await _refuse(send, 401, "missing or wrong API key: send 'Authorization: Bearer KEY'", "invalid_api_key")
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            return await _refuse(send, 413, self._too_large(), "request_too_large")
        return await self.app(scope, self._counting(receive, send), send)

    def _authorized(self, scope: Scope) -> bool:
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), (self.api_key or "").encode())

    def _counting(self, receive: Receive, send: Send) -> Receive:
        """A receive that stops a body (chunked, with no content-length) once it passes the limit."""
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise BodyTooLarge(self._too_large())
            return message

        return limited

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_body_bytes:,} bytes (advisor serve --max-body-bytes)"


class BodyTooLarge(HTTPException):
    """Raised from inside the app's body reading; the app answers it with 413."""

    def __init__(self, message: str):
        super().__init__(status_code=413, detail=message)

    def __str__(self) -> str:
        return str(self.detail)


async def _refuse(send: Send, status: int, message: str, code: str) -> None:
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
