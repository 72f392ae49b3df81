"""A team's own system on the ladder: the function backend on modules written to tmp_path, through the real runner
where a row's error is the point."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import time
from pathlib import Path

import pytest
from fakes.graders import exact_match
from fakes.items import make_items

from evals.backends import GenerationParams
from evals.backends.function import FunctionBackend, resolve_target
from evals.errors import BackendError, InputError
from evals.runner import Runner
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
