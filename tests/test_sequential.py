"""Sequential stopping: the betting confidence sequence keeps its promise, and stopped rungs decide as full ones do."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from test_ladder import PromptAwareFake, climb_with, write_scenario

from advisor.measure.sequential import MIN_ITEMS, Stopper
from advisor.scenario.schema import Target
from evals.confseq import BettingSequence
from evals.stats import wilson


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_the_sequence_covers_the_true_rate_at_every_step_at_least_as_often_as_promised(p):
    rng = np.random.default_rng(17)
    runs, misses = 150, 0
    for _ in range(runs):
        seq = BettingSequence(0.9)
        missed = False
        for x in rng.random(100) < p:
            seq.add(float(x))
            missed = missed or not seq.lower <= p <= seq.upper
        misses += missed
    # Ville: P(ever excluded) <= 0.10; 150 runs give a binomial sd of 0.025, so 0.15 is a 2-sd margin
    assert misses / runs <= 0.15


def test_the_sequence_narrows_around_the_mean_and_bounds_hold_over_time():
    seq = BettingSequence(0.95)
    widths = []
    for x in [1.0, 0.0, 1.0, 1.0] * 50:
        seq.add(x)
        assert seq.lower <= seq.mean <= seq.upper
        widths.append(seq.upper - seq.lower)
    assert widths == sorted(widths, reverse=True)  # a running intersection never widens
    assert seq.lower < 0.75 < seq.upper and widths[-1] < 0.3
    # wider than Wilson at the same n: the price of being valid at every look
    assert seq.upper - seq.lower > wilson(150, 200, 0.95).upper - wilson(150, 200, 0.95).lower


def _stopped(scores: np.ndarray, target: float, confidence: float) -> int:
    stopper = Stopper([Target(metric="accuracy", min=target)], confidence, len(scores))
    for i, x in enumerate(scores):
        if stopper.add({"score": float(x), "format_valid": True}):
            return i + 1
    return len(scores)


def test_stopped_rungs_agree_with_full_evaluations_at_least_as_often_as_the_confidence(capsys):
    """Many synthetic rungs, half with a true rate within 0.1 of the target (the hard cases)."""
    rng = np.random.default_rng(2026)
    confidence, agree, used, available, runs = 0.95, 0, 0, 0, 400
    for i in range(runs):
        n, target = int(rng.choice([60, 120, 300])), float(rng.choice([0.6, 0.8, 0.9]))
        p = float(rng.uniform(0, 1)) if i % 2 else float(np.clip(target + rng.uniform(-0.1, 0.1), 0, 1))
        scores = (rng.random(n) < p).astype(float)
        k = _stopped(scores, target, confidence)
        full = wilson(scores.sum(), n, confidence).lower >= target
        stopped = wilson(scores[:k].sum(), k, confidence).lower >= target  # what the record's check says
        agree += stopped == full
        used, available = used + k, available + n
    agreement, saved = agree / runs, 1 - used / available
    with capsys.disabled():
        print(
            f"\nsequential stopping over {runs} synthetic rungs: agreement with the full eval {agreement:.1%} "
            f"(promised >= {confidence:.0%}), calls saved {saved:.1%}"
        )
    assert agreement >= confidence
    assert saved >= 0.3


def test_a_rung_at_zero_stops_after_the_minimum_items_and_a_perfect_one_runs_until_it_is_shown():
    assert _stopped(np.zeros(120), 0.9, 0.95) == MIN_ITEMS
    k = _stopped(np.ones(120), 0.9, 0.95)
    assert MIN_ITEMS < k < 120
    assert wilson(k, k, 0.95).lower >= 0.9


def test_a_metric_without_a_per_item_value_keeps_a_passing_rung_open_but_not_a_failing_one():
    targets = [Target(metric="accuracy", min=0.5), Target(metric="macro_f1", min=0.5)]
    passing, failing = Stopper(targets, 0.95, 100), Stopper(targets, 0.95, 100)
    assert not any([passing.add({"score": 1.0, "format_valid": True}) for _ in range(99)])
    assert any([failing.add({"score": 0.0, "format_valid": True}) for _ in range(99)])
    assert failing.deciding == ["accuracy >= 0.5 (fail)"]


def test_latency_targets_do_not_hold_a_rung_open():
    stopper = Stopper([Target(metric="accuracy", min=0.9), Target(metric="p95_latency_ms", max=500)], 0.95, 200)
    assert any(stopper.add({"score": 1.0, "format_valid": True}) for _ in range(200))
    assert stopper.used < 200


def test_the_ladder_stops_failing_rungs_early_with_the_same_recommendation(tmp_path):
    path = write_scenario(tmp_path / "s", n_eval=120)
    full, _ = climb_with(path, tmp_path / "full", rungs=["zero_shot", "few_shot"], sequential=False)
    fake = PromptAwareFake()
    quick, _ = climb_with(path, tmp_path / "quick", backend=fake, rungs=["zero_shot", "few_shot"], latency_probe=0)
    assert quick.recommendation.rung == full.recommendation.rung == "few_shot"
    zero = quick.rung("zero_shot")
    assert zero.stopping.available == 120 and zero.stopping.used == zero.n == MIN_ITEMS
    assert zero.stopping.decided_by == ["accuracy >= 0.9 (fail)"]
    # no new call starts after the verdict; the ones in flight (at most concurrency - 1) finish
    assert MIN_ITEMS <= zero.stopping.calls <= MIN_ITEMS + 7
    # and zero-shot is asked afterwards the items few-shot needed, for their paired test only (advisor.run.topup)
    few = quick.rung("few_shot")
    assert zero.stopping.topped_up == few.n - zero.n and few.comparisons[0].n == few.n
    assert fake.calls == zero.stopping.calls + zero.stopping.topped_up + few.stopping.calls < 240 * 0.6


def test_a_stopped_rung_leaves_the_journal_consistent_so_a_full_rerun_calls_only_the_rest(tmp_path):
    path = write_scenario(tmp_path / "s", n_eval=120)
    first = PromptAwareFake()
    record, _ = climb_with(path, tmp_path, backend=first, rungs=["zero_shot"], latency_probe=0)
    made = record.rung("zero_shot").stopping.calls
    again = PromptAwareFake()
    full, _ = climb_with(path, tmp_path, backend=again, rungs=["zero_shot"], sequential=False, latency_probe=0)
    assert full.rung("zero_shot").n == 120 and full.rung("zero_shot").stopping is None
    assert again.calls == 120 - made


def test_the_runner_hands_rows_to_the_stop_rule_in_item_order():
    from evals.backends.base import Completion
    from evals.example import Example
    from evals.graders import make_grader
    from evals.runner import Runner

    class Jittery:
        """Finishes later items first: the stop rule must still see them in item order."""

        identity = {"backend": "fake", "model": "jittery"}

        async def complete(self, messages, params):
            i = int(messages[-1]["content"])
            await asyncio.sleep(0.001 * (8 - i % 8))
            return Completion("x", 1, 1, 0.0)

    seen: list[str] = []
    items = [
        (
            Example.model_validate(
                {"id": str(i), "messages": [{"role": "user", "content": str(i)}, {"role": "assistant", "content": "x"}]}
            ),
            [{"role": "user", "content": str(i)}],
        )
        for i in range(40)
    ]
    runner = Runner(Jittery(), make_grader("exact"), concurrency=8)
    rows = asyncio.run(runner.run(items, "zero_shot", stop=lambda row: seen.append(row["id"]) or len(seen) == 12))
    assert seen == [str(i) for i in range(12)]
    # later items that finished while an earlier one was still running are kept (cached, journaled) but not used
    assert list(rows["id"]) == seen and 12 <= runner.rows_made < 40


def test_reports_say_when_a_rung_was_decided_early_and_what_the_p_values_are():
    from html import escape

    from test_reports import make_record

    from advisor.measure.results import adjust_p
    from advisor.record.run import Stopping
    from advisor.reports import render

    record = make_record()
    record.rungs[0].stopping = Stopping(used=40, available=200, calls=46, decided_by=["accuracy >= 0.8 (fail)"])
    record.rungs[1].stopping = Stopping(used=200, available=200, calls=200)
    md, html = render(record, "md"), render(record, "html")
    assert "| zero-shot | measured, decided after 40 of 200 |" in md and "| few-shot | measured |" in md
    assert "decided after 40 of 200" in html
    old = "p-values are per comparison, not Holm-adjusted (a record written before the adjustment)"
    assert old in md and old in html
    adjust_p(record.rungs)
    record.rungs[0].stopping.topped_up = 160
    md, html = render(record, "md"), render(record, "html")
    assert "| zero-shot | measured, decided after 40 of 200 (+160 for the paired tests) |" in md
    now = "p (Holm) is adjusted for the run's 2 paired tests (Holm-Bonferroni) and is what the verdict reads"
    assert now in md and escape(now) in html and "asked the recommended rung's items (zero-shot 160 more)" in md
    assert "| fine-tune | few-shot | 200 | +51.5 pts | mcnemar | 6e-25 | 3e-25 |" in md
