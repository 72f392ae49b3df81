"""Is system b worse than system a by more than a margin, on the same items? A paired non-inferiority test.

The difference is d = mean(b) - mean(a) over the shared items. With a margin m >= 0:
- *worse*: the data show d < -m at the confidence level (the upper bound of d's interval is below -m);
- *non-inferior*: the data show d > -m (the lower bound is above -m);
- *inconclusive*: neither; too few items or discordant pairs to tell.

0/1 scores use an exact test conditional on the discordant pairs (McNemar's setting): of the k items
that only one system got right, the number b_only that b got right is Binomial(k, p), and
d = (2p - 1) k / n. The interval of d is the Clopper-Pearson interval of p mapped through that line,
and the p-value of "worse by more than m" is the one-sided binomial test of b_only at
p0 = (1 - m n / k) / 2 (at m = 0 it is the one-sided exact McNemar test). Other scores use the paired
bootstrap of d. Intervals are two-sided at `confidence`, so each one-sided call is made at
(1 + confidence) / 2, the convention of the target checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .stats import Interval, _pair, _replicate_means

Verdict = Literal["worse", "non-inferior", "inconclusive"]


@dataclass(frozen=True)
class NonInferiority:
    """The paired difference b - a, its interval, and the test of "b is worse than a by more than margin"."""

    test: str
    n: int
    a_only: int
    b_only: int
    diff: Interval
    margin: float
    p_worse: float
    """One-sided p-value of "b is worse by more than margin" (small: it is)."""
    verdict: Verdict


def noninferiority(
    a_scores: Sequence[float],
    b_scores: Sequence[float],
    margin: float = 0.0,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> NonInferiority:
    """Test b against a on the same items with a non-inferiority margin (0.02 = two points)."""
    if margin < 0:
        raise ValueError(f"the margin is a size of drop and cannot be negative, got {margin}")
    a, b = _pair(a_scores, b_scores)
    if np.isin(a, (0.0, 1.0)).all() and np.isin(b, (0.0, 1.0)).all():
        return _exact(int(np.sum((a > 0) & (b <= 0))), int(np.sum((a <= 0) & (b > 0))), len(a), margin, confidence)
    return _bootstrap(a, b, margin, confidence, resamples, seed)


def _verdict(diff: Interval, margin: float) -> Verdict:
    if diff.upper < -margin:
        return "worse"
    return "non-inferior" if diff.lower > -margin else "inconclusive"


def _exact(a_only: int, b_only: int, n: int, margin: float, confidence: float) -> NonInferiority:
    from scipy.stats import beta, binom

    k = a_only + b_only
    if n == 0:
        diff = Interval(float("nan"), float("nan"), float("nan"))
        return NonInferiority("exact-conditional", 0, 0, 0, diff, margin, 1.0, "inconclusive")
    if k == 0:  # no discordant pair: the systems agree on every item
        return NonInferiority("exact-conditional", n, 0, 0, Interval(0.0, 0.0, 0.0), margin, 1.0, _verdict(Interval(0.0, 0.0, 0.0), margin))
    alpha = (1.0 - confidence) / 2.0
    low = 0.0 if b_only == 0 else float(beta.ppf(alpha, b_only, k - b_only + 1))
    high = 1.0 if b_only == k else float(beta.ppf(1.0 - alpha, b_only + 1, k - b_only))
    diff = Interval((b_only - a_only) / n, (2 * low - 1) * k / n, (2 * high - 1) * k / n)
    p0 = (1.0 - margin * n / k) / 2.0
    p_worse = float(binom.cdf(b_only, k, p0)) if p0 > 0 else 1.0
    return NonInferiority("exact-conditional", n, a_only, b_only, diff, margin, p_worse, _verdict(diff, margin))


def _bootstrap(a: np.ndarray, b: np.ndarray, margin: float, confidence: float, resamples: int, seed: int) -> NonInferiority:
    diffs = b - a
    replicates = _replicate_means(diffs, resamples, seed)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(replicates, [alpha, 1.0 - alpha])
    diff = Interval(float(diffs.mean()), float(low), float(high))
    p_worse = (int(np.sum(replicates >= -margin)) + 1) / (resamples + 1)
    return NonInferiority("paired-bootstrap", len(a), int(np.sum(a > b)), int(np.sum(b > a)), diff, margin, p_worse, _verdict(diff, margin))
