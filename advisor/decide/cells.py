"""The recommendation across models: the cell with the lowest total cost at the profile's volume whose bounds
meet every target. Every sentence cites its numbers."""

from __future__ import annotations

from collections.abc import Callable

from advisor.decide.decision import forgetting_note, none_passes, reasons, serve_constrained, significance
from advisor.decide.frontier import build_frontier, cheapest_passing
from advisor.record.frontier import HOURS_PER_DAY, SECONDS_PER_DAY, CellCost, CellPrice, Frontier
from advisor.record.run import Recommendation, RungResult, RunRecord
from advisor.registry import rung_title
from advisor.scenario.schema import Profile
from evals.backends.spec import ModelSpec


def allowed_by(profile: Profile) -> Callable[[str], bool]:
    """Whether the profile lets a model be recommended: data that must stay local rules hosted models out."""
    return lambda model: not (profile.data_must_stay_local and ModelSpec.parse(model).is_hosted)


def cell_title(model: str, rung: str) -> str:
    return f"{rung_title(rung)} on {model}"


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]  # not str.capitalize(): a model's name keeps its case


def recommend_cells(rungs: list[RungResult], frontier: Frontier, profile: Profile, confidence: float) -> Recommendation:
    passing = cheapest_passing(frontier.cells)
    measured = [r for r in rungs if r.status == "measured"]
    if not passing:
        found = none_passes(rungs, measured, confidence)
        found.model = None
        return found
    chosen = passing[0]
    rung = next(r for r in measured if (r.model, r.name) == chosen.key)
    volume, days = frontier.calls_per_day, frontier.horizon_days
    rationale = [
        f"{_sentence_start(cell_title(*chosen.key))} is the cheapest cell that meets every target at {volume:,} calls/day over "
        f"{days} days: ${chosen.total_usd:,.2f} in total, ${chosen.per_1m_calls_usd:,.2f} per 1M calls; {reasons(rung)}.",
        _breakdown(chosen, rung),
    ]
    rationale += [_against(chosen, other, frontier) for other in passing[1:4]]
    rationale += significance(rung)
    ruled_out = [c for c in frontier.cells if c.meets_targets and not c.eligible]
    if ruled_out:
        names = ", ".join(f"{cell_title(*c.key)} (${c.total_usd:,.2f})" for c in ruled_out)
        rationale.append(f"{len(ruled_out)} cells on hosted models also meet every target but the profile keeps data local: {names}.")
    next_steps: list[str] = []
    rationale += forgetting_note(rung, next_steps)
    next_steps += serve_constrained(rung)
    return Recommendation(rung=chosen.rung, model=chosen.model, rationale=rationale, next_steps=next_steps)


def _breakdown(cell: CellCost, rung: RungResult) -> str:
    tokens = rung.tokens_per_call
    text = (
        f"Per call it sends {tokens.get('input', 0):.0f} input and receives {tokens.get('output', 0):.0f} output tokens "
        f"(${cell.per_call_usd * 1e6:,.2f} per 1M calls in tokens)"
    )
    if cell.replicas:
        capacity = SECONDS_PER_DAY / cell.seconds_per_call if cell.seconds_per_call else float("inf")
        text += (
            f"; it needs {cell.replicas} always-on replica{'s' if cell.replicas > 1 else ''} at ${cell.hardware_per_hour:g}/h "
            f"(${cell.replicas * cell.hardware_per_hour * HOURS_PER_DAY:,.2f}/day; one serves {capacity:,.0f} calls/day at {cell.seconds_per_call:.3f} s a call)"
        )
    if cell.one_off_usd:
        text += f"; training cost ${cell.one_off_usd:,.2f} once"
    return text + "."


def _against(chosen: CellCost, other: CellCost, frontier: Frontier) -> str:
    text = (
        f"{_sentence_start(cell_title(*other.key))} also meets every target but costs ${other.total_usd:,.2f} "
        f"(${other.per_1m_calls_usd:,.2f} per 1M calls)"
    )
    cross = next((c for c in frontier.crossovers if {c.cheaper_below, c.cheaper_above} == {chosen.key, other.key}), None)
    if cross is not None and cross.calls_per_day is not None:
        below = cell_title(*cross.cheaper_below)
        text += f"; their total costs cross at {cross.calls_per_day:,.0f} calls/day, below which {below} is cheaper"
    return text + "."


def redecide(record: RunRecord) -> RunRecord:
    """A record across models with its frontier and recommendation derived again from its rungs (after a re-check)."""
    assert record.frontier is not None  # only a run across models has one
    prices: dict[tuple[str, str], CellPrice] = {c.key: c.price for c in record.frontier.cells}
    record.frontier = build_frontier(record.rungs, prices, record.profile, record.targets, allowed_by(record.profile))
    record.recommendation = recommend_cells(record.rungs, record.frontier, record.profile, record.confidence)
    return record
