"""The learning curve: the power-law fit, the forecast sentence, the reports, and a tiny real run."""

from __future__ import annotations

import asyncio
import math

import pytest
import yaml
from conftest import copy_shipped
from test_reports import make_record

from advisor.record.run import CurvePoint, LearningCurve
from advisor.rungs.finetune.curve import examples_needed, fit, forecast, power_law
from evals.stats import wilson

NS = [75, 150, 300]


def points(accuracies: list[float], n_eval: int = 120) -> list[CurvePoint]:
    out = []
    for n, acc in zip(NS, accuracies):
        w = wilson(round(acc * n_eval), n_eval)
        out.append(CurvePoint(n=n, value=w.value, lower=w.lower, upper=w.upper))
    return out


def test_the_fit_recovers_a_saturating_power_law_and_inverts_it():
    truth = (4.0, 0.5, 0.05)
    params = fit(NS, [float(power_law(n, *truth)) for n in NS])
    assert params == pytest.approx(truth, rel=2e-2, abs=1e-3)  # b is searched on a grid of step 0.005
    # error 0.1 at n = (a / (0.1 - c))^(1/b) = 80^2
    assert examples_needed(truth, 0.1) == pytest.approx(6400)
    assert examples_needed((4.0, 0.5, 0.2), 0.1) == float("inf")  # the floor c is above the error allowed


def test_a_rising_curve_forecasts_examples_with_an_interval_around_them():
    params, needed, sentence = forecast(points([0.5, 0.65, 0.75]), "accuracy", 0.9, 0.95)
    n, low, high = needed
    assert low <= n <= high and n > 300
    assert sentence.startswith(f"about {math.ceil(n):,} examples")
    assert "examples would reach accuracy >= 0.9 (95% interval" in sentence


def test_a_flat_curve_says_more_data_will_not_get_there():
    _, needed, sentence = forecast(points([0.5, 0.55, 0.57]), "accuracy", 0.9, 0.95)
    assert needed is None
    assert sentence.startswith("the curve flattens below the target") and "try a larger model" in sentence


def test_a_curve_already_at_the_target_says_so():
    assert forecast(points([0.9, 0.97, 1.0]), "accuracy", 0.9, 0.95)[2] == "300 examples already reach accuracy >= 0.9"


def test_the_reports_print_the_points_and_the_forecast_and_plot_them():
    from advisor.reports import render

    record = make_record()
    plain = render(record, "html").count("<img")
    params, needed, sentence = forecast(points([0.5, 0.65, 0.75]), "accuracy", 0.9, 0.95)
    record.learning_curve = LearningCurve(
        metric="accuracy", target=0.9, points=points([0.5, 0.65, 0.75]), fit=list(params), examples_needed=needed, forecast=sentence
    )
    md = render(record, "md")
    assert "**Learning curve**: accuracy by train size: 75 examples 0.500 [" in md and sentence in md
    assert render(record, "html").count("<img") == plain + 1
    assert sentence in " ".join(render(record, "terminal").split())


@pytest.mark.slow
def test_a_tiny_learning_curve_on_support_intents_trains_three_adapters_on_the_same_items(tmp_path, embedded_model, run_cache):
    """One optimizer step per point: it checks the plumbing (nested subsets, same eval items, a fit), not the forecast."""
    from advisor.run import RunOptions, climb
    from advisor.scenario.workspace import prepare

    path = copy_shipped("support-intents", tmp_path)
    data = yaml.safe_load(path.read_text())
    data["ladder"]["finetune"].update(val_fraction=0.0)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    ws = prepare(path, limit=10)
    record = asyncio.run(
        climb(ws, RunOptions(tmp_path / "run", rungs=["zero_shot"], learning_curve=True, curve_max_steps=1, latency_probe=0))
    )
    curve = record.learning_curve
    assert [p.n for p in curve.points] == [75, 150, 300]
    assert all(0.0 <= p.lower <= p.value <= p.upper <= 1.0 for p in curve.points)
    assert curve.metric == "accuracy" and curve.target == 0.9 and curve.forecast
    assert sorted(q.name for q in (tmp_path / "run" / "learning_curve").iterdir()) == ["n150", "n300", "n75"]
