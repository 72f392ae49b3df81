"""Confidence intervals, paired tests and eval-set size planning.

Convention: every interval is two-sided at `confidence` (0.95 -> the 2.5th and 97.5th percentiles),
and a target `metric >= t` holds when the *lower bound* of that interval is at least `t`; a target
`metric <= t` compares the upper bound. So at 95% a target check is a one-sided test at 97.5%.
Empty samples give NaN values: Wilson returns Interval(nan, 0, 1) (no evidence either way) and the
bootstraps Interval(nan, nan, nan); no target can hold on them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

NAN = float("nan")
_CHUNK = 4_000_000  # resample indices drawn per batch, to bound memory on large sets


@dataclass(frozen=True)
class Interval:
    """A point estimate with the bounds of its two-sided confidence interval."""

    value: float
    lower: float
    upper: float

    def as_dict(self) -> dict[str, float | None]:
        """JSON-ready: NaN becomes None."""
        return {k: None if math.isnan(v) else v for k, v in vars(self).items()}

    def __str__(self) -> str:
        return f"{self.value:.4g} [{self.lower:.4g}, {self.upper:.4g}]"


@dataclass(frozen=True)
class Paired:
    """Two systems scored on the same items: who wins where, the mean difference (b - a), its p-value."""

    test: str
    n: int
    a_only: int
    """Items where a scored higher than b (for 0/1 scores: a right, b wrong)."""
    b_only: int
    """Items where b scored higher than a."""
    diff: float
    p_value: float
    interval: Interval | None = None
    """Interval of the difference, when the test gives one (paired bootstrap)."""


def z_value(confidence: float) -> float:
    """The normal quantile of a two-sided interval at `confidence` (1.96 at 0.95)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)


def wilson(successes: float, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval of a rate; `successes` may be fractional (a sum of [0,1] scores)."""
    if n <= 0:
        return Interval(NAN, 0.0, 1.0)
    z = z_value(confidence)
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(max(p * (1 - p), 0.0) / n + z * z / (4 * n * n))
    # Exact ends at 0 and n: the formula lands a rounding error away from them.
    lower = 0.0 if successes <= 0 else max(0.0, centre - half)
    upper = 1.0 if successes >= n else min(1.0, centre + half)
    return Interval(p, lower, upper)


def _percentiles(replicates: np.ndarray, value: float, confidence: float, n: int) -> Interval:
    """The expanded percentile interval (Hesterberg 2015): the plain percentile bootstrap covers too
    little at small n (about 91% at a nominal 95% for n=30 skewed scores), so the tail share is taken
    from sqrt(n/(n-1)) times Student's t quantile instead of the normal one."""
    from scipy.stats import t as student

    alpha = (1.0 - confidence) / 2.0
    if n > 1:
        alpha = NormalDist().cdf(math.sqrt(n / (n - 1)) * float(student.ppf(alpha, n - 1)))
    low, high = np.quantile(replicates, [alpha, 1.0 - alpha])
    return Interval(float(value), float(low), float(high))


def _replicate_means(values: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """Means of `resamples` bootstrap resamples of `values`, drawn in batches."""
    rng = np.random.default_rng(seed)
    n = len(values)
    per_batch = max(1, _CHUNK // n)
    batches = []
    for start in range(0, resamples, per_batch):
        rows = min(per_batch, resamples - start)
        batches.append(values[rng.integers(0, n, size=(rows, n))].mean(axis=1))
    return np.concatenate(batches)


def bootstrap_mean(values: Sequence[float], confidence: float = 0.95, resamples: int = 2000, seed: int = 0) -> Interval:
    """Percentile-bootstrap interval of a mean; the same seed gives the same interval."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return Interval(NAN, NAN, NAN)
    z_value(confidence)  # validates it before spending the resamples
    return _percentiles(_replicate_means(data, resamples, seed), data.mean(), confidence, data.size)


def bootstrap_stat(
    items: Sequence,
    statistic: Callable[[np.ndarray], float],
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Interval:
    """Percentile-bootstrap interval of a whole-sample statistic (e.g. macro-F1): resample rows, recompute.

    `statistic` receives the rows as a numpy array (`np.asarray(items)` indexed by the resample).
    """
    data = np.asarray(items)
    if len(data) == 0:
        return Interval(NAN, NAN, NAN)
    z_value(confidence)
    rng = np.random.default_rng(seed)
    n = len(data)
    replicates = np.array([statistic(data[rng.integers(0, n, size=n)]) for _ in range(resamples)], dtype=float)
    return _percentiles(replicates, statistic(data), confidence, n)


def _binom_two_sided(k: int, n: int) -> float:
    """Exact two-sided binomial p-value of k successes in n at p = 1/2 (the symmetric tails doubled)."""
    k = min(k, n - k)
    if n <= 1000:  # exact integer arithmetic; big integers get slow past this
        return min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n)
    j = np.arange(1, k + 1)
    log_pmf = np.concatenate(([0.0], np.cumsum(np.log((n - j + 1) / j)))) - n * math.log(2)
    top = log_pmf.max()
    return min(1.0, 2 * math.exp(top) * float(np.exp(log_pmf - top).sum()))


def _pair(a: Sequence[float], b: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"paired scores need equal lengths, got {x.shape} and {y.shape}")
    return x, y


def mcnemar(a_correct: Sequence[bool], b_correct: Sequence[bool]) -> Paired:
    """Exact McNemar test: a two-sided binomial test on the discordant pairs (p = 1 when there are none)."""
    a, b = _pair(a_correct, b_correct)
    a_only = int(np.sum((a > 0) & (b <= 0)))
    b_only = int(np.sum((a <= 0) & (b > 0)))
    diff = (b_only - a_only) / len(a) if len(a) else NAN
    return Paired("mcnemar-exact", len(a), a_only, b_only, diff, _binom_two_sided(a_only, a_only + b_only))


def paired_bootstrap(
    a_scores: Sequence[float],
    b_scores: Sequence[float],
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Paired:
    """Paired bootstrap of mean(b - a): its interval, and a two-sided p from the null-shifted replicates."""
    a, b = _pair(a_scores, b_scores)
    counts = int(np.sum(a > b)), int(np.sum(b > a))
    if len(a) == 0:
        return Paired("paired-bootstrap", 0, 0, 0, NAN, 1.0, Interval(NAN, NAN, NAN))
    diffs = b - a
    observed = float(diffs.mean())
    replicates = _replicate_means(diffs, resamples, seed)
    # Centring the replicates on 0 simulates "no difference"; count those at least as extreme.
    extreme = int(np.sum(np.abs(replicates - observed) >= abs(observed) - 1e-12))
    p_value = min(1.0, (extreme + 1) / (resamples + 1))
    return Paired("paired-bootstrap", len(a), *counts, observed, p_value, _percentiles(replicates, observed, confidence, len(a)))


def compare(a_scores: Sequence[float], b_scores: Sequence[float], confidence: float = 0.95, resamples: int = 2000, seed: int = 0) -> Paired:
    """McNemar when every score is 0 or 1, else the paired bootstrap."""
    a, b = _pair(a_scores, b_scores)
    if np.isin(a, (0.0, 1.0)).all() and np.isin(b, (0.0, 1.0)).all():
        return mcnemar(a.tolist(), b.tolist())
    return paired_bootstrap(a.tolist(), b.tolist(), confidence, resamples, seed)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the order given (Holm 1979).

    The i-th smallest of m p-values is multiplied by m - i + 1 (i from 1), raised to the largest adjusted value
    before it so that the order is kept, and capped at 1. Rejecting every hypothesis whose adjusted p is below
    alpha keeps the chance of any false rejection among the m at most alpha, whatever their dependence."""
    m = len(p_values)
    adjusted = [NAN] * m
    running = 0.0
    for rank, i in enumerate(sorted(range(m), key=lambda j: p_values[j])):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def max_demonstrable(n: int, confidence: float = 0.95) -> float:
    """The best lower bound an eval set of n items can show: Wilson with zero failures."""
    return wilson(n, n, confidence).lower


def min_examples(target: float, confidence: float = 0.95, failures: int = 0) -> int:
    """The smallest n whose Wilson lower bound, with `failures` of n wrong, is at least `target`."""
    if not target < 1.0:
        raise ValueError("no finite eval set shows a rate of 1 with confidence; aim lower (e.g. 0.999)")
    if failures < 0:
        raise ValueError("failures cannot be negative")

    def enough(n: int) -> bool:
        return wilson(n - failures, n, confidence).lower >= target

    low, high = max(failures, 1), max(failures, 1)
    while not enough(high):  # the lower bound grows with n at fixed failures: double, then bisect
        low, high = high + 1, high * 2
    while low < high:
        mid = (low + high) // 2
        low, high = (low, mid) if enough(mid) else (mid + 1, high)
    return low


def plan_text(target: float, confidence: float = 0.95, metric: str = "accuracy", failures: Sequence[int] = (0, 1, 2)) -> str:
    """What it takes to show `metric >= target`: examples needed for each allowed number of failures."""
    needs = [f"{min_examples(target, confidence, k)} examples with {_failures(k)}" for k in failures]
    return f"to show {metric} >= {target:g} at {confidence:.0%} confidence you need at least " + ", or ".join(needs)


def _failures(k: int) -> str:
    return "no failures" if k == 0 else f"at most {k} failure{'s' if k > 1 else ''}"


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100, linear interpolation); NaN for no values."""
    data = np.asarray(values, dtype=float)
    return float(np.percentile(data, q)) if data.size else NAN


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50 and p95 of latencies given in seconds, in milliseconds."""
    return {"p50": percentile(seconds, 50) * 1000.0, "p95": percentile(seconds, 95) * 1000.0}
