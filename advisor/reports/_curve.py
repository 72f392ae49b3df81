"""The learning curve in words and as a figure: the fine-tune's score at each share of train, the fit, the forecast."""

from __future__ import annotations

from advisor.record.run import LearningCurve, RunRecord

from ._canvas import figure as new_figure
from ._canvas import png


def lines(record: RunRecord) -> list[str]:
    """'n=75: 0.500 [0.41, 0.59]' per point, then the forecast sentence; empty without a curve."""
    curve = record.learning_curve
    if curve is None:
        return []
    points = ", ".join(f"{p.n} examples {p.value:.3f} [{p.lower:.3f}, {p.upper:.3f}]" for p in curve.points)
    return [f"{curve.metric} by train size: {points}", fit_text(curve), curve.forecast]


def fit_text(curve: LearningCurve) -> str:
    """The fitted power law, 'fit: error = 0.8·n^-0.5 + 0.02', or 'no fit'."""
    return f"fit: error = {curve.fit[0]:.3g}·n^-{curve.fit[1]:.3g} + {curve.fit[2]:.3g}" if curve.fit else "no fit"


def figure(record: RunRecord) -> bytes | None:
    """Points with their intervals on a log axis of train size, the fitted curve, and the target."""
    curve = record.learning_curve
    if curve is None or not curve.points:
        return None
    import numpy as np

    fig = new_figure(5.2, 3.4)
    ax = fig.subplots()
    ns = [p.n for p in curve.points]
    ax.errorbar(
        ns,
        [p.value for p in curve.points],
        yerr=[[p.value - p.lower for p in curve.points], [p.upper - p.value for p in curve.points]],
        fmt="o",
        color="#54a24b",
        capsize=3,
        label="fine-tune",
    )
    right = float(max(ns) * 4)
    if curve.examples_needed and curve.examples_needed[0] < max(ns) * 50:
        right = max(right, curve.examples_needed[0] * 1.5)
    if curve.fit:
        a, b, c = curve.fit
        xs = np.geomspace(min(ns) / 1.5, right, 100)
        ax.plot(xs, 1.0 - (a * xs**-b + c), color="#54a24b", lw=1.2, alpha=0.7, label="fit")
    if curve.target is not None:
        ax.axhline(curve.target, ls="--", color="#d62728", lw=1.2, label="target")
    ax.set_xscale("log")
    ax.set_xlabel("train examples")
    ax.set_ylabel(curve.metric)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    return png(fig)
