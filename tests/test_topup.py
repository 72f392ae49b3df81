"""The top-up: a rung that sequential stopping settled early is asked the recommended rung's items afterwards, so
that their paired test runs on those items; within a budget of calls, and never twice.

`HalfKnows` is a scripted backend, not a model: it answers right when the prompt shows the topic with its answer
(few-shot) and, without one, on the 4 topics in 7 it "knows" (zero-shot scores about 0.57).
"""

from __future__ import annotations

import json

import pytest
from clirun import run_cli
from fakes.openai_server import FakeOpenAIServer
from test_ladder import LABELS, climb_with, write_scenario
from test_model_axis import axis_rows, axis_scenario

from advisor.measure.cell import RunOptions
from advisor.record.run import load_record
from advisor.record.samples import read
from advisor.reports import render
from evals.backends.base import Completion


class HalfKnows:
    spec = "fake:half-knows"
    identity = {"backend": "fake", "model": "half-knows"}

    def __init__(self) -> None:
        self.calls = 0

    async def complete(self, messages, params) -> Completion:
        self.calls += 1
        topic = messages[-1]["content"].split()[-1]
        shown = topic in " ".join(m["content"] for m in messages[:-1])
        i = int(topic[1:])
        return Completion(LABELS[i % 3] if shown or i % 7 < 4 else "I'm not sure", 40, 2, 0.01)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """120 eval items and a target that zero-shot fails within 10 of them and few-shot needs 119 to pass."""
    return write_scenario(tmp_path_factory.mktemp("topup"), n_eval=120, targets=[{"metric": "accuracy", "min": 0.95}])


def climb_topped(scenario, out, top_up: int, backend=None):
    backend = backend or HalfKnows()
    record, events = climb_with(scenario, out, backend=backend, rungs=["zero_shot", "few_shot"], latency_probe=0, top_up=top_up)
    return record, backend, events


def test_a_rung_stopped_early_is_compared_on_the_recommended_rungs_items_and_keeps_its_own_numbers(scenario, tmp_path):
    before, _, _ = climb_topped(scenario, tmp_path / "off", top_up=0)
    record, backend, events = climb_topped(scenario, tmp_path / "on", top_up=500)
    zero, few = record.rung("zero_shot"), record.rung("few_shot")
    assert record.recommendation.rung == "few_shot" and few.n == 119
    # without the top-up the paired test runs on the 10 items zero-shot needed to fail
    assert before.rung("few_shot").comparisons[0].n == before.rung("zero_shot").n == zero.n == 10
    comparison = few.comparisons[0]
    assert (comparison.against, comparison.n, comparison.note) == ("zero_shot", few.n, None)
    assert zero.stopping.topped_up == few.n - zero.n == backend.calls - zero.stopping.calls - few.stopping.calls
    # zero-shot's own numbers stay as sequential stopping left them
    assert zero.stopping.used == 10 and zero.metrics == before.rung("zero_shot").metrics and not zero.meets_targets
    assert comparison.p_value < 1e-6 < before.rung("few_shot").comparisons[0].p_value
    answers = read(tmp_path / "on" / "run" / "samples" / "zero_shot-topup.jsonl")
    assert len(answers) == 109 and {a.rung for a in answers} == {"zero_shot-topup"}
    assert any("zero-shot: asked 109 more of few-shot's items" in getattr(e, "text", "") for e in events)
    md = render(record, "md")
    assert "| zero-shot | measured, decided after 10 of 120 (+109 for the paired tests) |" in md
    assert "| few-shot | zero-shot | 119 | +" in md


def test_a_rerun_asks_nothing_again(scenario, tmp_path):
    first, _, _ = climb_topped(scenario, tmp_path, top_up=500)
    again, backend, _ = climb_topped(scenario, tmp_path, top_up=500)
    assert backend.calls == 0
    assert again.rung("few_shot").comparisons == first.rung("few_shot").comparisons
    assert again.rung("zero_shot").stopping == first.rung("zero_shot").stopping


def test_a_small_budget_limits_the_items_and_the_record_and_reports_say_why(scenario, tmp_path):
    record, backend, _ = climb_topped(scenario, tmp_path, top_up=5)
    zero, few = record.rung("zero_shot"), record.rung("few_shot")
    comparison = few.comparisons[0]
    assert zero.stopping.topped_up == 5 and comparison.n == zero.n + 5 == 15
    why = "the top-up budget of 5 calls was spent: 104 of its 119 items were not asked of zero-shot"
    assert comparison.note == why
    assert any(
        s.startswith("Against zero-shot on the same 15 items") and s.endswith(f"15 items only, because {why}.")
        for s in record.recommendation.rationale
    )
    assert f"| few-shot | zero-shot | 15 ({why}) |" in render(record, "md")
    assert why in render(record, "html")


def test_no_budget_no_top_up(scenario, tmp_path):
    record, backend, _ = climb_topped(scenario, tmp_path, top_up=0)
    assert record.rung("zero_shot").stopping.topped_up == 0 and record.estimate["top_up_calls"] == 0
    assert record.rung("few_shot").comparisons[0].note == "the top-up was off: 109 of its 119 items were not asked of zero-shot"
    assert backend.calls == record.rung("zero_shot").stopping.calls + record.rung("few_shot").stopping.calls


def test_the_cli_default_budget_is_the_run_options_default():
    from advisor.cli.run import run

    option = next(p for p in run.params if p.name == "top_up")
    assert option.default == RunOptions.top_up == 500


def test_across_models_the_cell_stopped_early_is_topped_up_to_the_recommended_cells_items(tmp_path, capsys, run_cache):
    """Two loopback OpenAI-compatible servers: the first model is wrong on 2 items in 3, the second always right."""
    eval_rows = [json.loads(line) for line in axis_rows("q", 30).splitlines()]
    wrong = {
        row["messages"][0]["content"]: "refund" if row["messages"][1]["content"] == "shipping" else "shipping"
        for i, row in enumerate(eval_rows)
        if i % 3
    }
    with FakeOpenAIServer(answers=wrong) as weak, FakeOpenAIServer() as strong:
        models = [{"model": f"openai:{weak.base_url}#weak"}, {"model": f"openai:{strong.base_url}#strong"}]
        path = axis_scenario(tmp_path, models, 1000)
        code, _, _ = run_cli(
            ["run", str(path), "--out", str(tmp_path / "out"), "--ci", "--rungs", "zero_shot", "--latency-probe", "0"], capsys
        )
    record = load_record(tmp_path / "out" / "run.json")
    weak_cell, strong_cell = (record.rung("zero_shot", m) for m in record.models)
    assert code == 0 and record.recommendation.model == record.models[1]
    assert weak_cell.n < strong_cell.n and weak_cell.stopping.topped_up == strong_cell.n - weak_cell.n
    [paired] = strong_cell.comparisons
    assert (paired.against_model, paired.n, paired.note) == (record.models[0], strong_cell.n, None)
    # the calls in flight when the weak cell stopped were cached: the top-up asks only the items never asked
    assert weak.app.total == weak_cell.stopping.used + weak_cell.stopping.topped_up
