"""The fine-tune rung with `method: openai`, through the ladder, against a loopback fake of the fine-tuning API.

The real API is unreachable here, so this is a contract test of the wiring: the fake memorizes the
uploaded training file and answers chat requests to the tuned model from it (eval repeats train's
inputs on purpose, so a score of 1 means the tuned model id was the one evaluated).
"""

from __future__ import annotations

import asyncio
import json

import yaml
from fakes.openai_finetune_server import TRAINED_TOKENS, finetune_server

import advisor.finetune_hosted
from advisor.ladder import RunOptions, climb
from advisor.workspace import prepare

BASE = "gpt-4o-mini-2024-07-18"
LABELS = ["billing", "refund", "account"]


def write_scenario(folder, base_url: str):
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
        "targets": [{"metric": "accuracy", "min": 0.8}],
        "model": f"openai:{base_url}#{BASE}",
        "pricing": {"training_per_1m": 3.0},
        "ladder": {"finetune": {"method": "openai", "model": BASE, "epochs": 2}},
    }
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario))
    return path


def test_the_hosted_rung_trains_once_and_evaluates_the_tuned_model(tmp_path, monkeypatch):
    monkeypatch.setattr(advisor.finetune_hosted, "POLL_S", 0.01)
    with finetune_server() as server:
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
        assert finetune.forgetting is None
        assert record.recommendation.rung == "finetune"

        again = climb_once()  # the finished job is read back from the run folder: no second upload or job
        assert again.rung("finetune").training.model_id == training.model_id
        assert (server.app.calls["POST /files"], server.app.calls["POST /fine_tuning/jobs"]) == (1, 1)
