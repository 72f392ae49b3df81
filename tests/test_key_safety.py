"""The API key goes only where the scenario says, never to disk; a dead server fails the run fast (exit 3)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from clirun import run_cli
from fakes.openai_server import FakeOpenAIServer
from fakes.silent_server import SilentServer

from evals.backends import GenerationParams, ModelSpec, get_backend
from evals.backends.spec import key_env
from evals.errors import BackendError

KEY = "sk-proj-SECRET-never-written-0123456789abcdef"
OTHER = "vllm-key-ALSO-secret-987654321"
ROWS = [
    {"messages": [{"role": "user", "content": f"q{i} say label{i % 2}"}, {"role": "assistant", "content": f"label{i % 2}"}]}
    for i in range(6)
]


def write_eval(folder: Path) -> Path:
    path = folder / "eval.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    return path


def write_scenario(folder: Path, model: str, options: str = "") -> Path:
    write_eval(folder)
    path = folder / "scenario.yaml"
    path.write_text(
        f"name: keys\ntask: {{kind: classification}}\ndata: {{eval: eval.jsonl}}\ngrader: {{kind: exact}}\n"
        f"targets: [{{metric: accuracy, min: 0.5}}]\nmodel: '{model}'\n{options}",
        encoding="utf-8",
    )
    return path


def written_bytes(*folders: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for folder in folders for p in folder.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("spec", "named", "sent"),
    [
        ("openai:gpt-4o-mini", None, "OPENAI_API_KEY"),
        ("openai:https://api.openai.com/v1#gpt-4o-mini", None, "OPENAI_API_KEY"),
        ("openai:http://their-host.example/v1#m", None, None),
        ("openai:https://api.openai.com.their-host.example/v1#m", None, None),
        ("openai:http://their-host.example/v1#m", "VLLM_KEY", "VLLM_KEY"),
        ("openai:http://127.0.0.1:9/v1#m", None, None),
        ("local:smollm2-135m", "VLLM_KEY", None),
    ],
)
def test_the_environment_key_goes_only_to_the_openai_api_or_where_the_scenario_names_it(spec, named, sent):
    assert key_env(ModelSpec.parse(spec), named) == sent


def test_a_scenario_naming_another_server_never_receives_the_environment_key(tmp_path, monkeypatch, capsys, run_cache):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("VLLM_KEY", OTHER)
    with FakeOpenAIServer() as server:
        scenario = write_scenario(tmp_path, f"openai:{server.base_url}#fake-model")
        code, _, err = run_cli(["run", str(scenario), "--out", str(tmp_path / "run"), "--ci", "--rungs", "zero_shot"], capsys)
        plain = list(server.app.authorizations)
        (tmp_path / "named").mkdir()
        named = write_scenario(tmp_path / "named", f"openai:{server.base_url}#fake-model", "model_options: {api_key_env: VLLM_KEY}\n")
        code_named, _, _ = run_cli(
            ["run", str(named), "--out", str(tmp_path / "run-named"), "--ci", "--rungs", "zero_shot", "--no-cache"], capsys
        )
        with_named = list(server.app.authorizations[len(plain) :])
    assert code in (0, 1) and code_named in (0, 1), err
    assert plain and not any(KEY in (h or "") for h in plain)
    assert with_named and all(h == f"Bearer {OTHER}" for h in with_named)
    for path, data in written_bytes(tmp_path, run_cache):
        assert KEY.encode() not in data and OTHER.encode() not in data, path


def test_an_echoed_key_is_redacted_before_the_message_is_cut(monkeypatch):
    monkeypatch.setenv("VLLM_KEY", OTHER)
    with FakeOpenAIServer(faults={"q1": ["500-echo-late"] * 5}) as server:
        backend = get_backend(f"openai:{server.base_url}#fake-model", max_retries=0, timeout=2, api_key_env="VLLM_KEY")
        with pytest.raises(BackendError) as info:
            asyncio.run(backend.complete([{"role": "user", "content": "q1 x"}], GenerationParams()))
        assert server.app.authorizations[-1] == f"Bearer {OTHER}"  # the key was sent, and quoted back late
    message = str(info.value)
    assert not any(OTHER[i : i + 6] in message for i in range(len(OTHER) - 5))  # not even a tail of it


def test_a_server_that_accepts_and_never_answers_fails_the_run_with_exit_3_fast(tmp_path, capsys, run_cache):
    with SilentServer() as server:
        scenario = write_scenario(tmp_path, f"openai:{server.base_url}#silent")
        start = time.monotonic()
        code, _, err = run_cli(
            ["run", str(scenario), "--out", str(tmp_path / "run"), "--ci", "--rungs", "zero_shot", "--timeout", "1"], capsys
        )
        elapsed = time.monotonic() - start
    assert code == 3, err
    assert elapsed < 20
    assert "not answering" in err and "Traceback" not in err


def test_listing_models_on_a_dead_server_times_out(tmp_path):
    with SilentServer() as server:
        start = time.monotonic()
        with pytest.raises(BackendError, match="could not list the models"):
            get_backend(f"openai:{server.base_url}", timeout=0.5)
    assert time.monotonic() - start < 10
