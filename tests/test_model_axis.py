"""The model axis: candidates in the scenario, cost at a volume, the ladder across models, the frontier.

Two loopback OpenAI-compatible servers stand in for a large API model and a small self-hosted one (real HTTP,
the openai SDK); the run with the embedded model is in test_model_axis_e2e.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from clirun import run_cli
from fakes.openai_server import FakeOpenAIServer

from advisor.decide.cost import crossover
from advisor.record.frontier import CellPrice
from advisor.record.run import load_record
from advisor.registry import rung_order
from advisor.scenario.schema import Candidate, Scenario

INTENTS = {
    "refund": ["the blender broke, give my money back", "return this jacket for a refund", "I want to send the boots back"],
    "shipping": ["where is parcel", "my delivery is late again", "which countries do you ship to"],
}


def axis_rows(split: str, n: int) -> str:
    """Chat JSONL whose last user word is the label, so the fake server (it answers the last word) is always right."""
    rows = []
    for i in range(n):
        label = "refund" if i % 2 else "shipping"
        text = f"{INTENTS[label][i % 3]} (order {split}-{i * 7919 % 1000}), {label}"
        rows.append({"id": f"{split}{i}", "messages": [{"role": "user", "content": text}, {"role": "assistant", "content": label}]})
    return "".join(json.dumps(r) + "\n" for r in rows)


def axis_scenario(folder: Path, models: list[dict], calls_per_day: int, **extra) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "eval.jsonl").write_text(axis_rows("q", 30))
    (folder / "train.jsonl").write_text(axis_rows("t", 20))
    scenario = {
        "name": "axis",
        "task": {"kind": "classification", "labels": ["refund", "shipping"], "system_prompt": "Reply refund or shipping."},
        "data": {"train": "train.jsonl", "eval": "eval.jsonl"},
        "grader": {"kind": "label"},
        "targets": [{"metric": "accuracy", "min": 0.85}],
        "profile": {"calls_per_day": calls_per_day},
        "models": models,
        **extra,
    }
    path = folder / f"scenario-{calls_per_day}.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path


def test_a_hosted_replica_costs_the_same_busy_or_idle_and_an_api_per_call():
    hosted = CellPrice(per_call_usd=0.0, hardware_per_hour=1.0, seconds_per_call=0.864, one_off_usd=100.0)
    api = CellPrice(per_call_usd=0.001, hardware_per_hour=0.0, seconds_per_call=0.5)
    # One replica serves 86,400 / 0.864 = 100,000 calls a day.
    assert [hosted.replicas(v) for v in (0, 1, 100_000, 100_001, 250_000)] == [1, 1, 1, 2, 3]
    assert hosted.per_day(10) == hosted.per_day(100_000) == 24.0 and hosted.per_day(100_001) == 48.0
    assert hosted.total(1_000, 365) == pytest.approx(24.0 * 365 + 100.0)
    assert api.replicas(1e9) == 0 and api.total(1_000, 365) == pytest.approx(365.0)
    assert api.per_1m_calls(1_000, 10) == pytest.approx(1_000.0)
    # $24/day + $100 once vs $0.001 a call: equal where 0.001 * v * 365 = 24 * 365 + 100.
    calls = crossover(api, hosted, 365)
    assert calls == pytest.approx((24 * 365 + 100) / 0.365, rel=1e-6)
    assert api.total(calls * 0.99, 365) < hosted.total(calls * 0.99, 365) and api.total(calls * 1.01, 365) > hosted.total(calls * 1.01, 365)
    assert crossover(api, CellPrice(0.002, 0.0, 0.1), 365) is None  # always the cheaper one


def test_the_single_model_form_is_one_candidate_and_a_hosted_candidate_climbs_only_prompting_rungs():
    base = {
        "name": "s",
        "task": {"kind": "classification"},
        "data": {"eval": "e.jsonl"},
        "grader": {"kind": "label"},
        "targets": [{"metric": "accuracy", "min": 0.5}],
    }
    one = Scenario.model_validate({**base, "model": "openai:gpt-4o-mini", "pricing": {"input_per_1m": 0.15}})
    [candidate] = one.candidates
    assert candidate.model == "openai:gpt-4o-mini" and candidate.pricing == one.pricing and one.models is None
    assert Candidate(model="openai:gpt-4o-mini").allowed_rungs("lora") == ("zero_shot", "few_shot", "prompt_search", "rag")
    assert Candidate(model="openai:gpt-4o-mini").allowed_rungs("openai")[-1] == "finetune"
    assert Candidate(model="local:smollm2-135m").allowed_rungs("lora") == rung_order()  # a local model climbs every rung
    many = Scenario.model_validate(
        {
            **base,
            "pricing": {"hardware_per_hour": 0.05},
            "models": [{"model": "openai:gpt-4o-mini"}, {"model": "local:x", "rungs": ["finetune"]}],
        }
    )
    hosted, local = (many.for_candidate(c) for c in many.candidates)
    assert hosted.model == "openai:gpt-4o-mini" and hosted.ladder.finetune is None and hosted.pricing.hardware_per_hour == 0.05
    assert local.ladder.zero_shot is None and local.ladder.finetune is not None and local.models is None


@pytest.fixture(scope="module")
def servers():
    with FakeOpenAIServer() as big, FakeOpenAIServer() as small:
        yield big, small


def two_models(big, small) -> list[dict]:
    return [
        {"model": f"openai:{big.base_url}#big", "pricing": {"input_per_1m": 10.0, "output_per_1m": 30.0}},
        {"model": f"openai:{small.base_url}#small", "pricing": {"hardware_per_hour": 2.0}},
    ]


@pytest.mark.parametrize(("volume", "winner"), [(100, "big"), (1_000_000, "small")])
def test_the_cheapest_passing_cell_at_the_volume_wins_and_the_frontier_says_why(servers, tmp_path, capsys, run_cache, volume, winner):
    big, small = servers
    path = axis_scenario(tmp_path, two_models(big, small), volume)
    code, out, _ = run_cli(
        ["run", str(path), "--out", str(tmp_path / "out"), "--ci", "--no-sequential", "--full", "--rungs", "zero_shot"], capsys
    )
    record = load_record(tmp_path / "out" / "run.json")
    assert code == 0 and record.version == 2 and record.models == [m["model"] for m in two_models(big, small)]
    assert record.recommendation.model.endswith(f"#{winner}") and record.recommendation.rung == "zero_shot"
    frontier = record.frontier
    assert frontier.calls_per_day == volume and frontier.horizon_days == 365 and frontier.metric == "accuracy" and frontier.target == 0.85
    api, hosted = (frontier.cell(m, "zero_shot") for m in record.models)
    assert api.replicas == 0 and api.total_usd == pytest.approx(api.per_call_usd * volume * 365)
    assert hosted.replicas >= 1 and hosted.total_usd == pytest.approx(hosted.replicas * 2.0 * 24 * 365)
    cheaper, dearer = (api, hosted) if winner == "big" else (hosted, api)
    assert cheaper.pareto and cheaper.total_usd < dearer.total_usd
    [cross] = frontier.crossovers
    assert cross.cheaper_below == api.key and cross.cheaper_above == hosted.key
    assert api.price.total(cross.calls_per_day * 0.99, 365) < hosted.price.total(cross.calls_per_day * 0.99, 365)
    rationale = " ".join(record.recommendation.rationale)
    assert f"${cheaper.total_usd:,.2f} in total" in rationale and f"cross at {cross.calls_per_day:,.0f} calls/day" in rationale
    # Both cells answered the same 30 items: the later one is tested against the earlier one, pair by pair.
    [paired] = record.rung("zero_shot", record.models[1]).comparisons
    assert paired.against_model == record.models[0] and paired.n == 30 and paired.diff == 0.0
    code, gate_out, _ = run_cli(["gate", str(tmp_path / "out" / "run.json")], capsys)
    assert code == 0 and "Gate PASS" in gate_out
    # The reports: the matrix (quality lower bound · cost per 1M calls at the volume), the frontier and where lines cross.
    chosen = f"{cheaper.quality:.3f} · ${cheaper.per_1m_calls_usd:,.2f} ✓ ★"
    assert f"| {winner} |" in (markdown := (tmp_path / "out" / "report.md").read_text()) and chosen in markdown
    assert "### Cost–quality frontier" in markdown and f"{cross.calls_per_day:,.0f} calls/day" in markdown
    assert chosen in out and f"zero-shot on {winner} · " not in out  # the terminal matrix names models short
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Cost–quality frontier across models" in html and f"Recommended: zero-shot on {winner}" in html


def test_a_cell_that_cannot_be_cheaper_is_skipped_unless_full(servers, tmp_path, capsys, run_cache):
    big, small = servers
    path = axis_scenario(tmp_path, two_models(big, small), 100)
    code, _, _ = run_cli(
        ["run", str(path), "--out", str(tmp_path / "out"), "--ci", "--no-sequential", "--rungs", "zero_shot,few_shot"], capsys
    )
    record = load_record(tmp_path / "out" / "run.json")
    big_model, small_model = record.models
    assert code == 0 and record.rung("zero_shot", big_model).meets_targets
    # The small model's one always-on replica alone ($17,520 a year) costs more than the big model's passing zero-shot.
    for name in ("zero_shot", "few_shot"):
        skipped = record.rung(name, small_model)
        assert skipped.status == "skipped" and "cannot be cheaper" in skipped.skip_reason and "$17,520.00" in skipped.skip_reason
    assert record.rung("finetune", big_model).skip_reason.startswith(f"not a rung of {big_model}")


def test_a_version_1_record_still_loads_and_gates(tmp_path, capsys):
    rung = {
        "name": "zero_shot",
        "status": "measured",
        "n": 10,
        "meets_targets": True,
        "metrics": {"accuracy": {"value": 1.0, "lower": 0.72, "upper": 1.0}},
    }
    old = {
        "version": 1,
        "scenario": "old",
        "model": "local:smollm2-135m",
        "grader": "label",
        "targets": [{"metric": "accuracy", "min": 0.7}],
        "confidence": 0.95,
        "profile": {},
        "rungs": [rung],
        "recommendation": {"rung": "zero_shot", "rationale": ["measured"]},
    }
    (tmp_path / "run.json").write_text(json.dumps(old))
    record = load_record(tmp_path / "run.json")
    assert record.version == 1 and record.rungs[0].model is None and record.frontier is None and record.passed
    code, out, _ = run_cli(["gate", str(tmp_path / "run.json")], capsys)
    assert code == 0 and "Gate PASS: zero-shot meets every target." in out


def test_advisor_train_trains_the_first_local_candidate_that_fine_tunes(tmp_path):
    from advisor.run import tuned_workspace
    from advisor.scenario.workspace import prepare

    models = [{"model": "openai:http://127.0.0.1:9/v1#big"}, {"model": "local:smollm2-135m", "rungs": ["finetune"]}]
    ws = tuned_workspace(prepare(axis_scenario(tmp_path, models, 100)))
    assert ws.scenario.model == "local:smollm2-135m" and ws.scenario.models is None
    assert ws.scenario.ladder.finetune is not None and ws.scenario.ladder.zero_shot is None
