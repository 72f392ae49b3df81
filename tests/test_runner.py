"""The runner's orchestration with a ScriptedBackend: rows, errors, cache, journal, repeats, progress."""

from __future__ import annotations

import json
import math
import sqlite3
from types import SimpleNamespace

import pandas as pd
import pytest
from fakes.backends import ScriptedBackend
from fakes.graders import async_exact_match, exact_match
from fakes.items import make_items

from evals.backends import GenerationParams
from evals.errors import BackendError, InputError
from evals.runner import COLUMNS, Cache, Journal, Runner, check_error_budget, repeat_summary, request_key
from evals.runner._cache import MIGRATIONS

WRONG = frozenset({"q2"})


def test_one_row_per_item_in_item_order_with_every_column():
    backend = ScriptedBackend(delay_s=0.001)
    rows = Runner(backend, exact_match, concurrency=4).run_sync(make_items(12, wrong=WRONG), "zero_shot")
    assert list(rows.columns) == COLUMNS
    assert rows["id"].tolist() == [f"q{i}" for i in range(12)]
    assert rows["score"].sum() == 11 and rows.loc[2, "score"] == 0 and rows.loc[2, "expected"] == "other"
    assert set(rows["rung"]) == {"zero_shot"} and set(rows["repeat"]) == {0}
    assert rows["error"].isna().all() and not rows["cached"].any()
    assert rows.loc[0, "input_tokens"] == 6 and rows.loc[0, "details"] == {"match": True}


async def test_async_graders_are_awaited():
    rows = await Runner(ScriptedBackend(), async_exact_match).run(make_items(4), "zero_shot")
    assert rows["score"].tolist() == [1.0] * 4


def test_failed_calls_become_error_rows_scored_zero():
    runner = Runner(ScriptedBackend(fail=frozenset({"q1", "q3"})), exact_match)
    rows = runner.run_sync(make_items(10), "zero_shot")
    failed = rows[rows["error"].notna()]
    assert failed["id"].tolist() == ["q1", "q3"] and len(rows) == 10
    assert (failed["score"] == 0).all() and not failed["format_valid"].any()
    assert math.isnan(failed["latency_s"].iloc[0]) and "HTTP 500" in failed["error"].iloc[0]
    assert runner.error_rate == pytest.approx(0.2)
    check_error_budget(rows, max_error_rate=0.2)
    with pytest.raises(BackendError, match="2 of 10 calls failed"):
        check_error_budget(rows, max_error_rate=0.1)


def test_a_judge_that_fails_makes_an_error_row_that_keeps_the_output():
    async def failing_judge(output, example):
        raise BackendError("judge unreachable")

    rows = Runner(ScriptedBackend(), failing_judge).run_sync(make_items(2), "zero_shot")
    assert rows["error"].tolist() == ["grader: judge unreachable"] * 2
    assert rows["output"].tolist() == ["billing", "refund"] and (rows["score"] == 0).all()


def test_a_rerun_with_the_cache_makes_no_backend_calls(tmp_path):
    items = make_items(20, wrong=WRONG)
    first = ScriptedBackend()
    with Cache(tmp_path / "cache.sqlite") as cache:
        before = Runner(first, exact_match, cache=cache).run_sync(items, "zero_shot")
    second = ScriptedBackend()
    with Cache(tmp_path / "cache.sqlite") as cache:  # reopened: the cache lives on disk
        after = Runner(second, exact_match, cache=cache).run_sync(items, "zero_shot")
        assert len(cache) == 20
    assert len(first.calls) == 20 and second.calls == []
    assert after["cached"].all()
    pd.testing.assert_frame_equal(before.drop(columns="cached"), after.drop(columns="cached"))


def test_the_cache_misses_when_the_params_or_the_model_change(tmp_path):
    items = make_items(3)
    with Cache(tmp_path / "cache.sqlite") as cache:
        Runner(ScriptedBackend(), exact_match, cache=cache).run_sync(items, "a")
        other_params = ScriptedBackend()
        Runner(other_params, exact_match, cache=cache, params=GenerationParams(max_tokens=5)).run_sync(items, "a")
        other_model = ScriptedBackend(model="bigger")
        Runner(other_model, exact_match, cache=cache).run_sync(items, "a")
    assert len(other_params.calls) == 3 and len(other_model.calls) == 3


def test_failed_calls_are_not_cached(tmp_path):
    with Cache(tmp_path / "cache.sqlite") as cache:
        Runner(ScriptedBackend(fail=frozenset({"q0"})), exact_match, cache=cache).run_sync(make_items(2), "a")
        retry = ScriptedBackend()
        rows = Runner(retry, exact_match, cache=cache).run_sync(make_items(2), "a")
    assert [key for key, _ in retry.calls] == ["q0"] and rows["error"].isna().all()


def test_the_request_key_is_stable_and_depends_on_every_part():
    messages = [{"role": "user", "content": "hi"}]
    base = request_key({"model": "m"}, messages, GenerationParams())
    assert base == request_key({"model": "m"}, [dict(messages[0])], GenerationParams()) and len(base) == 64
    assert base != request_key({"model": "n"}, messages, GenerationParams())
    assert base != request_key({"model": "m"}, [{"role": "user", "content": "hi!"}], GenerationParams())
    assert base != request_key({"model": "m"}, messages, GenerationParams(seed=1))


def test_the_cache_schema_is_versioned_and_a_broken_file_is_an_input_error(tmp_path):
    Cache(tmp_path / "cache.sqlite").close()
    with sqlite3.connect(tmp_path / "cache.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    (tmp_path / "bad.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError, match="--no-cache"):
        Cache(tmp_path / "bad.sqlite")


def test_the_journal_resumes_only_unfinished_rows(tmp_path):
    items = make_items(10, wrong=WRONG)
    with Journal.in_folder(tmp_path) as journal:
        Runner(ScriptedBackend(), exact_match, journal=journal).run_sync(items[:6], "zero_shot")
    resumed = ScriptedBackend()
    with Journal.in_folder(tmp_path) as journal:
        rows = Runner(resumed, exact_match, journal=journal).run_sync(items, "zero_shot")
    assert sorted(key for key, _ in resumed.calls) == ["q6", "q7", "q8", "q9"]
    fresh = Runner(ScriptedBackend(), exact_match).run_sync(items, "zero_shot")
    pd.testing.assert_frame_equal(rows.drop(columns="latency_s"), fresh.drop(columns="latency_s"))
    assert len((tmp_path / "journal.jsonl").read_text().splitlines()) == 10


def test_a_torn_last_line_is_ignored_and_cut_off(tmp_path):
    items = make_items(4)
    with Journal.in_folder(tmp_path) as journal:
        Runner(ScriptedBackend(), exact_match, journal=journal).run_sync(items[:2], "zero_shot")
    path = tmp_path / "journal.jsonl"
    whole = path.read_bytes()
    path.write_bytes(whole + whole.splitlines(keepends=True)[0][:40])  # killed mid-write
    backend = ScriptedBackend()
    with Journal.in_folder(tmp_path) as journal:
        assert journal.torn == 1
        Runner(backend, exact_match, journal=journal).run_sync(items, "zero_shot")
    assert sorted(key for key, _ in backend.calls) == ["q2", "q3"]
    assert [json.loads(line)["row"]["id"] for line in path.read_text().splitlines()] == ["q0", "q1", "q2", "q3"]


def test_journal_rows_are_reused_only_for_the_same_request_and_rung(tmp_path):
    items = make_items(3)
    with Journal.in_folder(tmp_path) as journal:
        Runner(ScriptedBackend(), exact_match, journal=journal).run_sync(items, "zero_shot")
        changed = ScriptedBackend()
        Runner(changed, exact_match, journal=journal, params=GenerationParams(max_tokens=9)).run_sync(items, "zero_shot")
        other_rung = ScriptedBackend()
        Runner(other_rung, exact_match, journal=journal).run_sync(items, "few_shot")
    assert len(changed.calls) == 3 and len(other_rung.calls) == 3


def test_failed_rows_stay_out_of_the_journal_and_are_retried(tmp_path):
    items = make_items(3)
    with Journal.in_folder(tmp_path) as journal:
        Runner(ScriptedBackend(fail=frozenset({"q1"})), exact_match, journal=journal).run_sync(items, "a")
    retry = ScriptedBackend()
    with Journal.in_folder(tmp_path) as journal:
        rows = Runner(retry, exact_match, journal=journal).run_sync(items, "a")
    assert [key for key, _ in retry.calls] == ["q1"] and rows["error"].isna().all()


def test_repeats_bypass_the_cache_and_vary_the_seed_when_sampling(tmp_path):
    items = make_items(4)
    backend = ScriptedBackend()
    with Cache(tmp_path / "cache.sqlite") as cache:
        Runner(ScriptedBackend(), exact_match, cache=cache).run_sync(items, "a")  # warm it
        params = GenerationParams(temperature=0.7, seed=10)
        rows = Runner(backend, exact_match, cache=cache, repeat=3, params=params).run_sync(items, "a")
        assert len(cache) == 4
    assert len(backend.calls) == 12 and not rows["cached"].any()
    assert sorted({p.seed for key, p in backend.calls if key == "q0"}) == [10, 11, 12]
    assert rows[["id", "repeat"]].values.tolist()[:3] == [["q0", 0], ["q0", 1], ["q0", 2]]
    greedy = ScriptedBackend()
    Runner(greedy, exact_match, repeat=2).run_sync(items, "a")
    assert {p.seed for _, p in greedy.calls} == {None}


def test_repeat_summary_reports_pass_all_and_agreement():
    rows = pd.DataFrame(
        {
            "rung": ["a"] * 6,
            "id": ["x", "x", "y", "y", "z", "z"],
            "repeat": [0, 1] * 3,
            "output": ["A", "A", "B", "b", "C", "C"],
            "score": [1.0, 1.0, 1.0, 0.0, 1.0, 0.0],
            "error": [None, None, None, None, None, "HTTP 500"],
        }
    )
    summary = repeat_summary(rows)
    assert summary == {
        "repeats": 2,
        "items": 3,
        "pass_all": pytest.approx(1 / 3),
        "pass_at_1": pytest.approx(4 / 6),
        "agreement": pytest.approx(1 / 3),
    }


def test_progress_reports_counts_accuracy_and_eta():
    events = []
    Runner(ScriptedBackend(fail=frozenset({"q4"})), exact_match, progress=events.append).run_sync(make_items(5, wrong=WRONG), "zs")
    first, last = events[0], events[-1]
    assert (first.done, first.total, first.accuracy, first.eta_s) == (0, 5, None, None)
    assert (last.rung, last.done, last.total, last.errors) == ("zs", 5, 5, 1)
    assert last.accuracy == pytest.approx(3 / 5) and last.eta_s == 0 and last.elapsed_s > 0
    assert [e.done for e in events] == list(range(6))


def test_prompt_objects_pass_their_context_into_the_details():
    example, messages = make_items(1)[0]
    prompt = SimpleNamespace(messages=messages, context=["chunk 1", "chunk 2"])
    rows = Runner(ScriptedBackend(), exact_match).run_sync([(example, prompt)], "rag")
    assert rows.loc[0, "details"]["context"] == ["chunk 1", "chunk 2"] and rows.loc[0, "score"] == 1


def test_duplicate_ids_are_an_input_error():
    items = make_items(2)
    with pytest.raises(InputError, match="q0' appears twice"):
        Runner(ScriptedBackend(), exact_match).run_sync([items[0], items[0]], "a")


def test_a_bug_in_the_grader_propagates_instead_of_becoming_a_row():
    def broken(output, example):
        raise KeyError("bug")

    with pytest.raises(KeyError):
        Runner(ScriptedBackend(), broken).run_sync(make_items(3), "a")
