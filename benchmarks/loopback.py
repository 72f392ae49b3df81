"""Start the fake OpenAI server in its own process, so that it does not share the client's GIL."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"


@contextlib.contextmanager
def serve_in_process(*, delay_s: float = 0.0):
    """Yield the base URL of a fake server process answering after `delay_s`; stop it afterwards."""
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    command = [sys.executable, "-m", "fakes.openai_server", "--delay", str(delay_s)]
    process = subprocess.Popen(command, cwd=TESTS, env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the fake server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}/v1"
    finally:
        process.terminate()
        process.wait(10)
