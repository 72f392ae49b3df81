"""`advisor serve` on loopback, called with the real openai SDK: models, completions, streaming, batching, refusals, an adapter."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import openai
import pytest
import uvicorn

from advisor.cli import main
from advisor.serve.app import create_app
from evals.backends.local import LocalBackend


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def advisor_serve(*args: str) -> Iterator[Callable[[], str]]:
    """`advisor serve ARGS` as its own process on a free loopback port, started now; yields a call that waits
    until it answers and returns its base URL, so a test can do other work while the model loads."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    command = [sys.executable, "-m", "advisor", "serve", "--port", str(port), *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def ready() -> str:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                urllib.request.urlopen(f"{base_url}/models", timeout=1)
                return base_url
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"advisor serve did not answer: {proc.communicate(timeout=5)[0] if proc.poll() is not None else 'timed out'}")

    try:
        yield ready
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def server(embedded_model):
    """The app on a free loopback port in a background thread; yields (base_url, backend)."""
    from evals.backends import GenerationParams

    backend = LocalBackend("smollm2-135m")
    # A first generate sets itself up (over a minute on a busy 2-core machine): not within any test's request timeout.
    asyncio.run(backend.complete(ask("Hi"), GenerationParams(max_tokens=1)))
    port = free_port()
    instance = uvicorn.Server(uvicorn.Config(create_app(backend), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert instance.started, "server did not start"
    yield f"http://127.0.0.1:{port}/v1", backend
    instance.should_exit = True
    thread.join(10)


@pytest.fixture
def client(server):
    return openai.OpenAI(base_url=server[0], api_key="unused", max_retries=0)


def ask(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_models_and_health(server, client):
    assert [m.id for m in client.models.list().data] == ["smollm2-135m"]
    with urllib.request.urlopen(server[0].removesuffix("/v1") + "/health") as response:
        health = json.load(response)
    assert health == {"status": "ok", "models": ["smollm2-135m"]}


def test_chat_completion_has_the_openai_shape(client):
    reply = client.chat.completions.create(model="smollm2-135m", messages=ask("What is the capital of France?"), max_tokens=6)
    choice = reply.choices[0]
    assert reply.id.startswith("chatcmpl-") and reply.model == "smollm2-135m" and reply.created > 0
    assert choice.message.role == "assistant" and choice.message.content
    assert choice.finish_reason == "length" and reply.usage.completion_tokens == 6
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    assert reply.usage.prompt_tokens > 20  # the chat template's default system prompt is counted


def test_stop_and_max_completion_tokens(client):
    full = client.chat.completions.create(model="smollm2-135m", messages=ask("What is the capital of France?"), max_completion_tokens=16)
    word = full.choices[0].message.content.split()[1]
    cut = client.chat.completions.create(
        model="smollm2-135m", messages=ask("What is the capital of France?"), max_tokens=16, stop=word, seed=1
    )
    assert cut.choices[0].message.content == full.choices[0].message.content.split(word)[0]
    assert cut.choices[0].finish_reason == "stop"


async def test_concurrent_requests_share_generate_batches(server):
    base_url, backend = server
    client = openai.AsyncOpenAI(base_url=base_url, api_key="unused", max_retries=0)
    before = backend.stats["batches"]
    questions = [f"What is {i} plus {i}?" for i in range(8)]
    replies = await asyncio.gather(
        *[client.chat.completions.create(model="smollm2-135m", messages=ask(q), max_tokens=4) for q in questions]
    )
    assert all(r.choices[0].message.content and r.usage.completion_tokens <= 4 for r in replies)
    assert backend.stats["batches"] - before < len(questions)
    await client.close()


async def test_the_projects_openai_backend_gets_the_same_greedy_answer(server):
    from evals.backends import GenerationParams, get_backend

    base_url, backend = server
    remote = get_backend(f"openai:{base_url}")  # no model named: the first one listed
    assert remote.spec == f"openai:{base_url}#smollm2-135m"
    params = GenerationParams(max_tokens=8)
    over_http = await remote.complete(ask("Name a colour."), params)
    direct = await backend.complete(ask("Name a colour."), params)  # from this test's own event loop
    assert (over_http.text, over_http.input_tokens, over_http.output_tokens) == (direct.text, direct.input_tokens, direct.output_tokens)


@pytest.mark.parametrize(
    "extra, words", [({"n": 2}, "n=1"), ({"stream_options": {"include_usage": True}}, "stream=true"), ({"temperature": 5}, "temperature")]
)
def test_unsupported_requests_are_clear_400s(client, extra, words):
    with pytest.raises(openai.BadRequestError, match=words):
        client.chat.completions.create(model="smollm2-135m", messages=ask("hi"), max_tokens=2, **extra)


def test_a_streamed_answer_is_the_plain_answer_sent_as_it_is_generated(client):
    """stream=True through the SDK: OpenAI's chunks, the same greedy text, finish reason and usage as without it."""
    question = ask("What is the capital of France? Answer in a sentence.")
    for extra in ({"max_tokens": 24}, {"max_tokens": 24, "stop": "Paris"}):
        plain = client.chat.completions.create(model="smollm2-135m", messages=question, **extra)
        start = time.perf_counter()
        arrived, chunks = [], []
        stream = client.chat.completions.create(
            model="smollm2-135m", messages=question, stream=True, stream_options={"include_usage": True}, **extra
        )
        for chunk in stream:
            arrived.append(time.perf_counter() - start)
            chunks.append(chunk)
        role, *deltas, finish, usage = chunks
        assert role.choices[0].delta.role == "assistant" and len({c.id for c in chunks}) == 1
        assert "".join(d.choices[0].delta.content for d in deltas) == plain.choices[0].message.content
        assert finish.choices[0].finish_reason == plain.choices[0].finish_reason
        assert usage.choices == [] and usage.usage == plain.usage
    # one token at a time: the text does not arrive all at once at the end
    assert len(deltas) > 1 and arrived[1] < arrived[-1]


async def test_the_latency_probe_over_http_times_the_first_token_of_the_streamed_answer(server):
    """The project's openai backend streams the probe's calls only: the same text as a plain call, the first token
    before the whole answer."""
    from advisor.measure.latency import probe
    from evals.backends import GenerationParams, get_backend

    remote = get_backend(f"openai:{server[0]}#smollm2-135m")
    params = GenerationParams(max_tokens=16)
    plain, streamed = await remote.complete(ask("Name a colour."), params), await remote.complete_streamed(ask("Name a colour."), params)
    assert (streamed.text, streamed.input_tokens, streamed.output_tokens) == (plain.text, plain.input_tokens, plain.output_tokens)
    assert plain.ttft_s is None and 0 < streamed.ttft_s < streamed.latency_s
    found = await probe(remote, [ask(f"Name {n} colours.") for n in ("two", "three", "four", "five")], params)
    assert len(found.ttft) == len(found.seconds) == 4
    assert all(0 < first < total for first, total in zip(found.ttft, found.seconds))
    summary = found.summary(0.95)
    assert summary["ttft_p50"] < summary["p50"] and summary["ttft_p95_low"] <= summary["ttft_p95"] <= summary["ttft_p95_high"]
    assert summary["output_tokens_per_s"] > 0


def test_a_ttft_target_gates_a_run_against_the_served_model(server, tmp_path, capsys):
    """`advisor run` against the server records the TTFT; `advisor gate` fails a target no server can meet, and passes
    a generous one."""
    from clirun import run_cli
    from test_ladder import write_scenario

    from advisor.record.run import load_record

    path = write_scenario(tmp_path / "s", n_eval=4, targets=[{"metric": "ttft_p95_ms", "max": 60000}])
    path.write_text(path.read_text().replace("local:smollm2-135m", f"openai:{server[0]}#smollm2-135m"))
    run = ["run", str(path), "--out", str(tmp_path / "run"), "--rungs", "zero_shot", "--latency-probe", "4", "--timeout", "300"]
    code, _, err = run_cli(run, capsys)  # a long timeout: a first structured answer is slow on a busy machine
    zero = load_record(tmp_path / "run" / "run.json").rung("zero_shot")
    assert code == 0, err
    assert zero.latency_ms["ttft_p95"] < zero.latency_ms["p95"] and zero.checks[0].passed
    assert "TTFT" in (tmp_path / "run" / "report.md").read_text()
    code, out, _ = run_cli(["gate", str(tmp_path / "run" / "run.json"), "--target", "ttft_p95_ms<=1"], capsys)
    assert code == 1 and "misses ttft_p95_ms <= 1.0 (upper bound " in out
    assert run_cli(["gate", str(tmp_path / "run" / "run.json")], capsys)[0] == 0


def test_response_format_json_schema_constrains_the_answer(client):
    labels = ["refund", "shipping", "billing"]
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string", "enum": labels}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}
    for text in ("Tell me a long story about dragons", "where is my parcel?"):
        reply = client.chat.completions.create(model="smollm2-135m", messages=ask(text), max_tokens=24, response_format=fmt)
        assert json.loads(reply.choices[0].message.content)["answer"] in labels
    guided = client.chat.completions.create(
        model="smollm2-135m", messages=ask("Tell me about dragons"), max_tokens=8, extra_body={"guided_choice": labels}
    )
    assert guided.choices[0].message.content in labels


def test_a_format_the_engine_cannot_compile_is_a_400(client):
    with pytest.raises(openai.BadRequestError, match="cannot constrain"):
        client.chat.completions.create(model="smollm2-135m", messages=ask("hi"), extra_body={"guided_regex": "(unclosed"})
    with pytest.raises(openai.BadRequestError, match="not supported"):
        client.chat.completions.create(model="smollm2-135m", messages=ask("hi"), response_format={"type": "xml"})


def test_unknown_model_is_a_404_naming_the_served_one(client):
    with pytest.raises(openai.NotFoundError, match="smollm2-135m"):
        client.chat.completions.create(model="gpt-4o-mini", messages=ask("hi"), max_tokens=2)


def test_serve_refuses_a_remote_model_and_a_busy_port(capsys):
    with pytest.raises(SystemExit) as remote:
        main(["serve", "--model", "openai:gpt-4o-mini"])
    assert remote.value.code == 2
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(SystemExit) as taken:
            main(["serve", "--port", str(busy.getsockname()[1])])
    assert taken.value.code == 2
    assert "--port" in capsys.readouterr().err


def test_advisor_serve_over_http_matches_the_local_backend_on_twelve_examples(tmp_path, embedded_model):
    """The real `advisor serve` process and the project's openai backend vs the local backend, through the Runner."""
    from evals.backends import GenerationParams, get_backend
    from evals.example import Example
    from evals.graders import make_grader
    from evals.runner import Runner

    questions = [
        "Name a colour.",
        "What is the capital of Italy?",
        "Say hi.",
        "What is 3 plus 4?",
        "Name a fruit.",
        "Is the sky blue? Answer yes or no.",
        "Translate 'cat' to French.",
        "What comes after Tuesday?",
        "Name an ocean.",
        "Spell the word 'dog'.",
        "What do bees make?",
        "Name a planet.",
    ]
    items = [
        (Example.model_validate({"id": f"q{i}", "messages": [*ask(q), {"role": "assistant", "content": "x"}]}), ask(q))
        for i, q in enumerate(questions)
    ]
    with advisor_serve() as ready:
        params, grader = GenerationParams(max_tokens=12), make_grader("exact")
        remote = Runner(get_backend(f"openai:{ready()}#smollm2-135m"), grader, params=params).run_sync(items, "zero_shot")
        local = Runner(get_backend("local:smollm2-135m"), grader, params=params).run_sync(items, "zero_shot")
    assert remote["error"].isna().all(), remote["error"].dropna().tolist()
    assert list(remote["output"]) == list(local["output"])
    assert list(remote["input_tokens"]) == list(local["input_tokens"]) and list(remote["output_tokens"]) == list(local["output_tokens"])


@pytest.fixture(scope="module")
def adapter(embedded_model, tmp_path_factory) -> Path:
    """A LoRA adapter for the embedded model with seeded random A and B, scaled to nudge greedy answers rather than wreck them."""
    import warnings

    import torch
    from peft import LoraConfig, get_peft_model

    from evals.models import load_model

    _, model = load_model(embedded_model)
    torch.manual_seed(0)
    config = LoraConfig(r=2, lora_alpha=0.5, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    folder = tmp_path_factory.mktemp("support-lora")
    with warnings.catch_warnings():  # peft calls a transformers API deprecated in v5
        warnings.simplefilter("ignore", FutureWarning)
        get_peft_model(model, config).save_pretrained(folder)
    return folder


@pytest.fixture
def one_thread_each(monkeypatch):
    """The server's process and this one on one torch thread each (ADVISOR_THREADS, which the child inherits): two
    processes with a thread per core run several times faster on a busy 2-core machine than with threads waiting."""
    import torch

    before = torch.get_num_threads()
    monkeypatch.setenv("ADVISOR_THREADS", "1")
    yield
    torch.set_num_threads(before)


def test_advisor_serve_adapter_over_http_answers_as_the_local_backend_with_that_adapter(adapter, one_thread_each):
    """`advisor serve --adapter` through the openai SDK vs `LocalBackend(adapter=...)` in-process, greedy; the base
    model's id answers as the base model does where the adapter changes the answer."""
    from evals.backends import GenerationParams

    prompts = ["Name a colour.", "What is the capital of Italy?", "Say hi."]
    local = LocalBackend("smollm2-135m", adapter=adapter)

    async def in_process() -> list[list[tuple[str, int, int]]]:
        answers = []
        for use_adapter in (True, False):
            done = [await local.complete(ask(p), GenerationParams(max_tokens=8), use_adapter=use_adapter) for p in prompts]
            answers.append([(c.text, c.input_tokens, c.output_tokens) for c in done])
        return answers

    with advisor_serve("--adapter", str(adapter)) as ready:  # loads while the local backend answers
        tuned, base = asyncio.run(in_process())
        changed = next(i for i in range(len(prompts)) if tuned[i] != base[i])  # a server ignoring the adapter would fail
        client = openai.OpenAI(base_url=ready(), api_key="unused", max_retries=0)
        assert [m.id for m in client.models.list().data] == [adapter.name, "smollm2-135m"]

        def over_http(model: str, prompt: str) -> tuple[str | None, int, int]:
            reply = client.chat.completions.create(model=model, messages=ask(prompt), max_tokens=8, temperature=0)
            return reply.choices[0].message.content, reply.usage.prompt_tokens, reply.usage.completion_tokens

        assert [over_http(adapter.name, p) for p in prompts] == tuned
        assert over_http("smollm2-135m", prompts[changed]) == base[changed]
