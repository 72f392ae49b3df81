"""`advisor data validate|convert|split|stats` through the real entry point: exit codes and output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clirun import run_cli

BAD = Path(__file__).parent / "fixtures" / "bad_data"

pytestmark = pytest.mark.usefixtures("wide_output")


def run(capsys, *args: str) -> tuple[int, str, str]:
    return run_cli([str(a) for a in args], capsys)


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = [json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}) for q, a in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_validate_reports_all_six_problems_and_exits_2(capsys):
    code, out, err = run(capsys, "data", "validate", BAD / "six_defects.jsonl")
    assert code == 2 and "Traceback" not in out + err
    for line in (2, 3, 4, 6, 7, 8):
        assert f"six_defects.jsonl:{line}" in err
    assert "6 problems found." in err


def test_validate_against_train_reports_leaks(tmp_path, capsys):
    train = _write(tmp_path / "train.jsonl", [("Where is my card?", "card"), ("Refund me", "refund")])
    eval_ = _write(tmp_path / "eval.jsonl", [("Cancel it", "cancel"), ("where is my CARD", "card")])
    code, _, err = run(capsys, "data", "validate", eval_, "--against", train)
    assert code == 2
    assert f"{eval_}:2, field 'messages': the user text also appears in {train}:1" in err
    clean = _write(tmp_path / "clean.jsonl", [("Cancel it", "cancel")])
    code, out, _ = run(capsys, "data", "validate", clean, "--against", train)
    assert code == 0 and "1 examples, no overlap" in out


def test_convert_refuses_to_overwrite_then_forces(tmp_path, capsys):
    src = tmp_path / "data.csv"
    src.write_text("text,label\nhello,greet\nbye,leave\n", encoding="utf-8")
    dst = tmp_path / "chat.jsonl"
    code, out, _ = run(capsys, "data", "convert", src, dst, "--input-col", "text", "--output-col", "label", "--system", "Classify.")
    assert code == 0 and "wrote 2 examples" in out
    code, _, err = run(capsys, "data", "convert", src, dst, "--input-col", "text", "--output-col", "label")
    assert code == 2 and str(dst) in err and "--force" in err
    code, _, _ = run(capsys, "data", "convert", src, dst, "--input-col", "text", "--output-col", "label", "--force")
    assert code == 0 and len(dst.read_text(encoding="utf-8").splitlines()) == 2


def test_split_is_byte_identical_for_a_seed_and_refuses_existing_outputs(tmp_path, capsys):
    src = _write(tmp_path / "all.jsonl", [(f"question {i}", "yes" if i % 2 else "no") for i in range(20)])
    outs = []
    for run_ in range(2):
        train, eval_ = tmp_path / f"train{run_}.jsonl", tmp_path / f"eval{run_}.jsonl"
        code, out, _ = run(capsys, "data", "split", src, "--eval-fraction", "0.3", "--seed", "0", "--train-out", train, "--eval-out", eval_)
        assert code == 0 and "14 train" in out and "6 eval" in out and "stratified by label" in out
        outs.append(train.read_bytes() + b"|" + eval_.read_bytes())
    assert outs[0] == outs[1]
    code, _, err = run(capsys, "data", "split", src, "--train-out", tmp_path / "train0.jsonl", "--eval-out", tmp_path / "new.jsonl")
    assert code == 2 and "train0.jsonl" in err and not (tmp_path / "new.jsonl").exists()


def test_stats_json_and_table(tmp_path, capsys):
    src = _write(tmp_path / "all.jsonl", [(f"question {i}", "yes" if i % 4 else "no") for i in range(8)])
    code, out, _ = run(capsys, "data", "stats", src, "--epochs", "3", "--price-per-1m", "10", "--json")
    figures = json.loads(out)
    assert code == 0 and figures["examples"] == 8 and figures["labels"] == {"yes": 6, "no": 2}
    assert figures["tokens_estimated"] is True and figures["finetune_tokens"] == figures["tokens_total"] * 3
    code, out, _ = run(capsys, "data", "stats", src)
    assert code == 0 and "fine-tune tokens (2 epochs)" in out and "estimate" in out and "yes" in out


def test_stats_on_a_bad_file_exits_2_without_traceback(capsys):
    code, out, err = run(capsys, "data", "stats", BAD / "bad_role.jsonl")
    assert code == 2 and "bad_role.jsonl:2" in err and "Traceback" not in out + err


def test_max_tokens_without_a_model_is_a_usage_error(capsys):
    code, _, err = run(capsys, "data", "validate", BAD / "bad_role.jsonl", "--max-tokens", "10")
    assert code == 2 and "--max-tokens needs --model" in err
