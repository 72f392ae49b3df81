"""Reports rendered from a hand-built RunRecord: Markdown, HTML with plots, JUnit XML, terminal text."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import pytest

from advisor.decide.decision import recommend
from advisor.decide.targets import check_all
from advisor.record.run import Comparison, Forgetting, MetricValue, RungResult, RunRecord, Training
from advisor.reports import FILES, render, write_reports
from advisor.reports import _plots as plots
from advisor.scenario.schema import Profile, Target
from evals.stats import wilson

LABELS = ["billing", "cancel", "refund", "shipping", "tech"]
TARGETS = [Target(metric="accuracy", min=0.8), Target(metric="format_valid", min=0.9)]


def rate(successes: int, n: int = 200) -> MetricValue:
    return MetricValue(**wilson(successes, n, 0.95).as_dict())


def confusion(correct_per_label: int) -> dict:
    """40 items per label: `correct_per_label` right, the rest spread over the next label and invalid."""
    rows = []
    for i in range(len(LABELS)):
        row = [0] * (len(LABELS) + 1)
        row[i] = correct_per_label
        row[(i + 1) % len(LABELS)] = (40 - correct_per_label) // 2
        row[-1] = 40 - correct_per_label - (40 - correct_per_label) // 2
        rows.append(row)
    return {"labels": LABELS, "matrix": rows}


def measured(name, accuracy, valid, p50, p95, tokens_in, tokens_out, per_1m, **extra) -> RungResult:
    rung = RungResult(
        name=name,
        status="measured",
        n=200,
        metrics={"accuracy": rate(accuracy), "format_valid": rate(valid)},
        latency_ms={"p50": p50, "p95": p95},
        tokens_per_call={"input": tokens_in, "output": tokens_out},
        cost_per_1k_calls_usd=per_1m / 1e3,
        cost_per_1m_calls_usd=per_1m,
        seconds=120.0,
        **extra,
    )
    return check_all(rung, TARGETS, 0.95)


def training() -> Training:
    curve = [{"step": s, "loss": 2.6 * 0.8 ** (s / 10) + 0.05} for s in range(0, 100, 5)]
    for point in curve[::4]:
        point["val_loss"] = point["loss"] * 1.1 + 0.02  # evaluated every fourth logging step only
    return Training(
        method="lora",
        trainable_params=4_884_480,
        trainable_share=0.0351,
        train_tokens=48_210,
        seconds=412.0,
        tokens_per_s=234.0,
        padding_waste=0.18,
        final_train_loss=0.11,
        final_val_loss=0.14,
        cost_usd=0.05,
        curve=curve,
    )


def forgetting() -> Forgetting:
    return Forgetting(
        base=MetricValue(value=0.412, lower=0.38, upper=0.44),
        adapter=MetricValue(value=0.405, lower=0.37, upper=0.44),
        change=MetricValue(value=-0.007, lower=-0.021, upper=0.008),
        threshold=0.02,
        flagged=False,
        tasks={"arc_easy": {"base": 0.52, "adapter": 0.51}, "hellaswag": {"base": 0.30, "adapter": 0.30}},
    )


def make_record(finetune_correct: int = 197, description: str = "Route support tickets to one of five intents.") -> RunRecord:
    """A realistic run: zero-shot and few-shot measured, RAG skipped, a fine-tune measured with its curve."""
    rungs = [
        measured("zero_shot", 0, 9, 310.0, 520.0, 62.0, 9.0, 0.0, confusion=confusion(0)),
        measured(
            "few_shot",
            94,
            194,
            880.0,
            1400.0,
            640.0,
            4.0,
            0.0,
            comparisons=[Comparison(against="zero_shot", test="mcnemar", n=200, diff=0.47, p_value=1e-20, this_only=94)],
            confusion=confusion(19),
        ),
        RungResult(name="rag", status="skipped", skip_reason="no knowledge folder | set data.knowledge"),
        measured(
            "finetune",
            finetune_correct,
            200,
            290.0,
            450.0,
            62.0,
            3.0,
            0.0,
            training=training(),
            forgetting=forgetting(),
            confusion=confusion(finetune_correct // 5),
            comparisons=[Comparison(against="few_shot", test="mcnemar", n=200, diff=0.515, p_value=3e-25, this_only=104)],
        ),
    ]
    profile = Profile(calls_per_day=20_000)
    return RunRecord(
        scenario="support-intents",
        description=description,
        model="local:smollm2-135m",
        grader="label",
        targets=TARGETS,
        confidence=0.95,
        profile=profile,
        rungs=rungs,
        warnings=["3 eval examples also appear in train (leakage)"],
        recommendation=recommend(rungs, profile, "local:smollm2-135m", 0.95),
        seconds=1034.0,
        data_sha256={"eval": "ab" * 32, "train": "cd" * 32},
    )


def with_costs(record: RunRecord, costs: dict[str, float]) -> RunRecord:
    record = record.model_copy(deep=True)
    for rung in record.measured:
        rung.cost_per_1m_calls_usd = costs[rung.name]
    return record


def test_the_sample_record_is_what_the_tests_assume():
    record = make_record()
    assert [r.meets_targets for r in record.rungs] == [False, False, None, True]
    assert record.recommendation.rung == "finetune" and record.passed
    assert make_record(finetune_correct=150).passed is False


def test_markdown_has_verdict_rung_rows_and_details():
    md = render(make_record(), "md")
    assert md.startswith("## advisor · support-intents · ✅ PASS")
    assert "| Rung | Status | n | accuracy | format_valid | p50 / p95 ms | tokens in / out | $ / 1M calls | Meets targets |" in md
    assert "| zero-shot | measured | 200 | 0.000 [0.000, 0.019] |" in md
    assert "| **fine-tune** ★ | measured | 200 | 0.985 [" in md
    # A pipe in a skip reason must not split the table row.
    assert "| RAG | skipped: no knowledge folder \\| set data.knowledge |" in md
    assert "**Recommendation: fine-tune**" in md
    assert "- ⚠️ 3 eval examples also appear in train (leakage)" in md
    assert "<details><summary>Target checks</summary>" in md and "</details>" in md
    assert "| few-shot | `accuracy >= 0.8` | ❌ | lower bound 0.402 < 0.8 |" in md
    assert "**Training (fine-tune)**: method lora · trainable parameters 4,884,480 (3.51% of the model)" in md
    assert "**Forgetting check**: General ability (canary tasks): base 0.412 → adapter 0.405" in md
    assert len(md.splitlines()) < 60  # fits a pull-request comment


def test_markdown_says_fail_when_no_rung_meets_the_targets():
    md = render(make_record(finetune_correct=150), "md")
    assert "❌ FAIL" in md.splitlines()[0]
    assert "**Recommendation: no rung meets the targets**" in md
    assert "- More training examples" in md  # the next steps are listed


def pngs(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def test_html_is_self_contained_with_one_image_per_plot():
    html = render(make_record(), "html")
    images = pngs(html)
    # quality per rung, cost vs quality, latency, the fine-tune's loss curve, one confusion matrix
    assert len(images) == 5
    assert all(img.startswith(b"\x89PNG\r\n\x1a\n") for img in images)
    assert not re.search(r'(src|href)="(?!data:)', html)  # no external assets
    assert '<div class="verdict">PASS</div>' in html
    assert "Recommended: fine-tune" in html and "no knowledge folder | set data.knowledge" in html


def test_html_escapes_text_from_the_user():
    html = render(make_record(description="<script>alert('x')</script> & more"), "html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in html


def test_html_without_training_or_confusion_draws_three_plots():
    record = make_record()
    for rung in record.rungs:
        rung.training, rung.confusion, rung.forgetting = None, None, None
    html = render(record, "html")
    assert len(pngs(html)) == 3
    assert '<div class="verdict">PASS</div>' in html and "Forgetting check" not in html


@pytest.mark.parametrize(
    "costs",
    [
        {"zero_shot": 0.0, "few_shot": 0.0, "finetune": 0.0},
        {"zero_shot": 0.0, "few_shot": 1200.0, "finetune": 3.5},
        {"zero_shot": 0.2, "few_shot": 900.0, "finetune": 3.5},
    ],
)
def test_cost_plot_handles_free_rungs_and_costs_spanning_decades(costs):
    png = plots.cost_quality(with_costs(make_record(), costs))
    assert png is not None and png.startswith(b"\x89PNG")


def test_training_plot_draws_validation_points_with_gaps_in_the_curve():
    rung = make_record().rung("finetune")
    rung.training.curve.append({"step": 100, "val_loss": None})
    assert plots.training(rung).startswith(b"\x89PNG")
    rung.training.curve = [{"step": 1}]
    assert plots.training(rung) is None


def test_training_plot_puts_the_validation_score_beside_the_loss_and_the_facts_name_the_kept_step():
    import struct

    record = make_record()
    rung = record.rung("finetune")
    width = lambda png: struct.unpack(">I", png[16:20])[0]  # noqa: E731 - the PNG header's width field
    loss_only = width(plots.training(rung))
    evaluated = [p for p in rung.training.curve if "val_loss" in p]
    for i, point in enumerate(evaluated):
        point["val_score"] = [0.4, 0.9, 0.8, 0.85, 0.85][i]
    rung.training.best_step, rung.training.best_val_score, rung.training.epochs = evaluated[1]["step"], 0.9, 7
    rung.training.undertrained_note = "undertrained: the train loss was still falling at the end"
    assert width(plots.training(rung)) > 1.8 * loss_only
    markdown = render(record, "md")
    assert f"kept step {evaluated[1]['step']} (val score 0.900)" in markdown and "epochs planned 7" in markdown
    assert "undertrained the train loss was still falling" in markdown


def junit_counts(xml: str) -> tuple[int, int, int]:
    cases = ET.fromstring(xml).findall(".//testcase")
    return len(cases), sum(c.find("failure") is not None for c in cases), sum(c.find("skipped") is not None for c in cases)


def test_junit_has_a_case_per_target_per_rung():
    xml = render(make_record(), "junit")
    # 4 rungs x 2 targets; zero-shot misses both, few-shot misses accuracy; RAG's two are skipped
    assert junit_counts(xml) == (8, 3, 2)
    root = ET.fromstring(xml)
    suite = root.find("testsuite")
    assert suite.get("tests") == "8" and suite.get("failures") == "3" and suite.get("skipped") == "2"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["verdict"] == "PASS" and props["recommendation"] == "finetune"
    assert props["rationale.1"].startswith("Fine-tune is the cheapest rung that meets every target")
    failure = root.find(".//testcase[@classname='support-intents.few_shot'][@name='accuracy >= 0.8']/failure")
    assert failure.get("message") == "lower bound 0.402 < 0.8"


def test_junit_parses_with_junitparser(tmp_path):
    junitparser = pytest.importorskip("junitparser")
    path = write_reports(make_record(finetune_correct=150), tmp_path)["junit"]
    suites = list(junitparser.JUnitXml.fromfile(str(path)))
    cases = [case for suite in suites for case in suite]
    kinds = [type(result).__name__ for case in cases for result in case.result]
    assert len(cases) == 8
    assert kinds.count("Failure") == 4 and kinds.count("Skipped") == 2
    assert {case.classname for case in cases} == {f"support-intents.{r}" for r in ("zero_shot", "few_shot", "rag", "finetune")}


def test_terminal_text_is_plain_and_complete():
    text = render(make_record(), "terminal")
    assert "\x1b[" not in text
    assert "fine-tune ★" in text and "RAG skipped: no knowledge folder" in text
    assert "[0.957, 0.995]" in text and "Verdict: PASS" in text and "Recommendation: fine-tune" in text
    assert "! 3 eval examples also appear in train (leakage)" in text


def test_write_reports_writes_the_three_files_and_nothing_else(tmp_path):
    paths = write_reports(make_record(), tmp_path / "out")
    assert {k: p.name for k, p in paths.items()} == FILES
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["junit.xml", "report.html", "report.md"]
    assert paths["md"].read_text(encoding="utf-8").startswith("## advisor · support-intents")


def test_render_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="unknown report format 'pdf'"):
        render(make_record(), "pdf")


def test_a_backend_failure_turns_the_verdict_to_error_everywhere():
    record = make_record()
    record.backend_failure = "12 of 200 calls failed (6%), above the 5% error budget"
    assert "⛔ ERROR" in render(record, "md").splitlines()[0]
    assert '<div class="verdict">ERROR</div>' in render(record, "html")
    assert "Backend failure: 12 of 200 calls failed" in render(record, "terminal")
    props = {p.get("name"): p.get("value") for p in ET.fromstring(render(record, "junit")).iter("property")}
    assert props["verdict"] == "ERROR" and props["warning.1"].startswith("Backend failure")
