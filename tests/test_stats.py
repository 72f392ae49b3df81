"""Statistics against textbook values, an independent Wilson formula, scipy's binomial test, and coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest, norm

from evals.stats import (
    Interval,
    Paired,
    bootstrap_mean,
    bootstrap_stat,
    compare,
    holm,
    latency_summary,
    max_demonstrable,
    mcnemar,
    min_examples,
    paired_bootstrap,
    percentile,
    plan_text,
    wilson,
    z_value,
)


def wilson_by_quadratic(x: int, n: int, confidence: float) -> tuple[float, float]:
    """The Wilson bounds as the roots of (p - x/n)^2 = z^2 p (1 - p) / n, with scipy's normal quantile."""
    z = norm.ppf(1 - (1 - confidence) / 2)
    phat = x / n
    a, b, c = 1 + z * z / n, -(2 * phat + z * z / n), phat * phat
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


def test_wilson_matches_the_textbook_example():
    interval = wilson(81, 263, 0.95)
    assert interval.value == pytest.approx(81 / 263)
    assert interval.lower == pytest.approx(0.2553, abs=5e-5)
    assert interval.upper == pytest.approx(0.3662, abs=5e-5)


@pytest.mark.parametrize("x,n", [(1, 10), (5, 10), (9, 10), (37, 50), (199, 200), (950, 1000), (3, 7)])
@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_wilson_matches_the_quadratic_roots(x, n, confidence):
    lower, upper = wilson_by_quadratic(x, n, confidence)
    interval = wilson(x, n, confidence)
    assert interval.lower == pytest.approx(lower, abs=1e-12)
    assert interval.upper == pytest.approx(upper, abs=1e-12)


def test_wilson_ends_are_exact_and_empty_is_uninformative():
    assert wilson(0, 10).lower == 0.0
    assert wilson(10, 10).upper == 1.0
    assert wilson(10, 10).lower == pytest.approx(10 / (10 + 1.959963984540054**2))
    empty = wilson(0, 0)
    assert math.isnan(empty.value) and (empty.lower, empty.upper) == (0.0, 1.0)


def test_wilson_widens_with_confidence_and_shrinks_with_n():
    assert wilson(8, 10, 0.99).lower < wilson(8, 10, 0.95).lower < wilson(8, 10, 0.8).lower
    assert wilson(80, 100).upper - wilson(80, 100).lower < wilson(8, 10).upper - wilson(8, 10).lower


def test_z_value_and_bad_confidence():
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    with pytest.raises(ValueError):
        wilson(1, 2, confidence=1.0)
    with pytest.raises(ValueError):
        bootstrap_mean([1.0], confidence=0.0)


def test_interval_as_dict_is_json_ready():
    assert Interval(0.5, 0.25, 0.75).as_dict() == {"value": 0.5, "lower": 0.25, "upper": 0.75}
    assert wilson(0, 0).as_dict() == {"value": None, "lower": 0.0, "upper": 1.0}
    assert str(Interval(0.5, 0.25, 0.75)) == "0.5 [0.25, 0.75]"


@pytest.mark.parametrize("b,c", [(0, 1), (1, 0), (3, 9), (9, 3), (10, 10), (0, 25), (17, 40), (300, 420), (520, 600), (2000, 2150)])
def test_mcnemar_p_matches_scipy_binomtest(b, c):
    concordant = 5
    a_correct = [1] * b + [0] * c + [1] * concordant + [0] * concordant
    b_correct = [0] * b + [1] * c + [1] * concordant + [0] * concordant
    result = mcnemar(a_correct, b_correct)
    assert (result.n, result.a_only, result.b_only) == (b + c + 2 * concordant, b, c)
    assert result.p_value == pytest.approx(binomtest(b, b + c, 0.5).pvalue, rel=1e-9, abs=1e-300)
    assert result.diff == pytest.approx(np.mean(b_correct) - np.mean(a_correct))
    assert result.test == "mcnemar-exact"


def test_mcnemar_without_discordant_pairs_is_p_one():
    result = mcnemar([True, False, True], [True, False, True])
    assert (result.a_only, result.b_only, result.diff, result.p_value) == (0, 0, 0.0, 1.0)


def test_paired_inputs_must_have_equal_lengths():
    with pytest.raises(ValueError, match="equal lengths"):
        mcnemar([1, 0], [1])


def test_paired_bootstrap_sees_a_consistent_improvement():
    rng = np.random.default_rng(3)
    a = rng.uniform(0.2, 0.6, 60)
    b = np.clip(a + rng.normal(0.15, 0.05, 60), 0, 1)
    result = paired_bootstrap(a, b, resamples=1000, seed=1)
    assert result.test == "paired-bootstrap"
    assert result.diff == pytest.approx(float(np.mean(b - a)))
    assert 0 < result.interval.lower < result.diff < result.interval.upper
    assert result.p_value < 0.01
    assert result.b_only > 50 and result.a_only < 10
    assert paired_bootstrap(a, b, resamples=1000, seed=1) == result


def test_paired_bootstrap_of_noise_is_not_significant():
    rng = np.random.default_rng(4)
    a = rng.uniform(0, 1, 80)
    b = rng.permutation(a)
    result = paired_bootstrap(a, b, resamples=1000)
    assert result.interval.lower < 0 < result.interval.upper
    assert result.p_value > 0.05
    same = paired_bootstrap(a, a, resamples=200)
    assert (same.diff, same.p_value, same.a_only, same.b_only) == (0.0, 1.0, 0, 0)


def test_compare_picks_the_test_by_score_kind():
    assert compare([1, 0, 1, 1], [1.0, 1.0, 0.0, 1.0]).test == "mcnemar-exact"
    assert compare([1, 0.5, 1], [1, 1, 1], resamples=100).test == "paired-bootstrap"
    assert isinstance(compare([True, False], [False, False]), Paired)


def test_holm_adjusts_a_hand_computed_case():
    # sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> raised to 0.06 to keep the order
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]) == [1.0, 1.0]  # capped at 1
    assert holm([0.0312]) == [0.0312] and holm([]) == []


def step_down_rejects(p_values: list[float], alpha: float) -> set[int]:
    """Holm's procedure as first stated: reject the smallest p while p_(i) <= alpha / (m - i + 1), stop at the first that is not."""
    order, rejected = sorted(range(len(p_values)), key=lambda i: p_values[i]), set()
    for rank, i in enumerate(order):
        if p_values[i] > alpha / (len(p_values) - rank):
            break
        rejected.add(i)
    return rejected


def test_holm_adjusted_p_rejects_exactly_what_the_step_down_procedure_rejects():
    rng = np.random.default_rng(26)
    for _ in range(300):
        p_values = list(rng.uniform(0, 0.2, int(rng.integers(1, 8))) ** 2)
        adjusted = holm(p_values)
        assert all(a >= p for a, p in zip(adjusted, p_values))
        for alpha in (0.01, 0.05, 0.1):
            assert {i for i, a in enumerate(adjusted) if a <= alpha} == step_down_rejects(p_values, alpha)


def test_bootstrap_mean_is_deterministic_and_covers_the_truth():
    rng = np.random.default_rng(7)
    covered = 0
    for _ in range(100):
        sample = rng.exponential(2.0, 60)
        interval = bootstrap_mean(sample, resamples=400, seed=1)
        assert interval.value == pytest.approx(sample.mean())
        assert interval.lower < interval.value < interval.upper
        covered += interval.lower <= 2.0 <= interval.upper
    assert 85 <= covered <= 100
    sample = rng.random(30)
    assert bootstrap_mean(sample, seed=5) == bootstrap_mean(sample, seed=5)
    assert bootstrap_mean(sample, seed=5) != bootstrap_mean(sample, seed=6)
    assert all(math.isnan(v) for v in vars(bootstrap_mean([])).values())


def test_bootstrap_stat_recomputes_the_statistic_on_resampled_rows():
    values = np.random.default_rng(2).random(41)
    # Same seed, same draws: the generic path must agree with the vectorized mean.
    assert bootstrap_stat(values, np.mean, resamples=300) == bootstrap_mean(values, resamples=300)
    rows = np.column_stack([values, values * 2])
    ratio = bootstrap_stat(rows, lambda r: r[:, 1].sum() / r[:, 0].sum(), resamples=100)
    assert ratio == Interval(2.0, pytest.approx(2.0), pytest.approx(2.0))
    median = bootstrap_stat(values, np.median, resamples=500)
    assert median.lower < np.median(values) < median.upper


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
@pytest.mark.parametrize("failures", [0, 1, 2, 5])
@pytest.mark.parametrize("target", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
def test_min_examples_is_the_smallest_n_wilson_accepts(target, confidence, failures):
    n = min_examples(target, confidence, failures)
    assert wilson(n - failures, n, confidence).lower >= target
    if n - 1 >= max(failures, 1):
        assert wilson(n - 1 - failures, n - 1, confidence).lower < target


def test_min_examples_with_no_failures_has_a_closed_form():
    for target in (0.9, 0.95, 0.99, 0.999):
        z = z_value(0.95)
        assert min_examples(target) == math.ceil(target * z * z / (1 - target))
    assert min_examples(0.999) == 3838
    with pytest.raises(ValueError, match="rate of 1"):
        min_examples(1.0)
    with pytest.raises(ValueError):
        min_examples(0.9, failures=-1)


def test_max_demonstrable_is_the_perfect_score_lower_bound():
    assert max_demonstrable(20) == pytest.approx(20 / (20 + z_value(0.95) ** 2))
    assert max_demonstrable(0) == 0.0
    assert max_demonstrable(min_examples(0.99)) >= 0.99 > max_demonstrable(min_examples(0.99) - 1)


def test_plan_text_names_the_sizes():
    text = plan_text(0.999, 0.95)
    assert text.startswith("to show accuracy >= 0.999 at 95% confidence")
    for k in (0, 1, 2):
        assert str(min_examples(0.999, 0.95, k)) in text
    assert "no failures" in text and "at most 2 failures" in text


def test_percentile_and_latency_summary():
    seconds = [0.1 * i for i in range(1, 101)]
    assert percentile(seconds, 50) == pytest.approx(5.05)
    summary = latency_summary(seconds)
    assert summary["p50"] == pytest.approx(5050.0)
    assert summary["p95"] == pytest.approx(np.percentile(seconds, 95) * 1000)
    assert math.isnan(percentile([], 50))
    assert all(math.isnan(v) for v in latency_summary([]).values())
