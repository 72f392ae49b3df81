"""`finetune.compare`: variants measured on the same items, the cheapest reported unless another is significantly better.

The measuring is scripted here (rows of known scores): what is under test is the choice and the record.
"""

from __future__ import annotations

import asyncio

import pandas as pd
from scipy.stats import binomtest

from advisor.record.run import MetricValue, RungResult, Training
from advisor.reports import render
from advisor.rungs.finetune.settings import FinetuneSettings as Finetune
from advisor.rungs.finetune.variants import choose, measure_variants, methods_to_compare


def measured(method: str, correct: list[int]) -> tuple[RungResult, pd.DataFrame]:
    """A scripted measurement: one 0/1 score per item, ids shared by every variant."""
    rows = pd.DataFrame({"id": [f"q{i}" for i in range(len(correct))], "score": [float(c) for c in correct]})
    share = sum(correct) / len(correct)
    training = Training(
        method=method,
        seconds=100.0 if method == "lora" else 180.0,
        trainable_params=4_884_480 if method == "lora" else 134_515_008,
        peak_rss_mb=2100.0 if method == "lora" else 3900.0,
        artifact_mb=19.6 if method == "lora" else 538.1,
    )
    return RungResult(
        name="finetune",
        status="measured",
        n=len(correct),
        training=training,
        metrics={"accuracy": MetricValue(value=share, lower=share - 0.05, upper=min(1.0, share + 0.05))},
    ), rows


def test_methods_are_measured_cheapest_first_with_the_configured_one_among_them():
    assert methods_to_compare(Finetune(method="full", compare=["lora"])) == ["lora", "full"]
    assert methods_to_compare(Finetune(compare=["full", "lora"])) == ["lora", "full"]


def test_the_cheaper_variant_is_kept_when_the_other_is_not_significantly_better():
    lora = [1] * 90 + [0] * 10
    full = [1] * 92 + [0] * 8  # two more right: far from significant
    result, rows = choose([("lora", *measured("lora", lora)), ("full", *measured("full", full))], confidence=0.95)
    assert result.training.method == "lora" and list(rows["score"]) == lora
    cheap, costly = result.variants
    assert (cheap.method, cheap.chosen, costly.method, costly.chosen) == ("lora", True, "full", False)
    assert costly.against == "lora" and costly.diff == 0.02
    assert costly.p_value == binomtest(2, 2, 0.5).pvalue  # exact McNemar: 2 discordant items, both for full


def test_a_significantly_better_costlier_variant_is_reported_with_both_in_the_record():
    lora = [1] * 60 + [0] * 40
    full = [1] * 95 + [0] * 5  # 35 items only full gets right
    result, rows = choose([("lora", *measured("lora", lora)), ("full", *measured("full", full))], confidence=0.95)
    assert result.training.method == "full" and list(rows["score"]) == full
    assert [v.chosen for v in result.variants] == [False, True]
    assert result.variants[1].p_value == binomtest(35, 35, 0.5).pvalue < 0.05
    markdown = render(_record_with(result), "md")
    assert "**Fine-tune variants (same eval items)**" in markdown
    assert "| full | 0.950 [0.900, 1.000] | 134,515,008 | 180 s | 3.90 GB | 538.1 MB |" in markdown


def test_measure_variants_trains_each_other_method_under_its_own_label():
    asked = []

    async def measure(config, label):
        asked.append((config.method, config.r, label))
        return measured(config.method, [1] * 50)

    config = Finetune(r=8, compare=["lora", "full"])
    result, _ = asyncio.run(measure_variants(config, measured("lora", [1] * 50), 0.95, measure))
    assert asked == [("full", 8, "finetune-full")]
    assert [v.method for v in result.variants] == ["lora", "full"] and result.training.method == "lora"


def _record_with(rung: RungResult):
    from test_reports import make_record

    record = make_record()
    record.rungs = [
        r if r.name != "finetune" else rung.model_copy(update={"comparisons": r.comparisons, "checks": r.checks}) for r in record.rungs
    ]
    return record


def test_the_html_and_terminal_reports_show_the_variants_side_by_side():
    result, _ = choose([("lora", *measured("lora", [1] * 9 + [0])), ("full", *measured("full", [1] * 10))], confidence=0.95)
    record = _record_with(result)
    html = render(record, "html")
    assert "Fine-tune variants (same eval items)" in html and html.count("<td>lora</td>") + html.count(">lora<") >= 1
    terminal = render(record, "terminal")
    assert "Fine-tune variants" in terminal and "538.1 MB" in terminal
