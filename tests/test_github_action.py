"""The llm-gate action's script, run as GitHub would run it, against a loopback fake of the GitHub API.

The fake keeps pull-request comments and serves one artifact (a zipped baseline run folder from main).
The model is the loopback fake OpenAI server, so the script runs the real `advisor run` in a subprocess.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from fakes.openai_server import FakeOpenAIServer
from fakes.served import served_scenario

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".github" / "scripts" / "llm-gate.sh"
TOKEN = "ghs_fake_token"


class FakeGitHub(BaseHTTPRequestHandler):
    """Issue comments of one repository and its artifacts; every call must carry the token."""

    comments: ClassVar[dict[int, str]] = {}
    calls: ClassVar[list[tuple[str, str]]] = []
    artifact_zip = b""

    def _reply(self, status: int, payload=None, raw: bytes | None = None) -> None:
        body = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self, method: str) -> None:
        self.calls.append((method, self.path))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._reply(401, {"message": "Bad credentials"})
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        path = self.path.split("?")[0]
        if method == "GET" and path == "/repos/acme/shop/issues/7/comments":
            return self._reply(200, [{"id": i, "body": b} for i, b in self.comments.items()])
        if method == "POST" and path == "/repos/acme/shop/issues/7/comments":
            new = 100 + len(self.comments)
            self.comments[new] = body["body"]
            return self._reply(201, {"id": new})
        if method == "PATCH" and path.startswith("/repos/acme/shop/issues/comments/"):
            self.comments[int(path.rsplit("/", 1)[1])] = body["body"]
            return self._reply(200, {})
        if method == "GET" and path == "/repos/acme/shop/actions/artifacts":
            host = f"http://127.0.0.1:{self.server.server_port}"
            return self._reply(
                200,
                {
                    "artifacts": [
                        {
                            "id": 2,
                            "name": "llm-gate-run",
                            "expired": False,
                            "archive_download_url": f"{host}/zip/2",
                            "workflow_run": {"head_branch": "feature"},
                        },
                        {
                            "id": 1,
                            "name": "llm-gate-run",
                            "expired": False,
                            "archive_download_url": f"{host}/zip/1",
                            "workflow_run": {"head_branch": "main"},
                        },
                    ]
                },
            )
        if method == "GET" and path == "/zip/1":
            return self._reply(200, raw=self.artifact_zip)
        return self._reply(404, {"message": "Not Found"})

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PATCH(self):
        self._handle("PATCH")

    def log_message(self, *args):
        pass


@pytest.fixture
def github():
    FakeGitHub.comments, FakeGitHub.calls = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGitHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def step(name: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), name], env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.skipif(shutil.which("bash") is None, reason="the action's steps are bash")
def test_the_action_posts_one_comment_and_updates_it_on_the_next_run(github, tmp_path, run_cache):
    import os

    work = tmp_path / "repo"
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    with FakeOpenAIServer() as openai:
        path = served_scenario(work / "s", openai.base_url, n_eval=40, min_accuracy=0.2)
        env = {
            **os.environ,
            "LLM_GATE_PYTHON": sys.executable,
            "PYTHONPATH": str(ROOT),
            "GITHUB_API_URL": f"http://127.0.0.1:{github.server_port}",
            "GITHUB_REPOSITORY": "acme/shop",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_BASE_REF": "main",
            "RUNNER_TEMP": str(tmp_path / "runner"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
            "INPUT_SCENARIO": str(path),
            "INPUT_OUT": "runs/gate",
            "INPUT_ARGS": "--rungs zero_shot",
            "INPUT_BASELINE_ARTIFACT": "llm-gate-run",
            "INPUT_GITHUB_TOKEN": TOKEN,
            "INPUT_MARGIN": "0.02",
        }

        # main has no artifact yet: no baseline, and the run still reports
        FakeGitHub.artifact_zip = b"not a zip"
        first = [step(s, env, work) for s in ("baseline", "run", "publish")]
        assert [p.returncode for p in first] == [0, 0, 0], [p.stderr[-800:] for p in first]
        assert (tmp_path / "output.txt").read_text() == "exit-code=0\n"
        assert len(FakeGitHub.comments) == 1
        (body,) = FakeGitHub.comments.values()
        assert body.startswith(f"<!-- advisor-llm-gate: {path} -->") and "## advisor · served · ✅ PASS" in body
        assert "advisor compare" not in body
        assert "## advisor · served" in (tmp_path / "summary.md").read_text()

        # the next push: main's artifact is a run that got every item right, so this run regressed
        baseline = tmp_path / "main-run"
        shutil.copytree(work / "runs" / "gate", baseline)
        rows = [json.loads(line) for line in (baseline / "samples" / "zero_shot.jsonl").read_text().splitlines()]
        (baseline / "samples" / "zero_shot.jsonl").write_text("".join(json.dumps({**r, "score": 1.0}) + "\n" for r in rows))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for file in baseline.rglob("*"):
                archive.write(file, file.relative_to(baseline))
        FakeGitHub.artifact_zip = buffer.getvalue()
        second = [step(s, env, work) for s in ("baseline", "run", "publish")]
        assert [p.returncode for p in second] == [0, 0, 0], [p.stderr[-800:] for p in second]
        assert "baseline from artifact 1 (main)" in second[0].stdout
        assert (tmp_path / "output.txt").read_text().splitlines()[-1] == "exit-code=1"
        assert (
            step("finish", env, work).returncode == 0
            and subprocess.run(["bash", str(SCRIPT), "finish", "1"], env=env, cwd=work, check=False).returncode == 1
        )

    assert len(FakeGitHub.comments) == 1  # updated, not duplicated
    (body,) = FakeGitHub.comments.values()
    assert "REGRESSION: zero-shot" in body and "0 / 20" in body
    methods = [m for m, p in FakeGitHub.calls if "/comments" in p]
    assert methods == ["GET", "POST", "GET", "PATCH"]
