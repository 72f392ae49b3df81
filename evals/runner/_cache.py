"""An on-disk cache of completions in SQLite, keyed by a hash of (backend identity, messages, params)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path

from ..backends.base import Completion, GenerationParams
from ..errors import InputError, Problem
from ..secrets import redact

# Append-only: a new schema change is a new entry at the end; `PRAGMA user_version` counts those applied.
MIGRATIONS = [
    """CREATE TABLE completions (
        key TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        latency_s REAL NOT NULL,
        extra TEXT NOT NULL,
        identity TEXT NOT NULL,
        created_at REAL NOT NULL
    )""",
    "ALTER TABLE completions ADD COLUMN ttft_s REAL",  # a streamed call's time to its first token
]
COLUMNS = "key, text, input_tokens, output_tokens, latency_s, extra, identity, created_at, ttft_s"
CHUNK = 500  # keys per SELECT, under SQLite's bound-parameter limit


def request_key(identity: dict, messages: list[dict], params: GenerationParams) -> str:
    """The sha256 that names one request: what the backend is, what it is asked, how it generates."""
    return params_key(identity, messages, params.as_dict())


def params_key(identity: dict, messages: list[dict], params: dict) -> str:
    """`request_key` with the params already a dict (asdict is slow enough to matter per row)."""
    payload = {"backend": identity, "messages": messages, "params": params}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class Cache:
    """Completions by request key, in one SQLite table (WAL, so concurrent runs can share the file)."""

    def __init__(self, path: str | Path | None = None):
        if path is None:
            from ..models import cache_dir

            path = cache_dir() / "cache.sqlite"
        self.path = Path(path)
        self._lock = threading.Lock()  # one connection, used from whichever thread runs the loop
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL keeps it consistent; a crash loses at most recent rows
            migrate(self._db)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise InputError(
                Problem(
                    f"the cache {self.path} cannot be opened: {exc}",
                    file=self.path,
                    fix="delete the file, point $ADVISOR_CACHE at a writable folder, or run with --no-cache",
                )
            ) from None

    @classmethod
    def open_default(cls) -> Cache:
        """The shared cache file, `cache.sqlite` in the advisor cache folder."""
        return cls()

    def get_many(self, keys: list[str]) -> dict[str, Completion]:
        """The cached completions among `keys`, marked `cached`."""
        found = {}
        with self._lock:
            for start in range(0, len(keys), CHUNK):
                chunk = keys[start : start + CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, text, input_tokens, output_tokens, latency_s, extra, ttft_s FROM completions WHERE key IN ({marks})",
                    chunk,
                )
                for key, text, input_tokens, output_tokens, latency_s, extra, ttft_s in rows:
                    found[key] = Completion(
                        text, input_tokens, output_tokens, latency_s, cached=True, extra=json.loads(extra), ttft_s=ttft_s
                    )
        return found

    def get(self, key: str) -> Completion | None:
        return self.get_many([key]).get(key)

    def put(self, key: str, completion: Completion, identity: dict) -> None:
        """Store one completion; a later put for the same key replaces it."""
        # Keys are scrubbed here too, the last line of defence behind the backends' own redaction.
        row = (
            key,
            redact(completion.text),
            completion.input_tokens,
            completion.output_tokens,
            completion.latency_s,
            redact(json.dumps(completion.extra, default=str)),
            redact(json.dumps(identity, sort_keys=True, default=str)),
            time.time(),
            completion.ttft_s,
        )
        with self._lock:
            self._db.execute(f"INSERT OR REPLACE INTO completions ({COLUMNS}) VALUES ({', '.join('?' * len(row))})", row)

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM completions").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def migrate(db: sqlite3.Connection) -> int:
    """Apply the migrations this file has not seen yet; returns the schema version."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number, statement in enumerate(MIGRATIONS[version:], start=version + 1):
        db.execute("BEGIN IMMEDIATE")
        # Another process may have migrated between our read and the lock.
        if db.execute("PRAGMA user_version").fetchone()[0] >= number:
            db.execute("ROLLBACK")
            continue
        db.execute(statement)
        db.execute(f"PRAGMA user_version = {number}")
        db.execute("COMMIT")
    return len(MIGRATIONS)
