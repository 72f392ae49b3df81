"""Per-item samples and `advisor compare`: the schema, the paired non-inferiority test and the regression gate.

Runs are made with the prompt-aware fake backend of test_ladder (the answer is right only when the prompt
shows it), so that a worse prompt (one random shot instead of four similar ones) is really worse.
"""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from clirun import run_cli
from fakes.served import served_scenario
from scipy.stats import binomtest
from test_ladder import PromptAwareFake, write_scenario

from advisor.record.run import load_record
from advisor.record.samples import Sample, load
from advisor.reports import write_reports
from advisor.run import RunOptions, climb
from advisor.scenario.workspace import prepare
from evals.noninferiority import noninferiority


def make_run(scenario, out, **few_shot):
    """Measure zero-shot and few-shot with the fake into `out`; few_shot settings override the scenario's."""
    ws = prepare(scenario)
    if few_shot:
        ws.scenario.ladder.few_shot = ws.scenario.ladder.few_shot.model_copy(update=few_shot)
    record = asyncio.run(
        climb(ws, RunOptions(out, use_cache=False, full=True, rungs=["zero_shot", "few_shot"], backend=PromptAwareFake(), sequential=False))
    )
    record.save(out / "run.json")
    write_reports(record, out)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    scenario = write_scenario(root / "s")
    return {"good": make_run(scenario, root / "good"), "worse": make_run(scenario, root / "worse", k=1, select="random")}


@pytest.mark.parametrize("a_only,b_only,n,margin", [(9, 2, 60, 0.0), (9, 2, 60, 0.05), (3, 3, 100, 0.02), (20, 0, 40, 0.1)])
def test_the_exact_test_is_the_binomial_test_on_the_discordant_items(a_only, b_only, n, margin):
    a = [1.0] * a_only + [0.0] * b_only + [1.0] * (n - a_only - b_only)
    b = [0.0] * a_only + [1.0] * b_only + [1.0] * (n - a_only - b_only)
    test = noninferiority(a, b, margin, confidence=0.95)
    k = a_only + b_only
    oracle = binomtest(b_only, k, (1 - margin * n / k) / 2, alternative="less").pvalue
    assert test.p_worse == pytest.approx(oracle, rel=1e-9)
    ci = binomtest(b_only, k).proportion_ci(0.95, method="exact")
    assert test.diff.lower == pytest.approx((2 * ci.low - 1) * k / n) and test.diff.upper == pytest.approx((2 * ci.high - 1) * k / n)
    # the verdict and the one-sided test at 97.5% say the same thing
    assert (test.verdict == "worse") == (oracle < 0.025)


def test_the_verdicts_for_agreement_a_clear_drop_and_too_few_items():
    same = noninferiority([1, 0, 1, 1], [1, 0, 1, 1], 0.02)
    assert same.verdict == "non-inferior" and same.diff.value == 0 and same.p_worse == 1.0
    assert noninferiority([1] * 40, [0] * 30 + [1] * 10, 0.02).verdict == "worse"
    assert noninferiority([1, 0, 1], [0, 1, 0], 0.02).verdict == "inconclusive"
    graded = noninferiority([0.9] * 50, [0.5] * 50, 0.02)  # not 0/1: the paired bootstrap
    assert graded.test == "paired-bootstrap" and graded.verdict == "worse"


def test_samples_carry_the_input_the_shots_the_answer_and_the_reason(runs):
    samples = load(runs["good"])
    few = [s for s in samples if s.rung == "few_shot"]
    assert len(few) == 60 and len(samples) == 120
    first = few[0]
    assert first.input == "eval question about t0" and first.expected == "refund" and first.output == "refund"
    assert len(first.shots) == 4 and all(s.startswith("train-") for s in first.shots)
    assert first.answer == "refund" and first.reason == "read label 'refund'" and first.score == 1.0
    assert first.messages[-1] == {"role": "user", "content": "eval question about t0"}
    zero = next(s for s in samples if s.rung == "zero_shot")
    assert zero.shots is None and zero.answer is None and zero.reason == "no valid answer in the output"


def test_the_record_loads_its_samples_as_a_data_frame(runs):
    table = load_record(runs["good"] / "run.json").samples()
    assert isinstance(table, pd.DataFrame) and len(table) == 120
    assert table.groupby("rung")["score"].mean().to_dict() == {"few_shot": 1.0, "zero_shot": 0.0}


def test_samples_written_before_the_new_fields_still_load(tmp_path):
    old = {
        "id": "e1",
        "rung": "few_shot",
        "repeat": 0,
        "output": "refund",
        "expected": "refund",
        "score": 1.0,
        "format_valid": True,
        "latency_s": 0.1,
        "input_tokens": 9,
        "output_tokens": 1,
        "cached": False,
        "error": None,
    }
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "few_shot.jsonl").write_text(json.dumps(old) + "\n")
    (sample,) = load(tmp_path)
    assert sample == Sample(**old) and sample.input is None and sample.retrieved is None


def test_retrieved_chunks_are_read_as_ids_or_id_and_score():
    from advisor.record.samples import from_row

    row = {
        "id": "q",
        "rung": "rag",
        "output": "x [a]",
        "expected": "x",
        "score": 1.0,
        "format_valid": True,
        "latency_s": 0.1,
        "details": {"context": {"retrieved": ["a", {"id": "b", "score": 0.5}], "cited": ["a"]}},
    }
    sample = from_row(row, [{"role": "user", "content": "what?"}])
    assert [(r.id, r.score) for r in sample.retrieved] == [("a", None), ("b", 0.5)] and sample.cited == ["a"]
    assert sample.input == "what?"


def test_a_run_compared_with_itself_has_no_flips_and_passes_the_gate(runs, capsys, tmp_path):
    code, out, _ = run_cli(
        ["compare", str(runs["good"]), str(runs["good"] / "run.json"), "--gate", "--json", str(tmp_path / "c.json")], capsys
    )
    assert code == 0 and "NO REGRESSION" in out
    data = json.loads((tmp_path / "c.json").read_text())
    assert [(r["rung"], r["n"], r["fixed"], r["broken"]) for r in data["rungs"]] == [("zero_shot", 60, 0, 0), ("few_shot", 60, 0, 0)]
    assert not data["added"] and not data["dropped"]


def test_a_worse_prompt_is_a_significant_regression_with_its_flipped_items(runs, capsys, tmp_path):
    md, junit, data = tmp_path / "c.md", tmp_path / "junit.xml", tmp_path / "c.json"
    code, out, _ = run_cli(
        [
            "compare",
            str(runs["good"]),
            str(runs["worse"]),
            "--gate",
            "--margin",
            "0.02",
            "--md",
            str(md),
            "--junit",
            str(junit),
            "--json",
            str(data),
        ],
        capsys,
    )
    assert code == 1 and "REGRESSION: few-shot" in out
    assert "broken: eval-" in out
    (rung,) = [r for r in json.loads(data.read_text())["rungs"] if r["rung"] == "few_shot"]
    accuracy = rung["metrics"][0]
    assert accuracy["verdict"] == "worse" and accuracy["upper"] < -0.02 and rung["broken"] > 40 and rung["fixed"] == 0
    assert len(rung["broken_items"]) == 5 and rung["broken_items"][0]["base_output"] == "refund"
    assert md.read_text().startswith("<!-- advisor-compare -->") and "| few-shot | accuracy | 60 | 1.000 | 0.033 |" in md.read_text()
    cases = ET.parse(junit).getroot().iter("testcase")
    failed = {(c.get("classname"), c.get("name").split()[0]) for c in cases if c.find("failure") is not None}
    assert ("fake-topics.few_shot", "accuracy") in failed and len(list(ET.parse(junit).getroot().iter("testcase"))) == 4
    # without --gate the same comparison exits 0
    assert run_cli(["compare", str(runs["good"]), str(runs["worse"])], capsys)[0] == 0


def test_a_changed_eval_set_is_stated_not_silently_compared(tmp_path, capsys):
    short, long = write_scenario(tmp_path / "a", n_eval=50), write_scenario(tmp_path / "b", n_eval=60)
    make_run(short, tmp_path / "base")
    make_run(long, tmp_path / "new")
    code, out, _ = run_cli(["compare", str(tmp_path / "base"), str(tmp_path / "new"), "--gate"], capsys)
    assert code == 0 and "10 item(s) added (new run only), not compared: eval-50" in out
    assert "data changed between the runs: eval" in out and "(50 shared items)" in out


def test_a_missing_run_is_bad_input(tmp_path, capsys):
    code, _, err = run_cli(["compare", str(tmp_path / "nope"), str(tmp_path / "nope")], capsys)
    assert code == 2 and "run record not found" in err


def test_run_with_a_baseline_fails_on_a_regression_and_passes_against_itself(tmp_path, capsys, run_cache):
    from fakes.openai_server import FakeOpenAIServer

    with FakeOpenAIServer() as server:
        scenario = served_scenario(tmp_path / "s", server.base_url, n_eval=60, min_accuracy=0.3)
        args = ["run", str(scenario), "--rungs", "zero_shot", "--ci", "--no-sequential"]
        first = run_cli([*args, "--out", str(tmp_path / "a")], capsys)
        assert first[0] == 0, first
        # a baseline that got every item right: this run's 30 misses are a regression
        flawless = tmp_path / "a" / "samples" / "zero_shot.jsonl"
        rows = [json.loads(line) for line in flawless.read_text().splitlines()]
        flawless.write_text("".join(json.dumps({**r, "score": 1.0, "format_valid": True}) + "\n" for r in rows))
        code, out, _ = run_cli([*args, "--out", str(tmp_path / "b"), "--baseline", str(tmp_path / "a")], capsys)
        assert code == 1 and "REGRESSION: zero-shot" in out and "0 fixed, 30 broken" in out
        assert "| zero-shot | accuracy | 60 | 1.000 | 0.500 |" in (tmp_path / "b" / "compare.md").read_text()
        code, out, _ = run_cli([*args, "--out", str(tmp_path / "c"), "--baseline", str(tmp_path / "b" / "run.json")], capsys)
        assert code == 0 and "NO REGRESSION" in out and "0 fixed, 0 broken" in out
        code, _, err = run_cli([*args, "--out", str(tmp_path / "d"), "--baseline", str(tmp_path / "none")], capsys)
        assert code == 2 and "baseline run not found" in err and not (tmp_path / "d").exists()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_samples_export_loads_in_pandas_with_a_row_per_item_and_rung(runs, capsys, tmp_path, fmt):
    out = tmp_path / f"samples.{fmt}"
    code, _, err = run_cli(["report", str(runs["good"] / "run.json"), "--format", fmt, "--out", str(out)], capsys)
    assert code == 0 and "120 rows" in err
    table = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
    assert len(table) == 120 and not table.duplicated(["id", "rung"]).any()
    assert set(table["rung"]) == {"zero_shot", "few_shot"} and set(table["id"]) == {f"eval-{i}" for i in range(60)}
    few = table[table["rung"] == "few_shot"].iloc[0]
    assert few["input"] == "eval question about t0" and len(json.loads(few["shots"])) == 4 and few["answer"] == "refund"


def test_csv_goes_to_standard_output_and_parquet_needs_a_file(runs, capsys):
    code, out, _ = run_cli(["report", str(runs["good"] / "run.json"), "--format", "csv"], capsys)
    assert code == 0 and out.splitlines()[0].startswith("id,rung,repeat,input,expected") and len(out.splitlines()) == 121
    code, _, err = run_cli(["report", str(runs["good"] / "run.json"), "--format", "parquet"], capsys)
    assert code == 2 and "--out samples.parquet" in err


def test_view_opens_the_report_in_the_browser_and_renders_it_when_missing(runs, capsys, monkeypatch, tmp_path):
    import shutil
    import webbrowser

    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    folder = tmp_path / "run"
    shutil.copytree(runs["good"], folder)
    (folder / "report.html").unlink()
    code, out, _ = run_cli(["view", str(folder / "run.json")], capsys)
    assert code == 0 and opened == [(folder / "report.html").resolve().as_uri()]
    assert 'id="review-data"' in (folder / "report.html").read_text() and out.strip().endswith("report.html")
