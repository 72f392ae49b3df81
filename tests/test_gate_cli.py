"""`advisor gate` and `advisor report` on stored run records: exit status, output, files."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from clirun import run_cli
from test_reports import make_record

from advisor.cli.gate import parse_targets
from evals.errors import InputError


@pytest.fixture
def passing(tmp_path):
    return make_record().save(tmp_path / "run.json")


@pytest.fixture
def failing(tmp_path):
    return make_record(finetune_correct=150).save(tmp_path / "failing.json")


def test_gate_passes_when_the_recommended_rung_meets_every_target(passing, capsys):
    code, out, _ = run_cli(["gate", str(passing)], capsys)
    assert code == 0
    assert "few-shot   MISS  accuracy >= 0.8: lower bound 0.402 < 0.8" in out
    assert "fine-tune  pass  accuracy >= 0.8: lower bound 0.957 >= 0.8" in out
    assert "RAG        skipped: no knowledge folder" in out
    assert out.rstrip().endswith("Gate PASS: fine-tune meets every target.")


def test_gate_fails_when_no_rung_meets_the_targets(failing, capsys):
    code, out, _ = run_cli(["gate", str(failing)], capsys)
    assert code == 1
    assert "Gate FAIL: No rung meets every target. Closest: fine-tune" in out


def test_stricter_targets_fail_a_passing_run(passing, capsys):
    code, out, _ = run_cli(["gate", str(passing), "--target", "accuracy>=0.99"], capsys)
    assert code == 1
    assert "fine-tune  MISS  accuracy >= 0.99: lower bound 0.957 < 0.99" in out
    assert "format_valid" not in out  # --target replaces the run's targets


def test_looser_targets_move_the_recommendation_to_a_cheaper_rung(failing, capsys):
    code, out, _ = run_cli(["gate", str(failing), "--target", "accuracy >= 0.4", "--target", "p95_latency_ms<=1500"], capsys)
    assert code == 0
    assert "the recommendation is few-shot (the run recommended none)" in out
    assert "Gate PASS: few-shot meets every target." in out


def test_gate_writes_junit_for_the_checked_targets(passing, tmp_path, capsys):
    junit = tmp_path / "ci" / "gate.xml"
    code, _, _ = run_cli(["gate", str(passing), "--target", "accuracy>=0.99", "--junit", str(junit)], capsys)
    assert code == 1
    cases = ET.parse(junit).getroot().findall(".//testcase")
    assert [c.get("name") for c in cases] == ["accuracy >= 0.99"] * 4
    assert sum(c.find("failure") is not None for c in cases) == 3


@pytest.mark.parametrize("content", [None, "{not json", '{"scenario": "x"}'])
def test_gate_exits_2_on_a_missing_or_broken_record(tmp_path, capsys, content):
    path = tmp_path / "run.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = run_cli(["gate", str(path)], capsys)
    assert code == 2
    assert "run.json" in err and ("not found" in err or "not a valid run record" in err)
    assert "Traceback" not in err + out


def test_bad_target_syntax_names_the_option_and_the_fix(passing, capsys):
    code, _, err = run_cli(["gate", str(passing), "--target", "accuracy=0.9"], capsys)
    assert code == 2
    assert "--target" in err and "accuracy>=0.95" in err


def test_parse_targets_reports_every_bad_target_at_once():
    assert [str(t) for t in parse_targets(["accuracy>=0.95", "p95_latency_ms <= 800"])] == ["accuracy >= 0.95", "p95_latency_ms <= 800.0"]
    with pytest.raises(InputError) as error:
        parse_targets(["speed>=3", "accuracy>=1.5", "accuracy>0.9"])
    messages = [p.message for p in error.value.problems]
    assert len(messages) == 3
    assert "unknown metric 'speed'" in messages[0]
    assert "between 0 and 1" in messages[1]
    assert "expected METRIC>=NUMBER" in messages[2]
    assert all(p.field == "--target" for p in error.value.problems)


def test_report_prints_markdown_to_stdout(passing, capsys):
    code, out, _ = run_cli(["report", str(passing), "--format", "md"], capsys)
    assert code == 0
    assert out.startswith("## advisor · support-intents · ✅ PASS")


def test_report_prints_the_terminal_summary_by_default(failing, capsys):
    code, out, _ = run_cli(["report", str(failing)], capsys)
    assert code == 0
    assert "Verdict: FAIL" in out and "0.750" in out


def test_report_refuses_to_overwrite_without_force(passing, tmp_path, capsys):
    out_file = tmp_path / "report.html"
    out_file.write_text("keep me", encoding="utf-8")
    code, _, err = run_cli(["report", str(passing), "--format", "html", "--out", str(out_file)], capsys)
    assert code == 2 and "--force" in err
    assert out_file.read_text(encoding="utf-8") == "keep me"
    code, _, _ = run_cli(["report", str(passing), "--format", "html", "--out", str(out_file), "--force"], capsys)
    assert code == 0
    assert out_file.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_report_writes_junit_to_a_new_file(failing, tmp_path, capsys):
    out_file = tmp_path / "junit.xml"
    code, _, err = run_cli(["report", str(failing), "--format", "junit", "--out", str(out_file)], capsys)
    assert code == 0 and f"Wrote {out_file}" in err
    assert ET.parse(out_file).getroot().find("testsuite").get("failures") == "4"


def test_gate_exits_3_when_the_run_s_backend_failed(tmp_path, capsys):
    record = make_record()
    record.backend_failure = "12 of 200 calls failed (6%), above the 5% error budget"
    code, out, err = run_cli(["gate", str(record.save(tmp_path / "run.json"))], capsys)
    assert code == 3
    assert "Gate ERROR" in out and "12 of 200 calls failed" in err
