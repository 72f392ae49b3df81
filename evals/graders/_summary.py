"""From a list of Scores to metrics with confidence intervals.

Every grader reports `accuracy` (the mean score) and `format_valid`; label adds `macro_f1`, json adds
`field_accuracy`. Rows whose generation failed arrive as `error_score(...)`: they count as score 0,
format invalid, no label predicted and no field right; dropping them would flatter the rung.
Rates of 0/1 values use Wilson; other means and macro-F1 use the percentile bootstrap over rows. A
bootstrap of a flawless sample collapses to a point (every resample is perfect too), which would let
20 perfect rows "prove" 0.999; so a zero-width bootstrap falls back to Wilson on the same mean and n.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from ..stats import Interval, bootstrap_mean, bootstrap_stat, wilson
from ._label import label_codes, macro_f1, macro_f1_codes, match_label
from ._score import Score


def rate(values: Sequence[float], confidence: float = 0.95, resamples: int = 2000, seed: int = 0) -> Interval:
    """Interval of a mean of [0, 1] values: Wilson for 0/1 values, else the bootstrap (never narrower than a point)."""
    if all(v in (0.0, 1.0) for v in values):
        return wilson(sum(values), len(values), confidence)
    return _not_a_point(bootstrap_mean(values, confidence, resamples, seed), len(values), confidence)


def _not_a_point(interval: Interval, n: int, confidence: float) -> Interval:
    if interval.lower < interval.upper:
        return interval
    fallback = wilson(interval.value * n, n, confidence)
    return Interval(interval.value, fallback.lower, fallback.upper)


def summarize(
    kind: str,
    scores: Sequence[Score],
    confidence: float = 0.95,
    labels: Sequence[str] | None = None,
    expected_labels: Sequence[str] | None = None,
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, Interval]:
    """Metric name -> Interval for the scores of one rung graded by a grader of `kind`.

    label: `expected_labels` (labels or the raw reference texts) defaults to each score's
    details["expected"]; pass it when some rows failed before grading (their details hold no
    expected label). `labels` defaults to every label expected or predicted.
    """
    metrics = {
        "accuracy": rate([s.value for s in scores], confidence, resamples, seed),
        "format_valid": wilson(sum(bool(s.format_valid) for s in scores), len(scores), confidence),
    }
    if kind == "label":
        metrics["macro_f1"] = _macro_f1(scores, confidence, labels, expected_labels, resamples, seed)
    if kind == "json":
        field_scores = [float(s.details.get("field_score", 0.0)) for s in scores]
        metrics["field_accuracy"] = rate(field_scores, confidence, resamples, seed)
    return metrics


def _macro_f1(
    scores: Sequence[Score],
    confidence: float,
    labels: Sequence[str] | None,
    expected_labels: Sequence[str] | None,
    resamples: int,
    seed: int,
) -> Interval:
    predicted = [s.details.get("predicted") for s in scores]
    if expected_labels is None:
        if any("expected" not in s.details for s in scores):
            raise ValueError("some label rows carry no expected label (failed generations?): pass expected_labels")
        expected_labels = [s.details["expected"] for s in scores]
    if len(expected_labels) != len(scores):
        raise ValueError(f"{len(expected_labels)} expected labels for {len(scores)} scores")
    if labels is not None:  # raw reference texts ("Refund.") may be passed: read them as labels
        labels = list(labels)
        expected_labels = [match_label(e, labels) or e for e in expected_labels]
    else:
        labels = sorted({*expected_labels, *(p for p in predicted if p is not None)})
    if not scores:
        return Interval(float("nan"), float("nan"), float("nan"))
    value = macro_f1(expected_labels, predicted, labels)
    rows = list(zip(*label_codes(expected_labels, predicted, labels)))
    spread = bootstrap_stat(rows, partial(macro_f1_codes, size=len(labels) + 1), confidence, resamples, seed)
    return _not_a_point(Interval(value, spread.lower, spread.upper), len(scores), confidence)
