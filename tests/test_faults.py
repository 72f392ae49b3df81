"""Fault injection end to end: the real SDK, the runner, cache and journal against a faulty loopback server."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from fakes.graders import exact_match
from fakes.items import make_items
from fakes.openai_server import FakeOpenAIServer

from evals.backends import get_backend
from evals.errors import BackendError
from evals.runner import Cache, Journal, Runner, check_error_budget

KEY = "sk-test-NEVER-WRITE-ME-0123456789"
TESTS = Path(__file__).parent
FAULTS = {
    "q1": ["429", "500"],
    "q2": ["malformed"],
    "q3": ["hang"],
    "q4": ["500-echo"] * 10,  # the server quotes the Authorization header back, forever
    "q5": ["500"] * 10,
}


def test_faults_are_retried_exhausted_ones_become_errors_and_the_key_is_never_written(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    run_dir = tmp_path / "run"
    log = _file_logger(run_dir / "run.log")
    with FakeOpenAIServer(faults={k: list(v) for k, v in FAULTS.items()}, hang_s=3) as server:
        backend = get_backend(
            f"openai:{server.base_url}#fake-model", max_retries=3, timeout=0.4, backoff_s=0.01, api_key_env="OPENAI_API_KEY"
        )  # named, so the key is sent (and echoed back)
        with Cache(run_dir / "cache.sqlite") as cache, Journal.in_folder(run_dir) as journal:
            runner = Runner(
                backend, exact_match, concurrency=4, cache=cache, journal=journal, progress=lambda e: log.info("progress %s", e)
            )
            rows = runner.run_sync(make_items(20), "zero_shot")
        requests = dict(server.app.requests)
    for message in rows["error"].dropna():
        log.error("row failed: %s", message)
    rows.to_json(run_dir / "rows.json", orient="records")

    assert sorted(rows["id"]) == sorted(f"q{i}" for i in range(20))  # every row, exactly once
    by_id = rows.set_index("id")
    assert by_id.loc[["q1", "q2", "q3"], "score"].tolist() == [1.0, 1.0, 1.0]
    assert (requests["q1"], requests["q2"], requests["q3"]) == (3, 2, 2)
    assert (requests["q4"], requests["q5"]) == (4, 4)  # 1 try + 3 retries
    failed = rows[rows["error"].notna()]
    assert failed["id"].tolist() == ["q4", "q5"]
    assert (failed["score"] == 0).all() and not failed["format_valid"].any()
    assert runner.error_rate == pytest.approx(0.1)
    with pytest.raises(BackendError, match="2 of 20 calls failed"):
        check_error_budget(rows, max_error_rate=0.05)

    written = sorted(p for p in run_dir.rglob("*") if p.is_file())
    assert {p.name for p in written} >= {"cache.sqlite", "journal.jsonl", "rows.json", "run.log"}
    assert "***" in (run_dir / "run.log").read_text()  # the echoed key was there, and redacted
    for path in written:
        assert KEY.encode() not in path.read_bytes(), path


def test_kill_minus_nine_then_the_same_command_resumes_without_rerequesting(tmp_path):
    run_dir = tmp_path / "run"
    journal = run_dir / "journal.jsonl"
    with FakeOpenAIServer(delay_s=0.15) as server:
        command = [sys.executable, "-m", "fakes.journal_run", "--base-url", server.base_url, "--run-dir", str(run_dir)]
        env = {**os.environ, "PYTHONPATH": str(TESTS)}
        process = subprocess.Popen(command, cwd=TESTS, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_for_lines(journal, 4, process)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        finished = {json.loads(line)["row"]["id"] for line in journal.read_text().splitlines() if line.endswith("}")}
        counts_at_kill = dict(server.app.requests)
        assert 4 <= len(finished) < 16 and not (run_dir / "rows.pkl").exists()

        subprocess.run(command, cwd=TESTS, env=env, check=True, capture_output=True, timeout=120)
        assert {key: server.app.requests[key] for key in finished} == {key: counts_at_kill[key] for key in finished}
        assert server.app.total <= 16 + (16 - len(finished))

        backend = get_backend(f"openai:{server.base_url}#fake-model")
        uninterrupted = Runner(backend, exact_match, concurrency=4).run_sync(make_items(16), "zero_shot")
    resumed = pd.read_pickle(run_dir / "rows.pkl")
    pd.testing.assert_frame_equal(resumed.drop(columns="latency_s"), uninterrupted.drop(columns="latency_s"))


def _wait_for_lines(path: Path, count: int, process: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count("\n") >= count:
            return
        if process.poll() is not None:
            raise AssertionError(f"the run ended early: {process.stderr.read().decode()[-2000:]}")
        time.sleep(0.01)
    process.kill()
    raise AssertionError(f"no {count} journal lines within {timeout_s}s")


def _file_logger(path: Path) -> logging.Logger:
    path.parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger(f"faults.{path}")
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.FileHandler(path))
    logger.propagate = False
    return logger
