"""Topping up: the rungs the recommended one is compared with, asked afterwards the items they had not answered.

Sequential stopping settles a rung that misses its targets after as few as 10 items, while the rung that passes
may take a hundred to show it; a paired test on the 10 items both answered can hardly tell them apart. So once
the recommendation is known, each rung it is compared with that stopped early is asked the recommended rung's
items it has not answered, as it was measured (its prompts, its model, its grader: `Cell.answered`), the next
cheaper rung first, within the run's budget of calls. The answers join its per-item scores for the paired tests only: its n,
metrics and verdict stay as sequential stopping left them, and `stopping.topped_up` counts them. They are
journaled and cached under `<rung>-topup` (and kept in `samples/<rung>-topup.jsonl`), so a rerun asks nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from advisor.measure import events as ev
from advisor.measure.cell import Cell, ask_again
from advisor.measure.repeats import item_scores
from advisor.measure.results import adjust_p, comparisons
from advisor.record.run import RungResult
from advisor.registry import rung_title

if TYPE_CHECKING:
    import pandas as pd

K = TypeVar("K")
SUFFIX = "-topup"
"""The journal rows and samples file of a rung's top-up: `samples/<rung>-topup.jsonl`."""


@dataclass
class Answered(Generic[K]):
    """A measured rung: its result, its per-item scores (top-up included) and the cell that measured it."""

    result: RungResult
    cell: Cell
    rows: Any
    """The rows the rung reports (`Cell.answered` knows what produced them)."""
    scores: dict[str, float]
    notes: dict[K, str] = field(default_factory=dict)
    """Per rung it is compared with, why that pairing is short of this rung's items."""


async def top_up(chosen: K, answered: dict[K, Answered[K]], budget: int, on_event: ev.OnEvent) -> None:
    """Ask each rung before `chosen` in `answered` (the order of the comparisons) that stopped early the items `chosen`
    answered and it did not, the next cheaper first, at most `budget` calls in all; each asked item counts, cached or not,
    so that a rerun asks the same ones."""
    if chosen not in answered:
        return
    target, keys, left = answered[chosen], list(answered), budget
    for key in reversed(keys[: keys.index(chosen)]):
        rung = answered[key]
        missing = [i for i in target.scores if i not in rung.scores]
        stopping = rung.result.stopping  # set only with one sample per item, so an item is one call
        if stopping is None or not missing:
            continue
        asked = missing[:left]
        rows = await ask_more(rung.cell, rung.rows, asked) if asked else None
        if rows is not None:
            rung.scores.update(item_scores(rows))
            stopping.topped_up, left = len(asked), left - len(asked)
            on_event(ev.Note(f"{_title(rung)}: asked {len(asked)} more of {_title(target)}'s items, for the paired test only"))
        if len(asked) < len(missing):
            spent = f"the top-up budget of {budget} calls was spent" if budget else "the top-up was off"
            target.notes[key] = f"{spent}: {len(missing) - len(asked)} of its {len(target.scores)} items were not asked of {_title(rung)}"


def _title(rung: Answered) -> str:
    return rung_title(rung.result.name)


async def ask_more(cell: Cell, rows: Any, ids: list[str]) -> pd.DataFrame | None:
    """The rung as it answered `rows` (its prompts, its model, its grader) asked the eval items `ids`: their rows, or
    None when the cell does not know what answered `rows`. No stopping, no latency probe, no progress bars."""
    deployed = cell.answered(rows)
    if deployed is None:
        return None
    wanted = set(ids)
    ws = replace(cell.ws, eval_set=[ex for ex in cell.ws.eval_set if ex.key in wanted])
    _, answers = await ask_again(cell, deployed, ws, f"{cell.name}{SUFFIX}", quiet=True)
    return answers


async def compare_rungs(
    answered: dict[K, Answered[K]],
    chosen: K | None,
    budget: int,
    on_event: ev.OnEvent,
    against: Callable[[K], dict] = lambda other: {"against": other},
) -> None:
    """The run's paired tests: the rungs before `chosen` topped up to its items (when one is chosen), then each measured
    rung against every one before it in `answered`, on the items both answered, Holm-adjusted together."""
    if chosen is not None:
        await top_up(chosen, answered, budget, on_event)
    seen: dict[K, dict[str, float]] = {}
    for key, rung in answered.items():
        seen[key] = rung.scores
        rung.result.comparisons = comparisons(key, seen, against, rung.notes)
    adjust_p([rung.result for rung in answered.values()])
