"""`advisor eval` (the harness without the ladder) and `advisor plan` (sample sizes), through the CLI."""

from __future__ import annotations

import json

import pytest
import yaml
from clirun import run_cli as cli
from fakes.openai_server import FakeOpenAIServer


def write_eval(path, n: int = 20) -> None:
    """Items the fake server answers with the last word of the user text; every fifth expects something else."""
    lines = []
    for i in range(n):
        label = ["billing", "refund"][i % 2]
        expected = "shipping" if i % 5 == 0 else label
        lines.append(
            json.dumps(
                {
                    "id": f"e{i}",
                    "messages": [{"role": "user", "content": f"e{i} this is about {label}"}, {"role": "assistant", "content": expected}],
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def server():
    with FakeOpenAIServer() as running:
        yield running


def test_eval_grades_a_model_on_a_file_with_intervals_and_writes_results(tmp_path, capsys, server, run_cache):
    data = tmp_path / "eval.jsonl"
    write_eval(data)
    out = tmp_path / "out"
    args = ["eval", str(data), "--model", f"openai:{server.base_url}#fake", "--grader", "label", "--out", str(out)]
    code, printed, _ = cli(args, capsys)
    assert code == 0 and "accuracy" in printed
    results = json.loads((out / "results.json").read_text())
    assert results["n"] == 20 and results["metrics"]["accuracy"]["value"] == 0.8
    assert results["metrics"]["accuracy"]["lower"] < 0.8 < results["metrics"]["accuracy"]["upper"]
    assert "macro_f1" in results["metrics"] and results["errors"] == 0
    assert len((out / "samples.jsonl").read_text().splitlines()) == 20
    served = server.app.total
    assert served == 20
    code, _, _ = cli(args, capsys)  # the journal and the cache answer a rerun
    assert code == 0 and server.app.total == served


def test_eval_repeat_reports_pass_all_and_agreement(tmp_path, capsys, server, run_cache):
    data = tmp_path / "eval.jsonl"
    write_eval(data, 10)
    code, printed, _ = cli(
        [
            "eval",
            str(data),
            "--model",
            f"openai:{server.base_url}#fake",
            "--repeat",
            "3",
            "--temperature",
            "0.7",
            "--out",
            str(tmp_path / "out"),
        ],
        capsys,
    )
    repeat = json.loads((tmp_path / "out" / "results.json").read_text())["repeat"]
    assert code == 0 and repeat["repeats"] == 3 and repeat["items"] == 10 and "pass^3" in printed


def test_eval_names_the_bad_line_and_exits_2(tmp_path, capsys):
    data = tmp_path / "eval.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": ""}]}\n')
    code, _, err = cli(["eval", str(data)], capsys)
    assert code == 2 and f"{data}:1" in err and "content is empty" in err


def test_eval_exports_an_lm_eval_task_without_calling_a_model(tmp_path, capsys):
    data = tmp_path / "intents.jsonl"
    write_eval(data)
    code, printed, _ = cli(["eval", str(data), "--grader", "label", "--export-lm-eval", str(tmp_path / "tasks")], capsys)
    assert code == 0 and "--tasks intents" in printed
    task = yaml.safe_load((tmp_path / "tasks" / "intents.yaml").read_text().replace("!function", "#"))
    assert task["dataset_kwargs"]["data_files"]["test"] == str((tmp_path / "tasks" / "intents.jsonl").resolve())
    assert task["metadata"]["grading"]["kind"] == "label"


def test_plan_says_how_many_examples_a_target_needs(capsys):
    code, out, _ = cli(["plan", "0.999", "--failures", "0,1"], capsys)
    assert code == 0
    assert "to show accuracy >= 0.999 at 95% confidence you need at least 3838 examples with no failures, or 5661" in out
    code, out, _ = cli(["plan", "0.95", "--have", "120"], capsys)
    assert "Your 120 eval examples can show at most accuracy >= 0.969" in out and "enough" in out
