"""End to end on the embedded SmolLM2: `advisor run` on the shipped scenarios, the gate's exit status, the reports.

Eval sets are cut with --limit to keep the default run in minutes; answers land in the shared test
cache, so a second run of the suite is fast.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from clirun import run_cli
from conftest import copy_shipped

from advisor.cli import main
from advisor.record.run import load_record
from advisor.registry import rung_order

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def copy_scenario(name: str, tmp_path: Path, **changes) -> Path:
    """A copy of a shipped scenario with some top-level keys replaced."""
    path = copy_shipped(name, tmp_path)
    data = yaml.safe_load(path.read_text())
    data.update(changes)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def classification(tmp_path_factory, embedded_model):
    out = tmp_path_factory.mktemp("support-intents")
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "run",
                str(SCENARIOS / "support-intents.yaml"),
                "--out",
                str(out),
                "--ci",
                "--rungs",
                "zero_shot,few_shot",
                "--limit",
                "40",
                "--no-sequential",
            ]
        )
    return exit_.value.code, out


def test_classification_measures_zero_and_few_shot_with_intervals_latency_and_cost(classification):
    code, out = classification
    record = load_record(out / "run.json")
    zero, few = record.rung("zero_shot"), record.rung("few_shot")
    for rung in (zero, few):
        assert rung.status == "measured" and rung.n == 40 and rung.errors == 0
        accuracy = rung.metrics["accuracy"]
        assert accuracy.lower <= accuracy.value <= accuracy.upper and accuracy.upper - accuracy.lower > 0.05
        assert 0 < rung.latency_ms["p50"] <= rung.latency_ms["p95"]
        assert rung.tokens_per_call["input"] > 0 and rung.cost_per_1m_calls_usd > 0  # hardware_per_hour is priced
        assert "format_valid" in rung.metrics and "macro_f1" in rung.metrics
    # Shots cost input tokens and buy accuracy: the small model chats zero-shot and labels with examples.
    assert few.tokens_per_call["input"] > 3 * zero.tokens_per_call["input"]
    assert few.metrics["accuracy"].value > zero.metrics["accuracy"].value
    assert few.comparisons[0].against == "zero_shot" and few.comparisons[0].n == 40
    # 40 examples cannot show format_valid >= 0.95 (the warning says so) and no rung passes: exit 1.
    assert any("40 eval examples can show at most format_valid >= 0.912" in w for w in record.warnings)
    assert code == 1 and record.recommendation.rung is None and not record.passed
    assert record.recommendation.rationale[0].startswith("No rung meets every target.")


def test_the_reports_render_from_the_record(classification):
    _, out = classification
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["journal.jsonl", "junit.xml", "report.html", "report.md", "run.json"]
    markdown = (out / "report.md").read_text()
    assert "| zero-shot |" in markdown and "| few-shot |" in markdown and "## advisor · support-intents · ❌ FAIL" in markdown
    html = (out / "report.html").read_text()
    assert html.count("<img") >= 3 and "data:image/png;base64," in html
    suites = ET.parse(out / "junit.xml").getroot()
    cases = suites.findall(".//testcase")
    assert len(cases) == 3 * len(rung_order())  # one case per target per rung; the skipped rungs' cases are marked skipped
    assert sum(case.find("skipped") is not None for case in cases) == 3 * (len(rung_order()) - 2)
    # A failure per missed check of the record. Accuracy and format_valid miss on both prompting rungs
    # whatever the machine; p95 latency against 5000 ms depends on how fast it is.
    missed = [(r.name, c.target.metric) for r in load_record(out / "run.json").measured for c in r.checks if not c.passed]
    assert {m for _, m in missed} >= {"accuracy", "format_valid"} and len(missed) >= 4
    assert sum(case.find("failure") is not None for case in cases) == len(missed)
    samples = [json.loads(line) for line in (out / "samples" / "few_shot.jsonl").read_text().splitlines()]
    assert len(samples) == 40 and all(s["expected"] for s in samples)


def test_rag_beats_zero_shot_significantly_and_reports_recall(tmp_path, capsys, embedded_model):
    path = SCENARIOS / "product-faq.yaml"
    code, out, _ = run_cli(
        ["run", str(path), "--out", str(tmp_path), "--ci", "--rungs", "zero_shot,rag", "--limit", "30", "--no-sequential"], capsys
    )
    record = load_record(tmp_path / "run.json")
    zero, rag = record.rung("zero_shot"), record.rung("rag")
    assert rag.metrics["accuracy"].value > zero.metrics["accuracy"].value
    [paired] = rag.comparisons
    assert paired.against == "zero_shot" and paired.test == "mcnemar-exact" and paired.p_value < 0.05
    assert rag.metrics["recall_at_k"].value >= 0.8
    assert "recall_at_k" in (tmp_path / "report.md").read_text()
    assert code == (0 if record.passed else 1)


def test_easy_targets_exit_0(tmp_path, capsys, embedded_model):
    path = copy_scenario("support-intents", tmp_path, targets=[{"metric": "accuracy", "min": 0.05}])
    code, out, _ = run_cli(
        ["run", str(path), "--out", str(tmp_path / "run"), "--ci", "--rungs", "zero_shot,few_shot", "--limit", "40"], capsys
    )
    assert code == 0, out
    # held to the labels, zero-shot already answers a quarter right: the cheapest rung clears 0.05
    assert "Verdict: PASS" in out and load_record(tmp_path / "run" / "run.json").recommendation.rung == "zero_shot"
    gate_code, gate_out, _ = run_cli(["gate", str(tmp_path / "run" / "run.json")], capsys)
    assert gate_code == 0 and "Gate PASS" in gate_out


def test_an_impossible_target_exits_1_and_says_why(tmp_path, capsys, embedded_model):
    path = copy_scenario("support-intents", tmp_path, targets=[{"metric": "accuracy", "min": 0.999}])
    code, out, _ = run_cli(["run", str(path), "--out", str(tmp_path / "run"), "--ci", "--rungs", "zero_shot", "--limit", "40"], capsys)
    assert code == 1
    assert "40 eval examples can show at most accuracy >= 0.912" in out


def test_a_broken_scenario_exits_2_naming_file_line_and_field(tmp_path, capsys):
    path = copy_scenario("support-intents", tmp_path, targets=[{"metric": "accuracy", "minimum": 0.9}])
    code, _, err = run_cli(["run", str(path), "--out", str(tmp_path / "run"), "--ci"], capsys)
    assert code == 2
    assert f"{path}:" in err and "targets.0.minimum" in err and "Fix:" in err
    assert not (tmp_path / "run").exists()  # nothing is written for a run that never started


def test_an_out_folder_holding_another_scenarios_run_is_left_alone(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text('{"scenario": "invoice-extraction"}')
    (out / "report.md").write_text("the other run's report")
    code, _, err = run_cli(["run", str(SCENARIOS / "support-intents.yaml"), "--out", str(out), "--ci"], capsys)
    assert code == 2 and "holds the run of invoice-extraction, not of support-intents" in err and "--force" in err
    assert (out / "report.md").read_text() == "the other run's report"
