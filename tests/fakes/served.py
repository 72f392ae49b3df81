"""A classification scenario served by the loopback fake OpenAI server, which answers the last word: right on odd items."""

from __future__ import annotations

import json
from pathlib import Path

import yaml


def _lines(split: str, n: int) -> str:
    rows = (
        {
            "id": f"{split}{i}",
            "messages": [
                {"role": "user", "content": f"{split} {i} about {'refund' if i % 2 else 'it please'}"},
                {"role": "assistant", "content": "refund"},
            ],
        }
        for i in range(n)
    )
    return "".join(json.dumps(row) + "\n" for row in rows)


def served_scenario(folder: Path, base_url: str, *, n_eval: int, min_accuracy: float) -> Path:
    """Zero-shot against the fake at `base_url`: `n_eval` eval items (half right), 10 train items; the scenario's path."""
    folder.mkdir(parents=True)
    (folder / "eval.jsonl").write_text(_lines("q", n_eval))
    (folder / "train.jsonl").write_text(_lines("t", 10))
    scenario = {
        "name": "served",
        "task": {"kind": "classification", "labels": ["refund", "shipping"]},
        "data": {"train": "train.jsonl", "eval": "eval.jsonl"},
        "grader": {"kind": "label"},
        "targets": [{"metric": "accuracy", "min": min_accuracy}],
        "model": f"openai:{base_url}#fake",
    }
    (folder / "scenario.yaml").write_text(yaml.safe_dump(scenario))
    return folder / "scenario.yaml"
