"""The backend registry and the openai backend, through the real SDK against a loopback fake server."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import types

import pytest
from fakes.openai_server import FakeOpenAIServer

from evals.backends import GenerationParams, get_backend
from evals.backends._retry import RetryPolicy, parse_retry_after
from evals.errors import BackendError, InputError

USER = [{"role": "user", "content": "q1 please say billing"}]
KEY = "sk-test-DO-NOT-LEAK-4242"


def fast_backend(server, **options):
    options = {"backoff_s": 0.01, "timeout": 2.0, **options}
    return get_backend(f"openai:{server.base_url}#fake-model", **options)


def test_importing_the_registry_loads_neither_torch_nor_the_sdk():
    code = "import sys, evals.backends, evals.runner; print(sorted({'torch', 'openai', 'pandas'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("spec", ["gpt-4o-mini", "anthropic:claude", "local:", "openai:", "openai:gpt#x"])
def test_bad_specs_name_the_model_field_and_the_valid_forms(spec):
    with pytest.raises(InputError) as info:
        get_backend(spec)
    problem = info.value.problems[0]
    assert problem.field == "model"
    assert "local:smollm2-135m" in problem.fix and "openai:http://" in problem.fix


def test_local_spec_builds_the_local_backend_lazily(monkeypatch):
    made = {}
    module = types.ModuleType("evals.backends.local")
    module.LocalBackend = lambda name, **options: made.setdefault("args", (name, options))
    monkeypatch.setitem(sys.modules, "evals.backends.local", module)
    get_backend("local:smollm2-135m", adapter="out/adapter")
    assert made["args"] == ("smollm2-135m", {"adapter": "out/adapter"})


def test_hosted_openai_needs_the_key_and_keeps_it_out_of_the_identity(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(InputError, match="OPENAI_API_KEY"):
        get_backend("openai:gpt-4o-mini")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    backend = get_backend("openai:gpt-4o-mini")
    assert backend.identity == {"backend": "openai", "base_url": "https://api.openai.com/v1", "model": "gpt-4o-mini"}
    assert KEY not in repr(backend.identity) and backend.spec == "openai:gpt-4o-mini"


def test_url_without_model_takes_the_first_listed_model(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # a loopback server needs no key
    with FakeOpenAIServer(model="served-model") as server:
        backend = get_backend(f"openai:{server.base_url}")
        assert backend.model == "served-model"
        assert backend.spec == f"openai:{server.base_url}#served-model"


def test_completion_carries_text_usage_and_the_generation_params():
    with FakeOpenAIServer() as server:
        backend = fast_backend(server)
        params = GenerationParams(max_tokens=7, temperature=0.5, stop=("\n",), seed=3)
        completion = asyncio.run(backend.complete(USER, params))
        body = server.app.bodies[-1]
    assert (completion.text, completion.input_tokens, completion.output_tokens) == ("billing", 4, 1)
    assert completion.latency_s > 0 and completion.extra == {}
    assert (body["max_tokens"], body["temperature"], body["stop"], body["seed"]) == (7, 0.5, ["\n"], 3)


def test_missing_usage_counts_zero_and_says_so():
    with FakeOpenAIServer(usage=False) as server:
        completion = asyncio.run(fast_backend(server).complete(USER, GenerationParams()))
    assert (completion.input_tokens, completion.output_tokens) == (0, 0)
    assert completion.extra["usage_missing"] is True


@pytest.mark.parametrize("fault", ["429", "500", "malformed", "hang"])
def test_transient_faults_are_retried_until_an_answer(fault):
    with FakeOpenAIServer(faults={"q1": [fault, fault]}, hang_s=3) as server:
        backend = fast_backend(server, timeout=0.3)
        completion = asyncio.run(backend.complete(USER, GenerationParams()))
        assert server.app.requests["q1"] == 3
    assert completion.text == "billing" and completion.extra["retries"] == 2


def test_retry_after_is_honoured_and_capped():
    with FakeOpenAIServer(faults={"q1": ["429"]}, retry_after="0.4") as server:
        start = time.perf_counter()
        asyncio.run(fast_backend(server).complete(USER, GenerationParams()))
        assert time.perf_counter() - start >= 0.4
    with FakeOpenAIServer(faults={"q1": ["429"]}, retry_after="3600") as server:
        start = time.perf_counter()
        asyncio.run(fast_backend(server, retry_after_max_s=0.1).complete(USER, GenerationParams()))
        assert time.perf_counter() - start < 2


def test_exhausted_retries_raise_a_backend_error_without_the_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with FakeOpenAIServer(faults={"q1": ["500-echo"] * 10}) as server:
        with pytest.raises(BackendError) as info:
            # the scenario names the variable, so the key goes to this (loopback) server
            asyncio.run(fast_backend(server, max_retries=2, api_key_env="OPENAI_API_KEY").complete(USER, GenerationParams()))
        assert server.app.requests["q1"] == 3
    message = str(info.value)
    assert "HTTP 500 after 3 attempt(s)" in message and "***" in message
    assert KEY not in message and info.value.__cause__ is None


def test_authentication_errors_are_not_retried(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with FakeOpenAIServer(faults={"q1": ["401"] * 5}) as server:
        with pytest.raises(BackendError, match=r"HTTP 401 after 1 attempt.*OPENAI_API_KEY"):
            asyncio.run(fast_backend(server, api_key_env="OPENAI_API_KEY").complete(USER, GenerationParams()))
        assert server.app.requests["q1"] == 1


def test_concurrency_is_bounded_and_the_backend_survives_a_new_event_loop():
    async def burst(backend):
        texts = await asyncio.gather(
            *(backend.complete([{"role": "user", "content": f"q{i} x label{i}"}], GenerationParams()) for i in range(8))
        )
        return [c.text for c in texts]

    with FakeOpenAIServer(delay_s=0.05) as server:
        backend = fast_backend(server, concurrency=3)
        assert asyncio.run(burst(backend)) == [f"label{i}" for i in range(8)]
        assert asyncio.run(burst(backend)) == [f"label{i}" for i in range(8)]  # second asyncio.run, same backend
        assert server.app.max_in_flight == 3


def test_full_jitter_stays_inside_the_exponential_window():
    policy = RetryPolicy(backoff_s=0.5, backoff_max_s=3.0)
    delays = [policy.delay(attempt) for attempt in range(6) for _ in range(50)]
    assert all(0 <= d <= 3.0 for d in delays)
    assert max(policy.delay(0) for _ in range(50)) <= 0.5
    assert len(set(delays)) > 100  # jittered, not a fixed schedule
    assert policy.delay(5, retry_after=2.0) == 2.0
    assert RetryPolicy(retry_after_max_s=10).delay(0, retry_after=99) == 10


def test_retry_after_parses_seconds_milliseconds_and_http_dates():
    now = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
    assert parse_retry_after({"retry-after": "7"}) == 7.0
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({"retry-after": "Tue, 14 Nov 2023 22:13:50 GMT"}, now=now) == pytest.approx(30.0)
    assert parse_retry_after({"retry-after": "Tue, 14 Nov 2023 22:00:00 GMT"}, now=now) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None and parse_retry_after({}) is None


def test_the_runs_concurrency_reaches_the_openai_backend_beyond_eight():
    from advisor.scenario.schema import ModelOptions
    from advisor.scenario.workspace import open_backend

    async def burst(backend):
        return await asyncio.gather(*(backend.complete([{"role": "user", "content": f"q{i} x y"}], GenerationParams()) for i in range(16)))

    with FakeOpenAIServer(delay_s=0.2) as server:
        backend = open_backend(f"openai:{server.base_url}#fake-model", ModelOptions(timeout=5), concurrency=16)
        asyncio.run(burst(backend))
        assert server.app.max_in_flight == 16 and backend.timeout == 5


def test_a_server_that_ignores_stream_fails_the_streamed_call_at_once_and_the_probe_times_whole_answers():
    """The fake answers `stream: true` with a plain JSON body: no chunk comes, so the call fails without retries."""
    from advisor.measure.latency import probe

    with FakeOpenAIServer() as server:
        backend = fast_backend(server)
        with pytest.raises(BackendError, match="does not stream"):
            asyncio.run(backend.complete_streamed(USER, GenerationParams()))
        assert server.app.requests["q1"] == 1 and server.app.bodies[-1]["stream_options"] == {"include_usage": True}
        found = asyncio.run(probe(backend, [[{"role": "user", "content": f"q{i} say refund"}] for i in range(3)], GenerationParams()))
        assert "stream" not in server.app.bodies[-1]
    assert len(found.seconds) == 3 and found.ttft == [] and "ttft_p50" not in found.summary(0.95)
