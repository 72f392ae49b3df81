"""A loopback HTTP server standing in for a team's own service: a test hands it a function from request to response.

`respond(request)` gets `{"path", "headers" (lower-case names), "body" (parsed JSON, or the raw text)}` and returns
`(status, payload)` or `(status, payload, headers)`: a dict or list payload is sent as JSON, a str as it is.
Every request is kept in `requests`, in order.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Respond = Callable[[dict], tuple]


class EndpointServer:
    """Serves `respond` on 127.0.0.1 in a daemon thread; use as a context manager."""

    def __init__(self, respond: Respond):
        self.respond = respond
        self.requests: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str = "/answer") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> EndpointServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(server: EndpointServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
            request = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
            server.requests.append(request)
            status, payload, *rest = server.respond(request)
            data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if not isinstance(payload, str) else "text/plain")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (rest[0] if rest else {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args) -> None:  # quiet
            pass

    return Handler
