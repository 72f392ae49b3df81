"""A loopback fake of the OpenAI chat API: deterministic answers, scheduled faults, request counts.

It is a bare asyncio HTTP/1.1 server (keep-alive, Content-Length bodies) so that it is fast enough
to benchmark a client against, and runs either in a thread (`FakeOpenAIServer`) or as a process
(`python -m fakes.openai_server`, which prints the port).

Answers: the last word of the last user message (inside the one required field of a `response_format`
JSON Schema, when the request sends one, as a structured-output server would). Fault schedules are keyed by the first word of
that message (the item id): each request for the id takes the next fault until none are left.
Faults: "429" (with Retry-After), "401", "500", "500-echo" (the body echoes the Authorization header, as a
careless proxy might), "malformed" (a 200 whose body is not JSON), "hang" (answer after `hang_s`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
from collections import Counter

REASONS = {200: "OK", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}


class FakeOpenAI:
    """The request handler and its state; serve it with `serve()` on a running loop."""

    def __init__(self, *, model="fake-model", faults=None, delay_s=0.0, hang_s=5.0, retry_after="0", usage=True, answers=None):
        self.model = model
        self.answers: dict[str, str] = answers or {}
        """Answers by the whole last user message (a teacher that knows the labels); any other message gets its last word."""
        self.faults = {key: list(schedule) for key, schedule in (faults or {}).items()}
        self.delay_s = delay_s
        self.hang_s = hang_s
        self.retry_after = retry_after
        self.usage = usage
        self.requests = Counter()  # item id -> chat requests received
        self.faults_served = Counter()
        self.authorizations: list[str | None] = []
        """The Authorization header of every request, in order."""
        self.in_flight = self.max_in_flight = 0
        self.bodies: list[dict] = []

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    async def serve(self, host="127.0.0.1", port=0) -> asyncio.Server:
        return await asyncio.start_server(self._connection, host, port)

    async def _connection(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, path, headers = _parse_head(head)
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                try:
                    status, extra, payload = await self._answer(method, path, headers, body)
                finally:
                    self.in_flight -= 1
                writer.write(_response(status, extra, payload))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, asyncio.CancelledError):
            pass  # the client went away, or the server is shutting down
        finally:
            writer.close()

    async def _answer(self, method, path, headers, body):
        self.authorizations.append(headers.get("authorization"))
        if method == "GET" and path.endswith("/models"):
            return 200, {}, json.dumps({"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "fake"}]})
        if method != "POST" or not path.endswith("/chat/completions"):
            return 404, {}, json.dumps({"error": {"message": f"no route {path}"}})
        request = json.loads(body)
        self.bodies.append(request)
        user = next(m["content"] for m in reversed(request["messages"]) if m["role"] == "user")
        words = user.split() or [""]
        key = words[0]
        self.requests[key] += 1
        schedule = self.faults.get(key)
        fault = schedule.pop(0) if schedule else None
        if fault:
            self.faults_served[fault] += 1
            return await self._fault(fault, headers)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return 200, {}, json.dumps(self._completion(request, _structured(request, self.answers.get(user, words[-1]))))

    async def _fault(self, fault, headers):
        if fault == "429":
            return 429, {"Retry-After": self.retry_after}, json.dumps({"error": {"message": "slow down", "type": "rate_limit"}})
        if fault == "401":
            return 401, {}, json.dumps({"error": {"message": "invalid api key", "type": "invalid_request_error"}})
        if fault == "500":
            return 500, {}, json.dumps({"error": {"message": "internal error"}})
        if fault == "500-echo-late":  # the header quoted after ~280 characters: a cut before redacting keeps the key
            return 500, {}, json.dumps({"error": {"message": "x" * 280 + f" you sent {headers.get('authorization')}"}})
        if fault == "500-echo":
            return 500, {}, json.dumps({"error": {"message": f"bad gateway, you sent {headers.get('authorization')}"}})
        if fault == "malformed":
            return 200, {}, '{"id": "chatcmpl-x", "choices": [ {"mess'
        if fault == "hang":
            await asyncio.sleep(self.hang_s)
            return 500, {}, json.dumps({"error": {"message": "hung"}})
        raise ValueError(f"unknown fault {fault}")

    def _completion(self, request, answer):
        body = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": request.get("model", self.model),
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": answer}}],
        }
        if self.usage:
            words = sum(len(m["content"].split()) for m in request["messages"])
            body["usage"] = {"prompt_tokens": words, "completion_tokens": 1, "total_tokens": words + 1}
        return body


def _structured(request: dict, answer: str) -> str:
    schema = ((request.get("response_format") or {}).get("json_schema") or {}).get("schema") or {}
    required = schema.get("required") or []
    return json.dumps({required[0]: answer}) if len(required) == 1 else answer


def _parse_head(head: bytes):
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return method, path, headers


def _response(status: int, headers: dict, payload: str) -> bytes:
    data = payload.encode()
    lines = [
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}",
        "Content-Type: application/json",
        f"Content-Length: {len(data)}",
        "Connection: keep-alive",
    ]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


class FakeOpenAIServer:
    """Runs a `FakeOpenAI` on its own loop in a daemon thread; use as a context manager."""

    def __init__(self, **options):
        self.app = FakeOpenAI(**options)
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _main(self):
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(self.app.serve())
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        # Connections still open (keep-alive, hangs) end here, so the loop closes cleanly.
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.close()

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc):
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


async def _serve_forever(options, port):
    server = await FakeOpenAI(**options).serve(port=port)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the fake OpenAI chat API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args()
    asyncio.run(_serve_forever({"delay_s": args.delay}, args.port))


if __name__ == "__main__":
    main()
