"""The cost-quality frontier across models: each measured cell priced at the profile's volume, the Pareto set,
and the volumes where the cheapest passing cells of two models trade places."""

from __future__ import annotations

from collections.abc import Callable

from advisor.decide.cost import crossover
from advisor.record.frontier import CellCost, CellPrice, Crossover, Frontier
from advisor.record.run import RungResult
from advisor.scenario.metrics import RATE_METRICS
from advisor.scenario.schema import Profile, Target


def quality_metric(targets: list[Target]) -> tuple[str, float | None]:
    """The metric the frontier plots, and its bound: the first rate target with a minimum (accuracy without one)."""
    first = next((t for t in targets if t.metric in RATE_METRICS and t.min is not None), None)
    return (first.metric, first.min) if first else ("accuracy", None)


def build_frontier(
    rungs: list[RungResult],
    prices: dict[tuple[str, str], CellPrice],
    profile: Profile,
    targets: list[Target],
    eligible: Callable[[str], bool],
) -> Frontier:
    """Every measured cell with a price, totalled at `profile.calls_per_day` over `profile.horizon_days`."""
    metric, bound = quality_metric(targets)
    volume, days = profile.calls_per_day, profile.horizon_days
    cells = []
    for rung in rungs:
        key = (rung.model or "", rung.name)
        if rung.status != "measured" or key not in prices:
            continue
        price, found = prices[key], rung.metrics.get(metric)
        cells.append(
            CellCost(
                model=key[0],
                rung=rung.name,
                quality=found.lower if found else None,
                meets_targets=bool(rung.meets_targets),
                eligible=eligible(key[0]),
                per_call_usd=price.per_call_usd,
                hardware_per_hour=price.hardware_per_hour,
                seconds_per_call=price.seconds_per_call,
                one_off_usd=price.one_off_usd,
                replicas=price.replicas(volume),
                per_day_usd=price.per_day(volume),
                total_usd=price.total(volume, days),
                per_1m_calls_usd=price.per_1m_calls(volume, days),
            )
        )
    for cell in cells:
        cell.pareto = cell.quality is not None and not any(_dominates(other, cell) for other in cells)
    return Frontier(calls_per_day=volume, horizon_days=days, metric=metric, target=bound, cells=cells, crossovers=_crossovers(cells, days))


def _dominates(a: CellCost, b: CellCost) -> bool:
    if a is b or a.quality is None or b.quality is None:
        return False
    no_worse = a.total_usd <= b.total_usd and a.quality >= b.quality
    return no_worse and (a.total_usd < b.total_usd or a.quality > b.quality)


def cheapest_passing(cells: list[CellCost]) -> list[CellCost]:
    """The cells that meet every target and the profile allows, cheapest first at the frontier's volume."""
    return sorted((c for c in cells if c.meets_targets and c.eligible), key=lambda c: c.total_usd)


def _crossovers(cells: list[CellCost], days: int) -> list[Crossover]:
    """Between the cheapest passing cell of each pair of models: where their total-cost lines cross."""
    best: dict[str, CellCost] = {}
    for cell in cheapest_passing(cells):
        best.setdefault(cell.model, cell)
    found, chosen = [], list(best.values())
    for i, a in enumerate(chosen):
        for b in chosen[i + 1 :]:
            calls = crossover(a.price, b.price, days)
            low = 1.0
            a_low = a.price.total(low, days) < b.price.total(low, days)
            below, above = (a, b) if a_low else (b, a)
            found.append(Crossover(cheaper_below=below.key, cheaper_above=above.key if calls else below.key, calls_per_day=calls))
    return found
