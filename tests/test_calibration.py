"""Do the intervals and tests keep their promises? Coverage and false-positive rates by seeded simulation.

Wilson's coverage is known to oscillate with n and p (Brown, Cai & DasGupta 2001): at 95% it dips
below 94% in two of the nine cells checked here (exactly 93.6% at p=0.9, n=100 and 92.1% at p=0.99,
n=100, by summing the binomial pmf). Both dips are misses on the *upper* side: the gate compares
the lower bound, and the rate of a lower bound above the truth (a target passed wrongly) stays at
or under 2.9% in every cell, against the nominal 2.5%.
"""

from __future__ import annotations

import numpy as np
import pytest

from evals.stats import bootstrap_mean, mcnemar, wilson

DRAWS = 4000
WILSON_DIPS = {(0.9, 100), (0.99, 100)}


@pytest.mark.parametrize("n", [30, 100, 1000])
@pytest.mark.parametrize("p", [0.5, 0.9, 0.99])
def test_wilson_covers_the_true_rate(p, n, capsys):
    rng = np.random.default_rng(int(p * 1000) + n)
    successes = rng.binomial(n, p, size=DRAWS)
    bounds = [wilson(int(k), n, 0.95) for k in successes]
    covered = np.mean([b.lower <= p <= b.upper for b in bounds])
    false_pass = np.mean([b.lower > p for b in bounds])
    with capsys.disabled():
        print(f"\nWilson 95% at p={p}, n={n}: coverage {covered:.1%}, lower bound above the truth {false_pass:.1%}")
    # 4000 draws: a binomial sd of 0.35 points at 95%; the margins below are about 1.5 sd
    assert covered >= (0.91 if (p, n) in WILSON_DIPS else 0.94)
    assert false_pass <= 0.035


@pytest.mark.parametrize(("shape", "n"), [((2.0, 2.0), 30), ((5.0, 1.0), 30), ((5.0, 1.0), 100)])
def test_the_bootstrap_covers_the_true_mean(shape, n, capsys):
    """Scores in [0, 1] that are not 0/1 (a json grader's field share): Beta-distributed, known mean.

    The plain percentile bootstrap reached only 90-92% on the skewed Beta(5, 1) here; the expanded
    percentile interval `evals.stats` uses instead reaches 93-95%.
    """
    a, b = shape
    truth = a / (a + b)
    rng = np.random.default_rng(n + int(a * 10))
    runs = 4000
    hits = sum(_covers(rng.beta(a, b, size=n), truth, seed) for seed in range(runs))
    with capsys.disabled():
        print(f"\npercentile bootstrap 95% of a Beta{shape} mean, n={n}: coverage {hits / runs:.1%}")
    assert hits / runs >= 0.93


def _covers(values: np.ndarray, truth: float, seed: int) -> bool:
    interval = bootstrap_mean(values, 0.95, resamples=500, seed=seed)
    return interval.lower <= truth <= interval.upper


@pytest.mark.parametrize("discordant", [0.05, 0.3])
def test_mcnemar_rejects_a_true_null_at_most_five_percent_of_the_time(discordant, capsys):
    """Two rungs equally good: each disagreement is a fair coin for who was right."""
    rng = np.random.default_rng(int(discordant * 100))
    runs, n, rejected = 2000, 120, 0
    for _ in range(runs):
        a = rng.random(n) < 0.7
        flip = rng.random(n) < discordant  # where b disagrees with a; symmetric, so the null holds
        b = np.where(flip, ~a, a)
        # make the discordant pairs fair coins: half of them swap who was right
        swap = flip & (rng.random(n) < 0.5)
        a, b = np.where(swap, b, a), np.where(swap, a, b)
        rejected += mcnemar(a, b).p_value < 0.05
    with capsys.disabled():
        print(f"\nMcNemar exact under the null, {discordant:.0%} discordant: false positive rate {rejected / runs:.1%}")
    assert rejected / runs <= 0.05
