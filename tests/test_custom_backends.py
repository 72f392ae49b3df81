"""A team's own system on the ladder: the function backend on modules written to tmp_path, the endpoint backend
against a real HTTP server on loopback, both through the real runner where a row's error is the point."""

from __future__ import annotations

import asyncio
import socket
import sys
import textwrap
import time
from pathlib import Path

import pytest
from fakes.endpoint_server import EndpointServer
from fakes.graders import exact_match
from fakes.items import make_items
from fakes.silent_server import SilentServer

from evals.backends import GenerationParams
from evals.backends.endpoint import EndpointBackend
from evals.backends.function import FunctionBackend, resolve_target
from evals.errors import BackendError, InputError
from evals.runner import Runner, check_error_budget
from evals.secrets import register_secret

PARAMS = GenerationParams()
USER = [{"role": "system", "content": "Answer with one label."}, {"role": "user", "content": "q1 my ticket is about refund"}]
KEY = "our-key-NEVER-written-5f3a9c1e77"


def write_module(folder: Path, name: str, code: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return path


# --- function ---------------------------------------------------------------------------------------------------


def test_a_sync_function_answers_every_item_and_sees_only_the_prompt(tmp_path):
    write_module(
        tmp_path,
        "rag_sync",
        """
        seen = []

        def answer(messages):
            seen.append(messages)
            return messages[-1]["content"].split()[-1]
        """,
    )
    path_before = list(sys.path)
    backend = FunctionBackend("rag_sync:answer", tmp_path)
    assert sys.path == path_before  # the folder was on it only while importing
    rows = Runner(backend, exact_match).run_sync(make_items(6), "zero_shot")
    assert rows["error"].isna().all() and rows["score"].tolist() == [1.0] * 6
    seen = sys.modules["rag_sync"].seen
    assert len(seen) == 6 and all([m["role"] for m in messages] == ["system", "user"] for messages in seen)
    assert all(set(m) == {"role", "content"} for messages in seen for m in messages)
    assert backend.spec == "function:rag_sync:answer" and backend.identity["target"] == "rag_sync:answer"
    assert not (tmp_path / "__pycache__").exists()


async def test_an_async_function_and_a_method_reached_by_a_dotted_path_answer(tmp_path):
    write_module(
        tmp_path,
        "rag_async",
        """
        import asyncio

        async def answer(messages):
            await asyncio.sleep(0.01)
            return messages[-1]["content"].split()[-1]

        class Pipeline:
            def __init__(self, prefix):
                self.prefix = prefix

            async def answer(self, messages):
                return self.prefix + messages[-1]["content"].split()[-1]

        pipeline = Pipeline("label: ")

        async def broken(messages):
            raise RuntimeError("index missing")
        """,
    )
    plain = await FunctionBackend("rag_async:answer", tmp_path).complete(USER, PARAMS)
    method = await FunctionBackend("rag_async:pipeline.answer", tmp_path).complete(USER, PARAMS)
    assert plain.text == "refund" and method.text == "label: refund"
    with pytest.raises(BackendError, match="^rag_async:broken raised RuntimeError: index missing$"):
        await FunctionBackend("rag_async:broken", tmp_path).complete(USER, PARAMS)
    assert plain.latency_s >= 0.01 and plain.input_tokens == 0 and plain.extra == {"usage_missing": True}


def test_raising_or_returning_a_non_string_fails_only_those_items_with_the_reason(tmp_path):
    write_module(
        tmp_path,
        "rag_flaky",
        """
        import sys

        def answer(messages):
            key = messages[-1]["content"].split()[0]
            if key == "q1":
                raise ValueError("boom")
            if key == "q2":
                return 42
            if key == "q3":
                raise KeyError("our-key-NEVER-written-5f3a9c1e77")
            if key == "q4":
                sys.exit(2)
            return messages[-1]["content"].split()[-1]
        """,
    )
    register_secret(KEY)
    rows = Runner(FunctionBackend("rag_flaky:answer", tmp_path), exact_match).run_sync(make_items(6), "zero_shot")
    errors = dict(zip(rows["id"], rows["error"]))
    assert errors["q1"] == "rag_flaky:answer raised ValueError: boom"
    assert errors["q2"] == "rag_flaky:answer returned int, not str"
    assert errors["q3"] == "rag_flaky:answer raised KeyError: '***'"
    assert errors["q4"] == "rag_flaky:answer raised SystemExit: 2"  # the item fails, the run goes on
    assert rows["error"].notna().tolist() == [False, True, True, True, True, False] and rows["score"].sum() == 2
    assert not rows["error"].str.contains("Traceback").any()


@pytest.mark.parametrize("kind", ["def", "async def"])
def test_a_function_past_its_timeout_fails_in_about_the_timeout_and_does_not_hold_up_the_end(tmp_path, kind):
    sleep = "time.sleep(5)" if kind == "def" else "await asyncio.sleep(5)"
    write_module(tmp_path, f"rag_slow_{len(kind)}", f"import asyncio, time\n{kind} answer(messages):\n    {sleep}\n    return 'late'\n")
    backend = FunctionBackend(f"rag_slow_{len(kind)}:answer", tmp_path, timeout=0.3)
    start = time.monotonic()
    with pytest.raises(BackendError, match=r"rag_slow_\d+:answer did not return within 0.3 s"):
        asyncio.run(backend.complete(USER, PARAMS))  # returns although a sync function's thread is still asleep
    assert time.monotonic() - start < 2


@pytest.mark.parametrize(
    ("target", "message", "fix"),
    [
        ("no_such_module:answer", "no module 'no_such_module' in", "put no_such_module.py in"),
        ("rag_parts:missing", "rag_parts.py has no 'missing'", "define `def missing(messages)"),
        ("rag_parts:pipeline.nothing", "has no 'pipeline.nothing'", "define `def nothing(messages)"),
        ("rag_parts:NOT_CALLABLE", "'rag_parts:NOT_CALLABLE' is a str, not a function", "name a function"),
        ("rag_parts", "'rag_parts' does not name a function", "MODULE:FUNCTION"),
        ("rag_broken:answer", "importing 'rag_broken' raised ZeroDivisionError", "python -c 'import rag_broken'"),
        ("rag_needs:answer", "importing 'rag_needs' failed: No module named 'not_installed_pkg'", "install the package"),
    ],
)
def test_a_target_that_names_no_function_is_an_input_error_with_a_fix(tmp_path, target, message, fix):
    write_module(tmp_path, "rag_parts", "NOT_CALLABLE = 'text'\nclass pipeline:\n    pass\ndef answer(messages):\n    return ''\n")
    write_module(tmp_path, "rag_broken", "1 / 0\n")
    write_module(tmp_path, "rag_needs", "import not_installed_pkg\n")
    path_before = list(sys.path)
    with pytest.raises(InputError) as info:
        resolve_target(target, tmp_path)
    [problem] = info.value.problems
    assert message in problem.message and fix in problem.fix
    assert sys.path == path_before


def test_what_the_function_prints_goes_to_the_terminal_and_the_rows_are_unaffected(tmp_path, capsys):
    write_module(
        tmp_path,
        "rag_chatty",
        """
        import sys

        def answer(messages):
            print("retrieved 3 chunks for", messages[-1]["content"])
            print("warning: slow index", file=sys.stderr)
            return messages[-1]["content"].split()[-1]
        """,
    )
    rows = Runner(FunctionBackend("rag_chatty:answer", tmp_path), exact_match).run_sync(make_items(4), "zero_shot")
    assert rows["error"].isna().all() and rows["output"].tolist() == ["billing", "refund", "shipping", "account"]
    out, err = capsys.readouterr()
    assert out.count("retrieved 3 chunks") == 4 and err.count("warning: slow index") == 4


def test_the_identity_follows_the_source_and_each_folder_gets_its_own_module(tmp_path):
    write_module(tmp_path / "a", "pipeline", "import helper\ndef answer(messages):\n    return helper.WORD\n")
    write_module(tmp_path / "a", "helper", "WORD = 'first'\n")
    write_module(tmp_path / "b", "pipeline", "def answer(messages):\n    return 'from b'\n")
    first = FunctionBackend("pipeline:answer", tmp_path / "a")
    assert FunctionBackend("pipeline:answer", tmp_path / "a").identity == first.identity  # unchanged code: the cache holds
    other = FunctionBackend("pipeline:answer", tmp_path / "b")
    write_module(tmp_path / "a", "helper", "WORD = 'second, edited'\n")  # a module the target imports
    edited = FunctionBackend("pipeline:answer", tmp_path / "a")
    answers = [asyncio.run(b.complete(USER, PARAMS)).text for b in (first, other, edited)]
    assert answers == ["first", "from b", "second, edited"]
    assert len({first.identity["source_sha256"], other.identity["source_sha256"], edited.identity["source_sha256"]}) == 3


# --- endpoint ---------------------------------------------------------------------------------------------------


def echo_label(request):
    """Answers the last word of what the body sent as `question`, the way a chat API would."""
    return 200, {"choices": [{"message": {"content": request["body"]["question"].split()[-1]}}]}


def fast(url, **options):
    options = {"body": {"question": "{{input}}"}, "output": "choices.0.message.content", "backoff_s": 0.01, "timeout": 5, **options}
    return EndpointBackend(url, **options)


async def test_the_body_is_rendered_from_the_example_and_the_answer_read_at_a_list_index():
    body = {
        "question": "{{input}}",
        "context": {"system": "sys: {{ system }}", "tags": ["q={{input}}", 3]},
        "history": "{{messages}}",
        "n": 1,
    }
    with EndpointServer(echo_label) as server:
        completion = await fast(server.url(), body=body).complete(USER, PARAMS)
        [request] = server.requests
    assert completion.text == "refund" and completion.latency_s > 0
    assert request["path"] == "/answer" and request["headers"]["content-type"] == "application/json"
    assert request["body"] == {
        "question": "q1 my ticket is about refund",
        "context": {"system": "sys: Answer with one label.", "tags": ["q=q1 my ticket is about refund", 3]},
        "history": USER,
        "n": 1,
    }


async def test_an_environment_key_in_a_header_is_sent_and_written_nowhere(monkeypatch):
    monkeypatch.setenv("OUR_KEY", KEY)

    def echo_the_key(request):  # a careless service that quotes the header back in its error
        return 400, {"error": f"bad request, you sent {request['headers']['authorization']}"}

    with EndpointServer(echo_the_key) as server:
        backend = fast(server.url(), headers={"Authorization": "Bearer ${OUR_KEY}"})
        with pytest.raises(BackendError) as info:
            await backend.complete(USER, PARAMS)
        assert [r["headers"]["authorization"] for r in server.requests] == [f"Bearer {KEY}"]  # 400: not retried
    message = str(info.value)
    assert message.startswith(f"POST {server.url()}: HTTP 400") and "you sent Bearer ***" in message
    assert KEY not in message and KEY not in repr(backend.identity) and KEY not in backend.spec


def test_a_header_naming_an_unset_variable_is_an_input_error_with_the_export_to_run(monkeypatch):
    monkeypatch.delenv("OUR_MISSING_KEY", raising=False)
    with pytest.raises(InputError) as info:
        EndpointBackend("http://127.0.0.1:9/answer", {"q": "{{input}}"}, "answer", headers={"X-Api-Key": "${OUR_MISSING_KEY}"})
    [problem] = info.value.problems
    assert problem.message == "$OUR_MISSING_KEY is not set" and problem.fix.startswith("export OUR_MISSING_KEY=")
    assert problem.field == "headers.X-Api-Key"


def test_query_secrets_stay_out_of_the_identity_and_the_spec(monkeypatch):
    monkeypatch.setenv("FN_CODE", KEY)
    backend = EndpointBackend(
        "https://user:hunter2-password@rag.example/answer?code=${FN_CODE}&api_key=literal-secret-123&mode=rag",
        {"q": "{{input}}"},
        "answer",
    )
    assert backend.identity["url"] == "https://rag.example/answer?code=${FN_CODE}&api_key=***&mode=rag"
    assert backend.spec == f"endpoint:{backend.identity['url']}"
    assert backend.identity["body"] == {"q": "{{input}}"} and backend.identity["output"] == "answer"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://rag.example/answer", "is not an http or https url"),
        ("localhost:8080/answer", "is not an http or https url"),
        ("http:///answer", "names no host"),
        ("http://rag.example:port/answer", "is not a valid url"),
    ],
)
def test_an_invalid_url_is_an_input_error_with_a_fix(url, message):
    with pytest.raises(InputError) as info:
        EndpointBackend(url, {"q": "{{input}}"}, "answer")
    [problem] = info.value.problems
    assert message in problem.message and problem.field == "url" and "http://127.0.0.1:8080/answer" in problem.fix


def test_every_template_mistake_is_reported_at_once():
    with pytest.raises(InputError) as info:
        EndpointBackend("ftp://x/y", {"q": "{{question}}", "all": "history: {{messages}}"}, "choices..content")
    messages = [p.message for p in info.value.problems]
    assert len(messages) == 4, messages
    assert "unknown placeholder {{question}}" in messages[1] and "inside other text" in messages[2] and "not a path" in messages[3]
    with pytest.raises(InputError, match="uses no placeholder"):
        EndpointBackend("http://127.0.0.1:9/answer", {"q": "the same for everyone"}, "answer")


@pytest.mark.parametrize(("status", "headers"), [(500, {}), (503, {}), (429, {"Retry-After": "0"})])
async def test_a_server_error_or_rate_limit_is_retried_until_an_answer(status, headers):
    calls = []

    def fail_once(request):
        calls.append(1)
        return (status, {"error": "try again"}, headers) if len(calls) == 1 else echo_label(request)

    with EndpointServer(fail_once) as server:
        completion = await fast(server.url()).complete(USER, PARAMS)
    assert completion.text == "refund" and completion.extra["retries"] == 1 and len(calls) == 2


def test_a_client_error_fails_only_that_item_without_a_retry():
    def reject_q1(request):
        return (422, {"detail": "q1 is too long"}) if request["body"]["question"].startswith("q1 ") else echo_label(request)

    with EndpointServer(reject_q1) as server:
        rows = Runner(fast(server.url()), exact_match).run_sync(make_items(6), "zero_shot")
        asked = [r["body"]["question"].split()[0] for r in server.requests]
    errors = dict(zip(rows["id"], rows["error"]))
    assert errors["q1"] == f'POST {server.url()}: HTTP 422: {{"detail": "q1 is too long"}} (after 1 attempt(s))'
    assert rows["error"].notna().sum() == 1 and asked.count("q1") == 1


@pytest.mark.parametrize(
    ("reply", "output", "message"),
    [
        ((200, "<html>Service Unavailable</html>"), "answer", "response is not JSON: '<html>Service Unavailable</html>'"),
        ((200, {"result": "refund"}), "answer", "response has no 'answer'"),
        ((200, {"choices": []}), "choices.0.message.content", "response has no 'choices.0.message.content'"),
        ((200, {"answer": None}), "answer", "response has null at 'answer'"),
    ],
)
async def test_a_response_without_an_answer_fails_the_item_with_what_was_missing(reply, output, message):
    with EndpointServer(lambda request: reply) as server:
        with pytest.raises(BackendError) as info:
            await fast(server.url(), output=output).complete(USER, PARAMS)
        assert len(server.requests) == 1  # the endpoint answered: no retry
    assert str(info.value) == f"POST {server.url()}: {message}"


async def test_a_non_string_answer_is_read_as_json_text():
    with EndpointServer(lambda request: (200, {"answer": {"label": "refund", "score": 0.9}})) as server:
        completion = await fast(server.url(), output="answer").complete(USER, PARAMS)
    assert completion.text == '{"label": "refund", "score": 0.9}'


async def test_a_redirect_to_another_host_is_not_followed(monkeypatch):
    monkeypatch.setenv("OUR_KEY", KEY)
    with EndpointServer(echo_label) as elsewhere:
        moved = (302, "", {"Location": f"http://localhost:{elsewhere.port}/answer"})
        with EndpointServer(lambda request: moved) as server, pytest.raises(BackendError, match="HTTP 302 redirect to .* not followed"):
            await fast(server.url(), headers={"Authorization": "Bearer ${OUR_KEY}"}).complete(USER, PARAMS)
        assert elsewhere.requests == []


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("options", [{}, {"max_retries": 1, "backoff_s": 0.01}], ids=["defaults", "small-retry-policy"])
def test_a_dead_endpoint_trips_the_breaker_and_ends_the_run_with_a_backend_error_fast(options):
    backend = EndpointBackend(f"http://127.0.0.1:{closed_port()}/answer", {"question": "{{input}}"}, "answer", **options)
    start = time.monotonic()
    rows = Runner(backend, exact_match).run_sync(make_items(40), "zero_shot")
    with pytest.raises(BackendError, match="40 of 40 calls failed"):
        check_error_budget(rows)
    elapsed = time.monotonic() - start
    assert elapsed < 30  # defaults: well under a second here (connection refused, 8 in flight, the breaker at 4)
    assert backend.breaker.tripped and rows["error"].str.contains("none succeeded").sum() >= 32
    assert rows["error"].str.contains("ConnectError").all()


def test_an_endpoint_that_accepts_and_never_answers_fails_after_about_one_timeout():
    with SilentServer() as server:
        backend = EndpointBackend(f"http://127.0.0.1:{server.port}/answer", {"question": "{{input}}"}, "answer", timeout=1)
        start = time.monotonic()
        rows = Runner(backend, exact_match).run_sync(make_items(40), "zero_shot")
        elapsed = time.monotonic() - start
    assert rows["error"].notna().all() and backend.breaker.tripped
    assert elapsed < 10 and rows["error"].str.contains("ReadTimeout").all()
