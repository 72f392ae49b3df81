"""The model axis in the reports: the models x rungs matrix, the frontier table and the crossover sentences,
formatted once for the terminal, Markdown and HTML (the plot is in `_plots`)."""

from __future__ import annotations

from advisor.record.frontier import CellCost
from advisor.record.run import RunRecord
from advisor.registry import ladder_position

from . import cells

FRONTIER_COLUMNS = ["Model", "Rung", "Quality (lower bound)", "$ / 1M calls", "Total", "Replicas", "Pareto", "Meets"]


def matrix(record: RunRecord) -> tuple[list[str], list[list[str]]] | None:
    """Rows of models, columns of rungs; a cell reads 'lower bound · $ per 1M calls ✓', ★ for the recommended one."""
    if record.frontier is None:
        return None
    rungs = sorted({x.name for x in record.rungs if x.status == "measured"}, key=ladder_position)
    rows = []
    for model in record.models:
        row = [cells.short_model(model)]
        for name in rungs:
            rung, cost = record.rung(name, model), record.frontier.cell(model, name)
            row.append(_cell(record, cost) if rung is not None and cost is not None else cells.DASH)
        rows.append(row)
    return ["model", *(cells.title(r) for r in rungs)], rows


def _cell(record: RunRecord, cost: CellCost) -> str:
    rec = record.recommendation
    star = " ★" if (rec.model, rec.rung) == cost.key else ""
    quality = cells.number(cost.quality)
    return f"{quality} · {cells.money(cost.per_1m_calls_usd)} {'✓' if cost.meets_targets else '✗'}{star}"


def caption(record: RunRecord) -> str:
    """What the matrix and the frontier are priced at."""
    f = record.frontier
    assert f is not None  # only asked for a run across models
    return (
        f"{f.metric} lower bound · total cost per 1M calls at {f.calls_per_day:,} calls/day over {f.horizon_days} days "
        "(always-on hosting, tokens, training once)"
    )


def frontier_rows(record: RunRecord) -> list[list[str]]:
    f = record.frontier
    if f is None:
        return []
    return [
        [
            c.model,
            cells.title(c.rung),
            cells.number(c.quality),
            cells.money(c.per_1m_calls_usd),
            cells.money(c.total_usd),
            str(c.replicas) if c.hardware_per_hour else cells.DASH,
            "yes" if c.pareto else "",
            "yes" if c.meets_targets else "no",
        ]
        for c in sorted(f.cells, key=lambda c: c.per_1m_calls_usd)
    ]


def crossover_sentences(record: RunRecord) -> list[str]:
    f = record.frontier
    if f is None:
        return []
    out = []
    for c in f.crossovers:
        below, above = (f"{cells.title(r)} on {cells.short_model(m)}" for m, r in (c.cheaper_below, c.cheaper_above))
        if c.calls_per_day is None:
            out.append(f"{below} is the cheaper of the two at every volume from 1 to 1e9 calls/day.")
        else:
            out.append(f"{below} is cheaper below {c.calls_per_day:,.0f} calls/day, {above} above it.")
    return out
