"""Orchestration of the ladder with a scripted backend (no model): order, stopping, skips, warnings, failures.

`PromptAwareFake` is a fake backend that knows the answer only when the prompt carries it: in an
earlier chat turn (few-shot) or in a retrieved context (RAG). Zero-shot it says "I'm not sure".
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml

from advisor.registry import rung_order
from advisor.run import RunOptions, climb
from advisor.scenario.workspace import prepare
from evals.backends.base import Completion
from evals.errors import BackendError

LABELS = ["refund", "shipping", "account"]


class PromptAwareFake:
    """Answers the label of the question's topic word when the prompt shows that word with its answer."""

    spec = "fake:prompt-aware"
    identity = {"backend": "fake", "model": "prompt-aware"}

    def __init__(self, fail_every: int = 0):
        self.calls, self.fail_every = 0, fail_every

    async def complete(self, messages, params) -> Completion:
        self.calls += 1
        if self.fail_every and self.calls % self.fail_every == 0:
            raise BackendError("fake: HTTP 500 after 5 attempt(s)")
        # RAG puts its context above the question in the last turn: "Context: ... Question: <q>\n<rule>".
        context, _, question = messages[-1]["content"].rpartition("Question: ")
        topic = question.split("\n")[0].split()[-1]
        seen = " ".join(m["content"] for m in messages[:-1]) + context
        answer = LABELS[int(topic[1:]) % 3] if topic in seen else "I'm not sure"
        return Completion(answer, 40, 2, 0.01)


def write_scenario(folder: Path, *, n_eval: int = 60, targets=None, knowledge: bool = False, **extra) -> Path:
    """A classification scenario whose every question ends in a topic word t<i> with the label of i % 3."""

    def line(i: int, split: str) -> str:
        messages = [{"role": "user", "content": f"{split} question about t{i}"}, {"role": "assistant", "content": LABELS[i % 3]}]
        meta = {"source": "topics.md"} if knowledge else {}
        return json.dumps({"id": f"{split}-{i}", "messages": messages, "meta": meta})

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.jsonl").write_text("\n".join(line(i, "train") for i in range(120)) + "\n")
    (folder / "eval.jsonl").write_text("\n".join(line(i, "eval") for i in range(n_eval)) + "\n")
    data = {"train": "train.jsonl", "eval": "eval.jsonl"}
    if knowledge:
        (folder / "kb").mkdir(exist_ok=True)
        (folder / "kb" / "topics.md").write_text("\n\n".join(f"t{i} is {LABELS[i % 3]}" for i in range(60)))
        data["knowledge"] = "kb"
    scenario = {
        "name": "fake-topics",
        "task": {"kind": "classification", "system_prompt": "Route it.", "labels": LABELS},
        "data": data,
        "grader": {"kind": "label"},
        "targets": targets or [{"metric": "accuracy", "min": 0.9}],
        "model": "local:smollm2-135m",
        "ladder": {"few_shot": {"k": 4}, "rag": {"top_k": 3}},
        **extra,
    }
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario))
    return path


def climb_with(path: Path, tmp_path: Path, backend=None, **options):
    ws = prepare(path)
    opts = RunOptions(tmp_path / "run", use_cache=False, backend=backend or PromptAwareFake(), **options)
    events = []
    record = asyncio.run(climb(ws, opts, events.append))
    return record, events


def statuses(record) -> dict[str, str]:
    return {r.name: r.status for r in record.rungs}


def test_the_ladder_stops_at_the_first_rung_that_meets_every_target(tmp_path):
    record, events = climb_with(
        write_scenario(tmp_path / "s", knowledge=True), tmp_path, rungs=["zero_shot", "few_shot", "rag"], sequential=False
    )
    by_name = {r.name: r for r in record.rungs}
    zero, few, search, rag, finetune, distill = (
        by_name[n] for n in ("zero_shot", "few_shot", "prompt_search", "rag", "finetune", "distill")
    )
    assert search.skip_reason == "not selected (--rungs)" and distill.status == "skipped"
    assert zero.status == "measured" and zero.meets_targets is False and zero.metrics["accuracy"].value == 0
    assert few.status == "measured" and few.meets_targets is True and few.metrics["accuracy"].lower >= 0.9
    assert rag.status == "skipped" and "few_shot already meets every target" in rag.skip_reason
    assert finetune.skip_reason == "not selected (--rungs)"
    assert record.recommendation.rung == "few_shot" and record.passed
    # few-shot is compared with zero-shot on the same 60 items: 60 discordant pairs, all its way
    comparison = few.comparisons[0]
    assert (comparison.against, comparison.n, comparison.this_only, comparison.other_only) == ("zero_shot", 60, 60, 0)
    assert comparison.p_value < 1e-10
    assert [type(e).__name__ for e in events].count("RungFinished") == len(record.rungs) == len(rung_order())


def test_full_measures_every_rung_and_rag_reports_recall(tmp_path):
    record, _ = climb_with(write_scenario(tmp_path / "s", knowledge=True), tmp_path, full=True, rungs=["zero_shot", "few_shot", "rag"])
    assert statuses(record)["rag"] == "measured"
    rag = record.rung("rag")
    assert rag.meets_targets and rag.metrics["recall_at_k"].value == 1.0
    assert record.recommendation.rung == "few_shot"  # the cheaper of the passing rungs


def test_a_profile_that_needs_citations_measures_rag_and_recommends_it(tmp_path):
    path = write_scenario(tmp_path / "s", knowledge=True, profile={"needs_citations": True})
    record, _ = climb_with(path, tmp_path, rungs=["zero_shot", "few_shot", "rag"])
    assert statuses(record)["rag"] == "measured"
    assert record.rung("rag").meets_targets and record.recommendation.rung == "rag"
    assert any(s.startswith("Because answers must cite sources, RAG is preferred") for s in record.recommendation.rationale)


def test_rungs_that_do_not_apply_are_skipped_with_their_reason(tmp_path):
    record, _ = climb_with(write_scenario(tmp_path / "s"), tmp_path, full=True, rungs=["zero_shot", "few_shot", "rag"])
    assert record.rung("rag").skip_reason == "no knowledge folder (data.knowledge)"


def test_a_target_the_eval_set_cannot_show_is_warned_about_and_fails(tmp_path):
    path = write_scenario(tmp_path / "s", n_eval=20, targets=[{"metric": "accuracy", "min": 0.95}])
    record, _ = climb_with(path, tmp_path, rungs=["zero_shot", "few_shot"], sequential=False)
    assert any("20 eval examples can show at most accuracy >= 0.839" in w for w in record.warnings)
    few = record.rung("few_shot")
    assert few.metrics["accuracy"].value == 1.0 and few.meets_targets is False
    assert "20 examples cannot show more than 0.839" in few.checks[0].reason
    assert not record.passed


def test_too_many_failed_calls_stop_the_ladder_with_a_backend_failure(tmp_path):
    record, _ = climb_with(
        write_scenario(tmp_path / "s"), tmp_path, backend=PromptAwareFake(fail_every=3), rungs=["zero_shot", "few_shot"], sequential=False
    )
    zero = record.rung("zero_shot")
    assert zero.errors == 20 and zero.n == 60  # every row present, the failed ones counted
    assert record.backend_failure and "20 of 60 zero_shot calls failed" in record.backend_failure
    assert record.rung("few_shot").skip_reason.startswith("stopped: ")


def test_samples_hold_every_output_and_grade(tmp_path):
    record, _ = climb_with(write_scenario(tmp_path / "s"), tmp_path, rungs=["zero_shot", "few_shot"], sequential=False)
    lines = (tmp_path / "run" / "samples" / "few_shot.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 60 and {r["score"] for r in rows} == {1.0}
    assert rows[0]["id"] == "eval-0" and rows[0]["output"] == "refund"


@pytest.mark.parametrize("bad", [{"metric": "accuracy", "min": 1.5}, {"metric": "speed", "max": 3}])
def test_bad_targets_are_input_errors_before_anything_runs(tmp_path, bad):
    from evals.errors import InputError

    path = write_scenario(tmp_path / "s", targets=[bad])
    with pytest.raises(InputError) as err:
        prepare(path)
    assert "targets.0" in str(err.value) and str(path) in str(err.value)
