"""One run per folder: a lock on `--out`, so that two runs never double the requests or the journal."""

from __future__ import annotations

import datetime as dt
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evals.errors import InputError, Problem

LOCK_FILE = ".advisor.lock"


@contextmanager
def run_lock(folder: Path, field: str = "--out") -> Iterator[Path]:
    """Hold the folder's lock while the body runs; InputError naming the holder when another process has it.

    The lock is an OS file lock (released when the process dies, even by kill -9); the file says who holds
    it and is removed when the run ends.
    """
    folder = Path(folder)
    path = folder / LOCK_FILE
    fd = _open_locked(folder, path, field)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}, started {_now()}: {' '.join(sys.argv)}\n".encode())
        yield path
    finally:
        path.unlink(missing_ok=True)  # while still holding it: a newcomer then locks a fresh file
        os.close(fd)  # closing releases the lock


def _open_locked(folder: Path, path: Path, field: str) -> int:
    """A descriptor of the lock file, locked; retried when the holder removed the file between our open and lock."""
    for _ in range(5):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError(
                Problem(
                    f"cannot use {folder} as the run folder: {exc.strerror or exc}",
                    file=folder,
                    field=field,
                    fix="choose a writable folder",
                )
            ) from None
        if not _try_lock(fd):
            holder = _read(fd).strip() or "another process"
            os.close(fd)
            raise InputError(
                Problem(
                    f"another run is writing into {folder}: {holder}",
                    file=path,
                    field=field,
                    fix="wait for it to finish, or choose another --out",
                ),
                title="Run folder in use",
            )
        if _same_file(fd, path):
            return fd
        os.close(fd)  # we locked a file its last holder had just removed: take the new one
    raise InputError(Problem(f"could not take the lock of {folder}", file=path, field=field, fix="run the command again"))


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except OSError:
        return False


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; runs are not guarded
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, 4096).decode("utf-8", "replace")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
