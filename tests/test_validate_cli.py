"""`advisor validate`: every bad scenario exits 2 naming file, line, field and fix; good ones summarize."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.cli import main
from advisor.scenario.checks import check_scenario, check_scenario_file
from evals.errors import InputError

BAD = Path(__file__).parent / "fixtures" / "bad_scenarios"
DATA = BAD / "data"

# fixture -> every problem expected, as (file name, line, field, words of the message)
CASES = {
    "unknown_key.yaml": [("unknown_key.yaml", 1, "grader", "Field required"), ("unknown_key.yaml", 9, "grder", "not permitted")],
    "missing_eval_path.yaml": [("missing_eval_path.yaml", 6, "data.eval", "Field required")],
    "wrong_type.yaml": [("wrong_type.yaml", 13, "confidence", "valid number")],
    "bad_enum.yaml": [("bad_enum.yaml", 3, "task.kind", "'classification'")],
    "target_min_and_max.yaml": [("target_min_and_max.yaml", 11, "targets.0", "exactly one of 'min' or 'max'")],
    "label_grader_on_extraction.yaml": [("label_grader_on_extraction.yaml", 1, None, "needs task kind 'classification'")],
    "eval_file_missing.yaml": [("eval_file_missing.yaml", 6, "data.eval", "missing.jsonl not found")],
    "eval_file_bad_lines.yaml": [
        ("bad_eval.jsonl", 2, None, "not valid JSON"),
        ("bad_eval.jsonl", 3, "messages[1].content", "content is empty"),
    ],
    "bad_key_and_bad_eval.yaml": [
        ("bad_key_and_bad_eval.yaml", 1, "grader", "Field required"),
        ("bad_key_and_bad_eval.yaml", 9, "grder", "not permitted"),
        ("bad_eval.jsonl", 2, None, "not valid JSON"),
        ("bad_eval.jsonl", 3, "messages[1].content", "content is empty"),
    ],
    "yaml_syntax_error.yaml": [("yaml_syntax_error.yaml", 5, None, "not valid YAML")],
    "empty.yaml": [("empty.yaml", 1, None, "must be a YAML mapping")],
    "label_not_in_labels.yaml": [("unknown_label_eval.jsonl", 2, "messages[1].content", "'cancel' is not one of task.labels")],
    "knowledge_missing.yaml": [("knowledge_missing.yaml", 8, "data.knowledge", "not found")],
    "knowledge_without_docs.yaml": [("knowledge_without_docs.yaml", 8, "data.knowledge", "holds no .txt, .md, .jsonl files")],
    "schema_file_missing.yaml": [("schema_file_missing.yaml", 8, "grader.schema", "missing_schema.json not found")],
    "schema_not_json.yaml": [("broken_schema.json", 2, None, "not valid JSON")],
    "schema_not_valid.yaml": [("schema_not_valid.yaml", 8, "grader.schema", "not_a_schema.json is not a valid JSON Schema")],
    "forgetting_task_missing.yaml": [
        ("forgetting_task_missing.yaml", 15, "ladder.finetune.forgetting_tasks.0", "no_such_task.jsonl not found")
    ],
    "json_answer_not_json.yaml": [("not_json_answers.jsonl", 2, "messages[1].content", "expected answer is not JSON")],
}


pytestmark = pytest.mark.usefixtures("wide_output")


def run(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    captured = capsys.readouterr()
    return exit_.value.code, captured.out, captured.err


def test_every_bad_scenario_fixture_has_a_case():
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_problem_names_file_line_field_and_fix(name):
    with pytest.raises(InputError) as caught:
        check_scenario(BAD / name)
    got = [(Path(p.file).name, p.line, p.field) for p in caught.value.problems]
    assert got == [case[:3] for case in CASES[name]]
    for problem, (_, _, _, words) in zip(caught.value.problems, CASES[name]):
        assert words in problem.message and problem.fix


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_exits_2_with_located_messages_and_no_traceback(name, capsys):
    code, out, err = run(capsys, "validate", BAD / name)
    assert code == 2 and "Traceback" not in out + err
    for file, line, field, _ in CASES[name]:
        assert f"{file}:{line}" in err
        assert field is None or f"field '{field}'" in err
    assert "Fix:" in err


def test_all_scenarios_are_checked_and_reported_together(capsys):
    code, _, err = run(capsys, "validate", BAD / "wrong_type.yaml", BAD / "bad_enum.yaml")
    assert code == 2 and "wrong_type.yaml:13" in err and "bad_enum.yaml:3" in err and "2 problems found." in err


def _good_scenario(tmp_path: Path, eval_rows: list[tuple[str, str]]) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "policy.md").write_text("Refunds take 5 days.", encoding="utf-8")
    (tmp_path / "docs" / "faq.txt").write_text("Cards arrive in a week.", encoding="utf-8")
    for name, rows in {"eval": eval_rows, "train": [("Refund me", "refund"), ("Where is my card?", "card")]}.items():
        lines = [json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}) for q, a in rows]
        (tmp_path / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(
        "name: bank\ntask:\n  kind: classification\n  labels: [refund, card]\n"
        "data:\n  eval: eval.jsonl\n  train: train.jsonl\n  knowledge: docs\n"
        "grader:\n  kind: label\ntargets:\n  - metric: accuracy\n    min: 0.5\n",
        encoding="utf-8",
    )
    return scenario


def test_good_scenario_summary_and_leakage_warnings_do_not_fail(tmp_path, capsys):
    scenario = _good_scenario(tmp_path, [("My refund please", "refund"), ("where is my CARD", "card"), ("Card lost", "card")])
    code, out, err = run(capsys, "validate", scenario)
    assert code == 0
    assert "3 eval, 2 train, 2 knowledge docs; 1 leakage warning" in out
    assert "warning:" in err and f"{tmp_path / 'eval.jsonl'}:2" in err and "train.jsonl:2" in err


def test_check_scenario_file_returns_the_summary_and_prints_warnings(tmp_path, capsys):
    scenario = _good_scenario(tmp_path, [("Refund me!", "refund"), ("Card lost", "card")])
    assert check_scenario_file(scenario) == "2 eval, 2 train, 2 knowledge docs; 1 leakage warning"
    assert "warning:" in capsys.readouterr().err


def test_checking_a_scenario_does_not_import_torch(tmp_path):
    scenario = _good_scenario(tmp_path, [("Card lost", "card")])
    code = (
        "import sys\n"
        "from advisor.scenario.checks import check_scenario_file\n"
        f"print(check_scenario_file({str(scenario)!r}))\n"
        "from advisor.cli import main\n"
        "try:\n"
        f"    main(['validate', {str(scenario)!r}])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert 'transformers' not in sys.modules, 'transformers was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "300"})
    assert result.returncode == 0, result.stderr
    assert "1 eval, 2 train, 2 knowledge docs" in result.stdout


def test_bad_scenario_from_the_command_line_has_no_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "advisor", "validate", str(BAD / "eval_file_bad_lines.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "bad_eval.jsonl:3" in result.stderr
