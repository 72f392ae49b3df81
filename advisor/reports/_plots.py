"""The HTML report's figures, drawn with matplotlib's Agg canvas and returned as PNG bytes."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from advisor.record.run import RungResult, RunRecord
from advisor.registry import rung_color

from . import _curve, cells
from ._canvas import figure as _figure
from ._canvas import png as _png

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn
    from matplotlib.axes import Axes

MODEL_MARKERS = ("o", "s", "^", "D", "v", "P")
"""One marker shape per model on the frontier plot (the colour is the rung's)."""


def _finite(x: float | None) -> bool:
    return x is not None and not math.isnan(x)


def metrics(record: RunRecord) -> bytes | None:
    """One small panel per quality metric: each rung's value with its interval, targets dashed."""
    columns = cells.metric_columns(record)
    rungs = record.measured
    if not columns or not rungs:
        return None
    fig = _figure(10, 3.0)  # shown full width: a fixed size keeps its text the size of the other plots' text
    axes = fig.subplots(1, len(columns), squeeze=False)[0]
    for ax, name in zip(axes, columns):
        for i, rung in enumerate(rungs):
            m = rung.metrics.get(name)
            if m is None or not _finite(m.value):
                continue
            err = [[m.value - m.lower], [m.upper - m.value]] if _finite(m.lower) and _finite(m.upper) else None
            ax.errorbar(i, m.value, yerr=err, fmt="o", capsize=5, color=rung_color(rung.name), markersize=7)
        for target in record.targets:
            if target.metric == name:
                bound = target.min if target.min is not None else target.max
                ax.axhline(bound, ls="--", color="#d62728", lw=1.2, label=cells.target_text(target))
                ax.legend(loc="lower right", fontsize=7, frameon=False)
        ax.set_title(name, fontsize=10)
        ax.set_xticks(range(len(rungs)), [cells.rung_label(r, record) for r in rungs], fontsize=8)
        ax.set_xlim(-0.5, len(rungs) - 0.5)
        ax.set_ylim(-0.03, 1.03)
        ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def cost_quality(record: RunRecord) -> bytes | None:
    """Cost per 1M calls against the primary quality metric, one point with its interval per rung."""
    name = cells.primary_metric(record)
    points = [
        (r, r.cost_per_1m_calls_usd, r.metrics[name])
        for r in record.measured
        if name in r.metrics and _finite(r.metrics[name].value) and r.cost_per_1m_calls_usd is not None  # unpriced: no x
    ]
    if name is None or not points:
        return None
    fig = _figure(5.2, 3.4)
    ax = fig.subplots()
    xs, free_x = _cost_positions([cost for _, cost, _ in points])
    for (rung, _, m), x in zip(points, xs):
        ax.errorbar(
            x, m.value, yerr=[[m.value - m.lower], [m.upper - m.value]], fmt="o", capsize=5, color=rung_color(rung.name), markersize=8
        )
        ax.annotate(cells.rung_label(rung, record), (x, m.value), textcoords="offset points", xytext=(8, 4), fontsize=8)
    for target in record.targets:
        if target.metric == name:
            bound = target.min if target.min is not None else target.max
            assert bound is not None  # a target has exactly one bound
            ax.axhline(bound, ls="--", color="#d62728", lw=1.2)
    _cost_axis(ax, xs, free_x)
    ax.set_xlabel("USD per 1M calls")
    ax.set_ylabel(name)
    ax.set_ylim(-0.03, 1.08)
    ax.grid(alpha=0.3)
    return _png(fig)


def frontier(record: RunRecord) -> bytes | None:
    """Across models: each cell's total cost per 1M calls at the profile's volume against its quality's lower bound,
    the Pareto set joined and filled, the others hollow, the target dashed."""
    f = record.frontier
    points = [c for c in f.cells if c.quality is not None] if f is not None else []
    if f is None or not points:
        return None
    fig = _figure(6.4, 4.0)
    ax = fig.subplots()
    xs, free_x = _cost_positions([c.per_1m_calls_usd for c in points])
    chosen = (record.recommendation.model, record.recommendation.rung)
    shapes = {model: MODEL_MARKERS[i % len(MODEL_MARKERS)] for i, model in enumerate(record.models)}
    seen: dict[tuple[float, float | None], int] = {}
    for cell, x in zip(points, xs):
        assert cell.quality is not None  # the points are the cells with a quality
        color, size = rung_color(cell.rung), 12 if cell.key == chosen else 8
        face = color if cell.pareto else "white"
        ax.plot(x, cell.quality, shapes.get(cell.model, "o"), color=color, markerfacecolor=face, markersize=size, markeredgewidth=1.8)
        label = f"{cells.short_model(cell.model)} · {cells.title(cell.rung)}" + (" ★" if cell.key == chosen else "")
        stacked = seen[(x, cell.quality)] = seen.get((x, cell.quality), -1) + 1  # cells at one spot: labels one above the other
        ax.annotate(label, (x, cell.quality), textcoords="offset points", xytext=(8, 4 - 11 * stacked), fontsize=8)
    pareto = sorted((x, c.quality) for c, x in zip(points, xs) if c.pareto)
    if len(pareto) > 1:
        ax.plot(*zip(*pareto), "-", color="#54a24b", lw=1.5, alpha=0.6, label="Pareto set")
    if f.target is not None:
        ax.axhline(f.target, ls="--", color="#d62728", lw=1.2, label=f"target {f.metric} >= {f.target:g}")
    _cost_axis(ax, xs, free_x)
    ax.set_xlabel(f"USD per 1M calls at {f.calls_per_day:,} calls/day over {f.horizon_days} days")
    ax.set_ylabel(f"{f.metric} (lower bound)")
    ax.set_ylim(-0.03, 1.08)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    return _png(fig)


def _cost_positions(costs: list[float]) -> tuple[list[float], float | None]:
    """Where each point goes; when costs span decades (log axis), free rungs sit one decade below the cheapest."""
    positive = [c for c in costs if c > 0]
    if not positive or max(positive) / min(positive) < 100:
        return costs, None
    free_x = 10 ** (math.floor(math.log10(min(positive))) - 1)
    return [c if c > 0 else free_x for c in costs], free_x


def _cost_axis(ax: Axes, xs: list[float], free_x: float | None) -> None:
    from matplotlib.ticker import FuncFormatter

    top = max(xs)
    if top <= 0:
        ax.set_xlim(-1, 1)
        ax.set_xticks([0])
        ax.set_title("no pricing given: every rung costs $0", fontsize=9)
    elif min(xs) > 0 and top / min(xs) >= 100:
        ax.set_xscale("log")
        ax.set_xlim(min(xs) / 2, top * 3)
    else:
        ax.set_xlim(-0.08 * top, top * 1.3)  # room left of a free rung
    free = free_x * 1.001 if free_x else 0.0
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: "$0" if v <= free else cells.money(v).replace(".00", "")))


def latency(record: RunRecord) -> bytes | None:
    """p50 and p95 latency per call, side by side for each measured rung."""
    rungs = [r for r in record.measured if r.latency_ms]
    if not rungs:
        return None
    from matplotlib.patches import Patch

    fig = _figure(5.2, 3.4)
    ax = fig.subplots()
    xs = range(len(rungs))
    for offset, key, alpha in ((-0.2, "p50", 0.5), (0.2, "p95", 1.0)):
        values = [r.latency_ms.get(key, 0.0) for r in rungs]
        ax.bar([x + offset for x in xs], values, width=0.38, alpha=alpha, color=[rung_color(r.name) for r in rungs])
    ax.set_xticks(list(xs), [cells.rung_label(r, record) for r in rungs], fontsize=8)
    ax.set_ylabel("ms per call")
    # Bars take their rung's colour, so the legend shows the shade only.
    shades = [Patch(color="#555", alpha=0.5, label="p50 (light)"), Patch(color="#555", label="p95 (dark)")]
    ax.legend(handles=shades, fontsize=8, frameon=False)
    if record.profile.latency_budget_ms:
        ax.axhline(record.profile.latency_budget_ms, ls="--", color="#d62728", lw=1.2)
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def training(rung: RungResult) -> bytes | None:
    """Train and validation loss against the step and, beside it, the validation score (kept step marked)."""
    t = rung.training
    curve = t.curve if t else []
    train, val, score = (_points(curve, key) for key in ("loss", "val_loss", "val_score"))
    if not train and not val:
        return None
    fig = _figure(10 if score else 5.2, 3.4)
    axes = fig.subplots(1, 2 if score else 1, squeeze=False)[0]
    ax = axes[0]
    if train:
        ax.plot(*zip(*train), color="#4c78a8", lw=1.6, label="train loss")
    if val:
        ax.plot(*zip(*val), color="#f58518", lw=1.6, marker="o", markersize=4, label="val loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(f"{cells.title(rung.name)} training", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    if score:
        _score_panel(axes[1], score, t.best_step if t else None)
    return _png(fig)


def _points(curve: list[dict], key: str) -> list[tuple[int, float]]:
    return [(p["step"], p[key]) for p in curve if _finite(p.get(key)) and "step" in p]


def _score_panel(ax: Axes, score: list[tuple[int, float]], best_step: int | None) -> None:
    """The grader's mean score on the validation slice at each evaluation; the kept one circled."""
    ax.plot(*zip(*score), color="#54a24b", lw=1.6, marker="o", markersize=4, label="val score (grader)")
    kept = [(s, v) for s, v in score if s == best_step]
    if kept:
        ax.plot(*kept[0], marker="o", markersize=11, markerfacecolor="none", markeredgecolor="#d62728", lw=0, label="kept")
    ax.set_xlabel("step")
    ax.set_ylabel("score")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title("validation score", fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.grid(alpha=0.3)


def confusion(rung: RungResult) -> bytes | None:
    """Counts by expected label (rows) and predicted label (columns)."""
    data = rung.confusion or {}
    labels, matrix = list(data.get("labels") or []), data.get("matrix") or []
    if not labels or not matrix:
        return None
    width = max(len(row) for row in matrix)
    columns = list(data.get("columns") or labels + ["(invalid)"] * (width - len(labels)))[:width]
    # The same size as the other plots so that its text reads the same; many labels get smaller type.
    fig = _figure(5.2, 3.4 if len(labels) <= 8 else 5.2)
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap="Blues", aspect="auto")
    peak = max((v for row in matrix for v in row), default=0)
    font = 8 if width <= 8 else 6
    if width <= 15:  # past that, numbers overlap: the colours carry it
        for i, row in enumerate(matrix):
            for j, value in enumerate(row):
                ax.text(j, i, str(value), ha="center", va="center", fontsize=font, color="white" if value > peak / 2 else "#222")
    ax.set_xticks(range(width), columns, rotation=35, ha="right", fontsize=font)
    ax.set_yticks(range(len(labels)), labels, fontsize=font)
    ax.set_xlabel("predicted")
    ax.set_ylabel("expected")
    ax.set_title(f"{cells.title(rung.name)} confusion", fontsize=10)
    fig.colorbar(image, ax=ax, shrink=0.8)
    return _png(fig)


def _score(rung: RungResult, name: str | None) -> float:
    m = rung.metrics.get(name) if name else None
    return m.value if m is not None and _finite(m.value) else -1.0


def figures(record: RunRecord) -> list[tuple[str, bytes]]:
    """Every figure the record supports, titled, in reading order."""
    drawn = [
        ("Cost–quality frontier across models (filled: Pareto set, ★: recommended, dashed: target)", frontier(record)),
        ("Quality per rung (bars: confidence interval, dashed: target)", metrics(record)),
        ("Cost vs quality", cost_quality(record)),
        ("Latency per call", latency(record)),
    ]
    drawn += [(f"{cells.rung_label(r, record)}: training loss and validation score", training(r)) for r in record.rungs]
    with_confusion = [r for r in record.measured if r.confusion]
    # One matrix is enough to read: the recommended rung's, else the best-scoring one's.
    if with_confusion:
        best = next((r for r in with_confusion if cells.is_chosen(r, record)), None)
        best = best or max(with_confusion, key=lambda r: _score(r, cells.primary_metric(record)))
        drawn.append((f"{cells.rung_label(best, record)}: confusion matrix", confusion(best)))
    drawn.append(("Learning curve (fine-tune on 25/50/100% of train)", _curve.figure(record)))
    return [(caption, png) for caption, png in drawn if png]
