"""A loopback server that accepts connections and never answers: the dead server of the fail-fast tests."""

from __future__ import annotations

import socket
import threading


class SilentServer:
    """Listens on 127.0.0.1, accepts every connection, reads nothing and says nothing until closed."""

    def __init__(self):
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:  # closed
                return
            self.accepted.append(conn)

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._sock.close()
        for conn in self.accepted:
            conn.close()
