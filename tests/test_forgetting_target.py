"""forgetting_change as a target: prompting rungs leave the model as it was, an adapter that forgets fails the gate."""

from __future__ import annotations

import json

import pytest
from clirun import run_cli
from pydantic import ValidationError
from test_reports import make_record

from advisor.decide.targets import check
from advisor.record.run import MetricValue
from advisor.scenario.schema import Target

FORGETS = Target(metric="forgetting_change", min=-0.05)


def planted(lower: float, value: float):
    """The sample record, its fine-tune's canary change set to [lower, value + 0.02] and a forgetting target added."""
    record = make_record()
    record.targets = [*record.targets, FORGETS]
    record.rung("finetune").forgetting.change = MetricValue(value=value, lower=lower, upper=value + 0.02)
    return record


def test_the_target_takes_a_negative_bound_in_points_and_refuses_one_outside_a_rate_change():
    assert str(FORGETS) == "forgetting_change >= -0.05"
    with pytest.raises(ValidationError, match="between -1 and 1"):
        Target(metric="forgetting_change", min=-5)


def test_a_prompting_rung_changes_nothing_and_an_adapter_is_checked_on_its_lower_bound():
    record = planted(lower=-0.12, value=-0.08)
    assert check(record.rung("few_shot"), FORGETS, 0.95).observed == 0.0
    result = check(record.rung("finetune"), FORGETS, 0.95)
    assert not result.passed and result.reason == "lower bound -0.12 < -0.05"
    assert check(planted(lower=-0.03, value=-0.01).rung("finetune"), FORGETS, 0.95).passed


def test_a_fine_tune_without_a_forgetting_check_cannot_pass_the_target():
    record = planted(lower=-0.01, value=0.0)
    record.rung("finetune").forgetting = None
    assert check(record.rung("finetune"), FORGETS, 0.95).reason == "forgetting_change was not measured"


def test_the_gate_fails_with_exit_1_when_the_recommended_adapter_forgets(tmp_path, capsys):
    path = planted(lower=-0.12, value=-0.08).save(tmp_path / "run.json")
    code, out, _ = run_cli(["gate", str(path)], capsys)
    assert code == 1
    assert "fine-tune  MISS  forgetting_change >= -0.05: lower bound -0.12 < -0.05" in out
    kept = planted(lower=-0.03, value=-0.01).save(tmp_path / "kept.json")
    assert run_cli(["gate", str(kept)], capsys)[0] == 0
    # a stored run without the target, gated on it from the command line
    plain = make_record()
    plain.rung("finetune").forgetting.change = MetricValue(value=-0.08, lower=-0.12, upper=-0.06)
    stored = str(plain.save(tmp_path / "plain.json"))
    code, out, _ = run_cli(["gate", stored, "--target", "accuracy>=0.8", "--target", "forgetting_change>=-0.05"], capsys)
    assert code == 1 and "fine-tune  MISS  forgetting_change >= -0.05: lower bound -0.12 < -0.05" in out
    # alone, the target passes the prompting rungs: they leave the model as it was
    code, out, _ = run_cli(["gate", stored, "--target", "forgetting_change>=-0.05"], capsys)
    assert code == 0 and "zero-shot  pass  forgetting_change >= -0.05: lower bound 0 >= -0.05" in out


def test_extra_forgetting_tasks_join_the_canary_and_change_its_cache_key(tmp_path):
    from evals.lmeval import canary_hash, canary_tasks

    task = tmp_path / "my tasks.jsonl"
    rows = [
        {"id": f"q{i}", "messages": [{"role": "user", "content": f"What is {i} + 1?"}, {"role": "assistant", "content": str(i + 1)}]}
        for i in range(3)
    ]
    task.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    names = [t["task"] for t in canary_tasks(docs_dir=tmp_path / "docs", extra=[task])]
    assert names == ["canary_facts", "canary_instructions", "canary_knowledge", "extra_0_my_tasks"]
    assert canary_hash(extra=[task]) != canary_hash()
