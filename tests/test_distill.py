"""The distillation rung: a teacher labels the train inputs (their gold answers unused) and the small model is
fine-tuned on its labels. The teacher is a loopback OpenAI-compatible server that knows the labels.

The fast tests stop before training (the teacher's gate, the labels it writes); the slow one trains the embedded
model on support-intents with every train answer replaced, so only the teacher's labels can teach it.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from clirun import run_cli
from conftest import copy_shipped
from fakes.openai_server import FakeOpenAIServer

from advisor.record.run import load_record
from advisor.rungs.distill import teach
from advisor.scenario.workspace import prepare

STUDENT = "local:smollm2-135m"


def gold_answers(folder: Path) -> dict[str, str]:
    """Each support-intents input (train and eval) and its gold label: what the fake teacher answers."""
    rows = [
        json.loads(line) for name in ("train", "eval") for line in (folder / "support-intents" / f"{name}.jsonl").read_text().splitlines()
    ]
    return {r["messages"][-2]["content"]: r["messages"][-1]["content"] for r in rows}


def distill_scenario(tmp_path: Path, teacher_url: str, **ladder) -> Path:
    """support-intents with every train answer replaced by 'refund', a teacher and the student climbing only distill."""
    path = copy_shipped("support-intents", tmp_path)
    train = tmp_path / "support-intents" / "train.jsonl"
    rows = [json.loads(line) for line in train.read_text().splitlines()]
    train.write_text(
        "".join(json.dumps({**r, "messages": [*r["messages"][:-1], {"role": "assistant", "content": "refund"}]}) + "\n" for r in rows)
    )
    data = yaml.safe_load(path.read_text())
    teacher = f"openai:{teacher_url}#teacher"
    data.pop("model"), data.pop("pricing")
    data["models"] = [
        {"model": teacher, "rungs": ["zero_shot"]},
        {"model": STUDENT, "rungs": ["distill"], "pricing": {"hardware_per_hour": 0.05}},
    ]
    data["ladder"].update(prompt_search=None, distill={"teacher": teacher, "inputs": "train"}, **ladder)
    data["profile"]["data_must_stay_local"] = False
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_teacher_labels_the_train_inputs_and_its_invalid_labels_are_dropped_and_counted(tmp_path, run_cache):
    answers = gold_answers(Path(__file__).resolve().parent.parent / "scenarios")
    inputs = [
        json.loads(line)["messages"][-2]["content"]
        for line in (Path(__file__).resolve().parent.parent / "scenarios" / "support-intents" / "train.jsonl").read_text().splitlines()
    ]
    for text in inputs[:7]:
        answers[text] = "no idea"  # not a label: the grader's format check rejects it
    with FakeOpenAIServer(answers=answers) as teacher:
        ws = prepare(distill_scenario(tmp_path, teacher.base_url))
        student = ws.scenario.for_candidate(ws.scenario.models[1])
        taught = asyncio.run(teach(replace(ws, scenario=student), tmp_path / "out", 8, False, None, lambda e: None))
    details = taught.details
    assert taught.skip_reason is None and details.teacher_meets_targets and details.teacher_metrics["accuracy"].value == 1.0
    assert details.inputs == len(inputs) == 300 and details.invalid == 7 and details.labeled == 293 and details.failed == 0
    # The student's train set is the teacher's labels, not the file's ('refund' everywhere).
    assert [ex.expected for ex in taught.labeled] == [answers[text] for text in inputs[7:]]
    assert len({ex.expected for ex in taught.labeled}) == 5


def test_a_teacher_that_misses_its_own_targets_labels_nothing_and_nothing_trains(tmp_path, capsys, run_cache):
    with FakeOpenAIServer() as teacher:  # it answers each message's last word: hardly ever a queue
        path = distill_scenario(tmp_path, teacher.base_url)
        code, _, _ = run_cli(
            ["run", str(path), "--out", str(tmp_path / "out"), "--ci", "--limit", "30", "--no-sequential", "--full"], capsys
        )
    record = load_record(tmp_path / "out" / "run.json")
    distill = record.rung("distill", STUDENT)
    assert code == 1 and distill.status == "skipped" and distill.skip_reason.startswith("the teacher openai:")
    assert "misses its own targets zero-shot on eval: accuracy >= 0.9" in distill.skip_reason
    assert distill.distill.teacher_meets_targets is False and distill.distill.labeled == 0
    assert not (tmp_path / "out" / "models" / "local_smollm2-135m" / "distill" / "adapter").exists()
    assert "**Distillation**: Teacher openai:" in (tmp_path / "out" / "report.md").read_text()
    assert "it misses a target, so it labeled nothing" in (tmp_path / "out" / "report.md").read_text()


@pytest.mark.slow
def test_the_student_distilled_from_the_teacher_s_labels_meets_the_accuracy_target(tmp_path, capsys, embedded_model):
    """Only the teacher's labels carry the task: every train answer in the file is 'refund'.

    3 epochs over 300 labels (102 steps): 33 min on 2 CPU cores shared with other heavy jobs. The latency target
    depends on that load, so the test checks the quality targets the issue names: accuracy and format."""
    with FakeOpenAIServer(answers=gold_answers(Path(__file__).resolve().parent.parent / "scenarios")) as teacher:
        path = distill_scenario(tmp_path, teacher.base_url)
        code, out, _ = run_cli(
            ["run", str(path), "--out", str(tmp_path / "out"), "--ci", "--no-sequential", "--full", "--latency-probe", "0"], capsys
        )
    record = load_record(tmp_path / "out" / "run.json")
    student = record.rung("distill", STUDENT)
    assert student.status == "measured", student.skip_reason
    assert student.distill.labeled == 300 and student.distill.invalid == 0 and student.training is not None
    passed = {check.target.metric: check.passed for check in student.checks}
    assert student.metrics["accuracy"].lower >= 0.9 and passed["accuracy"] and passed["format_valid"], student.metrics["accuracy"]
