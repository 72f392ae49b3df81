"""Near-duplicate leakage: pairs a character edit apart are reported, by validate, by the run's preflight, and dropped on request."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from clirun import run_cli
from test_ladder import PromptAwareFake, write_scenario

from advisor.run import RunOptions, climb
from advisor.scenario.workspace import prepare
from evals.data import NEAR_DUPLICATE_THRESHOLD, find_leaks, find_near_duplicates
from evals.example import Example


def example(i: int, text: str, answer: str = "ok") -> Example:
    return Example.model_validate(
        {"id": f"x{i}", "messages": [{"role": "user", "content": text}, {"role": "assistant", "content": answer}]}
    )


TRAIN = [
    example(0, "Where is order 123?"),
    example(1, "How do I reset my password?"),
    example(2, "Can I pay with PayPal?"),
    example(3, "What time do you open on Sunday?"),
]
EVAL = [
    example(10, "where is ORDER 124"),
    example(11, "How can I reset my password?"),
    example(12, "Can I pay with PayPal?"),  # exact: find_leaks' business
    example(13, "My headphones arrived broken and I want a refund."),
    example(14, "Do you ship to Norway?"),
]


def test_an_order_number_one_digit_apart_and_a_close_paraphrase_are_caught_at_the_stated_threshold():
    pairs = {(p.eval_key, p.train_key): p.similarity for p in find_near_duplicates(EVAL, TRAIN)}
    assert NEAR_DUPLICATE_THRESHOLD == 90
    assert set(pairs) == {("x10", "x0"), ("x11", "x1")}
    assert pairs[("x10", "x0")] >= 90 and pairs[("x11", "x1")] >= 90
    assert [leak.eval_key for leak in find_leaks(EVAL, TRAIN)] == ["x12"]  # the exact one is reported once, there


def test_a_stricter_threshold_keeps_only_the_closest_pair():
    assert [p.eval_key for p in find_near_duplicates(EVAL, TRAIN, threshold=93)] == ["x10"]


def write(path: Path, examples: list[Example]) -> Path:
    path.write_text("\n".join(json.dumps(e.model_dump(mode="json", exclude_none=True)) for e in examples) + "\n")
    return path


def test_data_validate_against_reports_each_near_duplicate_with_its_line(tmp_path, capsys):
    train, evals = write(tmp_path / "train.jsonl", TRAIN), write(tmp_path / "eval.jsonl", EVAL)
    code, out, err = run_cli(["data", "validate", str(evals), "--against", str(train)], capsys)
    assert code == 2
    text = " ".join((out + err).split())
    assert "near-duplicate of" in text and "similarity 94 >= 90" in text and "similarity 91 >= 90" in text
    assert f"{evals.name}:1" in text and f"{evals.name}:2" in text


def near_scenario(tmp_path: Path) -> Path:
    """The ladder's fake scenario, its eval questions reworded, two of them one letter away from a train question."""
    path = write_scenario(tmp_path / "s", n_eval=30)
    lines = (path.parent / "eval.jsonl").read_text().splitlines()
    for i, line in enumerate(lines):
        row = json.loads(line)
        near = i in (3, 7)  # train holds "train question about t3"
        row["messages"][0]["content"] = f"train questions about t{i}" if near else f"Could you route number {i} for me, topic t{i}"
        lines[i] = json.dumps(row)
    (path.parent / "eval.jsonl").write_text("\n".join(lines) + "\n")
    return path


def test_the_preflight_warns_and_drop_leaks_leaves_them_out_and_the_record_says_so(tmp_path):
    path = near_scenario(tmp_path)
    warned = prepare(path)
    assert sum("near-duplicate of" in w for w in warned.warnings) == 2 and len(warned.eval_set) == 30
    ws = prepare(path, drop_leaks=True)
    assert len(ws.eval_set) == 28 and ws.dropped_leaks == ["eval-3", "eval-7"]
    assert not any("near-duplicate of" in w for w in ws.warnings)
    assert any(w.startswith("2 eval examples that repeat or nearly repeat a train example were left out") for w in ws.warnings)
    record = asyncio.run(climb(ws, RunOptions(tmp_path / "run", use_cache=False, backend=PromptAwareFake(), rungs=["zero_shot"])))
    assert record.dropped_leaks == ["eval-3", "eval-7"] and record.rung("zero_shot").stopping.available == 28
