"""The fine-tune rung with `method: openai`, through the ladder, against a loopback fake of the fine-tuning API.

The real API is unreachable here, so this is a contract test of the wiring: the fake memorizes the
uploaded training file and answers chat requests to the tuned model from it (eval repeats train's
inputs on purpose, so a score of 1 means the tuned model id was the one evaluated). For the forgetting
check its base model is scripted to know the canary's answers, and its tuned model to forget some.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import yaml
from clirun import run_cli
from fakes.openai_finetune_server import TRAINED_TOKENS, finetune_server

import advisor.rungs.finetune.hosted
from advisor.run import RunOptions, climb
from advisor.scenario.workspace import prepare
from evals.lmeval import asked_with_options, read_canary

BASE = "gpt-4o-mini-2024-07-18"
LABELS = ["billing", "refund", "account"]


def canary_answers() -> dict[str, str]:
    """What a base model that gets the whole canary right answers: each question as it is asked, and its answer."""
    asked = [ex if task.grading else asked_with_options(ex) for task in read_canary() for ex in task.examples]
    return {ex.user_text: ex.expected for ex in asked}


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setattr(advisor.rungs.finetune.hosted, "POLL_S", 0.01)


def write_scenario(folder, base_url: str, targets=({"metric": "accuracy", "min": 0.8},)):
    lines = [
        json.dumps(
            {
                "id": f"t{i}",
                "messages": [{"role": "user", "content": f"request {i} about my order"}, {"role": "assistant", "content": LABELS[i % 3]}],
            }
        )
        for i in range(120)
    ]
    (folder / "train.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "eval.jsonl").write_text("\n".join(lines[:30]) + "\n")
    scenario = {
        "name": "hosted",
        "task": {"kind": "classification", "labels": LABELS},
        "grader": {"kind": "label"},
        "data": {"train": "train.jsonl", "eval": "eval.jsonl"},
        "targets": list(targets),
        "model": f"openai:{base_url}#{BASE}",
        "pricing": {"training_per_1m": 3.0},
        "ladder": {"finetune": {"method": "openai", "model": BASE, "epochs": 2}},
    }
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario))
    return path


def test_the_hosted_rung_trains_once_and_evaluates_the_tuned_model(tmp_path):
    with finetune_server(knows=canary_answers()) as server:
        path = write_scenario(tmp_path, server.base_url)

        def climb_once():
            opts = RunOptions(tmp_path / "run", rungs=["finetune"], use_cache=False)
            return asyncio.run(climb(prepare(path), opts))

        record = climb_once()
        finetune = record.rung("finetune")
        assert finetune.status == "measured" and finetune.metrics["accuracy"].value == 1.0
        training = finetune.training
        assert training.method == "openai" and training.model_id == f"ft:{BASE}:advisor::abc123"
        assert training.train_tokens == TRAINED_TOKENS and training.cost_usd == TRAINED_TOKENS * 3.0 / 1e6
        forgetting = finetune.forgetting
        assert (forgetting.base.value, forgetting.adapter.value, forgetting.change.value) == (1.0, 1.0, 0.0)
        assert set(forgetting.tasks) == {"canary_facts", "canary_instructions", "canary_knowledge"} and not forgetting.flagged
        assert record.recommendation.rung == "finetune"
        chats = server.app.calls["POST /chat/completions"]

        again = climb_once()  # the finished job and its forgetting check are read back from the run folder
        assert again.rung("finetune").training.model_id == training.model_id
        assert again.rung("finetune").forgetting == forgetting
        assert (server.app.calls["POST /files"], server.app.calls["POST /fine_tuning/jobs"]) == (1, 1)
        assert server.app.calls["POST /chat/completions"] - chats < len(canary_answers())  # no second pass of the canary


def test_a_hosted_fine_tune_that_forgets_fails_the_gate_with_exit_1(tmp_path, capsys):
    knows = canary_answers()
    with finetune_server(knows=knows, forgets=0.25) as server:
        targets = ({"metric": "accuracy", "min": 0.8}, {"metric": "forgetting_change", "min": -0.05})
        path = write_scenario(tmp_path, server.base_url, targets)
        out = tmp_path / "run"
        code, printed, _ = run_cli(["run", str(path), "--out", str(out), "--rungs", "finetune", "--no-cache", "--ci"], capsys)
    assert code == 1
    lost = round(0.25 * len(knows))
    assert "forgetting_change >= -0.05" in printed
    code, printed, _ = run_cli(["gate", str(out / "run.json")], capsys)
    assert code == 1 and "fine-tune  MISS  forgetting_change >= -0.05: lower bound" in printed
    rungs = json.loads((out / "run.json").read_text())["rungs"]
    forgetting = next(r for r in rungs if r["name"] == "finetune")["forgetting"]
    assert forgetting["base"]["value"] == 1.0 and forgetting["adapter"]["value"] == pytest.approx(1 - lost / len(knows))
    assert forgetting["change"]["upper"] < -0.05 and forgetting["flagged"]
