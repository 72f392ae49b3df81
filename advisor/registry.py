"""The rungs of the ladder, each defined once in its own module and registered here.

The shipped rungs register through the `advisor.rungs` entry-point group, exactly as a third-party package's
do (in its pyproject: `[project.entry-points."advisor.rungs"] my_rung = "my_package.rung:RUNG"`);
`register_rung` adds one from code. Everything that lists rungs reads this registry: the scenario's
`ladder:` schema, the ladder's order, the wizard's list, the report's colours and sections, and the
decision's rules about a rung (it trains, it needs knowledge).

Entry points rather than pluggy: a rung is one value (a `Rung`), not a set of hooks called in turn, and the
standard library's `importlib.metadata` finds it without a dependency.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel

from evals.errors import InputError, Problem

ENTRY_POINTS = "advisor.rungs"
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
UNREGISTERED_COLOR = "#9d755d"
"""The plots' colour of a rung that names none (a custom one)."""
RungName = str
"""A rung's identifier: the key under `ladder:`, what `--rungs` takes, the samples file's stem."""


@dataclass(frozen=True)
class Rung:
    """One approach on the ladder: what it is called, where it stands, its settings, and how it is measured."""

    name: RungName
    title: str
    """What a person reads, e.g. 'fine-tune'."""
    order: int
    """Place on the ladder, cheapest first: the shipped rungs stand at 10, 20, ... 60; a rung between two takes a
    number between theirs."""
    settings: type[BaseModel]
    """The rung's settings under `ladder.<name>`: a pydantic model (extra='forbid', a docstring per field)."""
    plan: Callable[[Any, Any], Any]
    """(Workspace, settings) -> RungPlan (`advisor.run.RungPlan`): ready to measure, or the reason it is skipped."""
    on: bool = True
    """Measured when a scenario does not name it; False: a scenario must set it (distillation needs a teacher)."""
    trains: bool = False
    """It trains weights before it is measured: the decision weighs its one-off cost and what it broke."""
    needs_knowledge: bool = False
    """It answers from `data.knowledge`: preferred when the knowledge changes often or answers must cite."""
    prompting: bool = False
    """It only changes what is sent, so every model can climb it (a hosted chat model climbs only such rungs)."""
    wizard: str | None = None
    """Its line in the wizard's list of rungs; None: the wizard does not offer it (a scenario file can)."""
    color: str = UNREGISTERED_COLOR
    """Its colour in the report's plots."""
    summary: Callable[[Any], list[str]] | None = None
    """Its section of the reports: sentences about its measured RungResult (e.g. from `RungResult.details`) beyond
    the metrics every rung has."""


_registered: dict[str, Rung] = {}
_loaded = False


def register_rung(rung: Rung) -> Rung:
    """Put a rung on the ladder (returns it, so that a module can write `RUNG = register_rung(Rung(...))`)."""
    if not NAME.match(rung.name):
        raise ValueError(f"rung name {rung.name!r}: use lower-case letters, digits and _ (a YAML key and a file name)")
    other = _registered.get(rung.name)
    if other is not None and other != rung:
        raise ValueError(f"two rungs are named {rung.name!r}: {other.title!r} and {rung.title!r}")
    _registered[rung.name] = rung
    return rung


def unregister_rung(name: str) -> None:
    """Take a rung registered from code off the ladder again (tests, notebooks)."""
    _registered.pop(name, None)


def rungs() -> list[Rung]:
    """Every registered rung, cheapest first (installed packages' entry points are read once)."""
    _load_entry_points()
    return sorted(_registered.values(), key=lambda r: (r.order, r.name))


def rung_order() -> tuple[RungName, ...]:
    return tuple(r.name for r in rungs())


def wizard_rungs() -> list[Rung]:
    """The rungs the wizard offers, in ladder order (each with its line)."""
    return [r for r in rungs() if r.wizard]


def get_rung(name: str) -> Rung | None:
    """The registered rung of that name, or None (a record may name a rung whose package is not installed here)."""
    _load_entry_points()
    return _registered.get(name)


def rung_title(name: str) -> str:
    """What a person reads for a rung name, registered or not (a custom rung is titled by its name)."""
    found = get_rung(name)
    return found.title if found else name


def trains(name: str) -> bool:
    """The rung trains weights before it is measured (False for a rung not registered here, e.g. a custom one)."""
    found = get_rung(name)
    return bool(found and found.trains)


def needs_knowledge(name: str) -> bool:
    found = get_rung(name)
    return bool(found and found.needs_knowledge)


def prompting(name: str) -> bool:
    found = get_rung(name)
    return bool(found and found.prompting)


def rung_color(name: str) -> str:
    """The rung's colour in the plots, registered or not."""
    found = get_rung(name)
    return found.color if found else UNREGISTERED_COLOR


def ladder_position(name: str) -> tuple[int, str]:
    """A sort key that puts rungs in ladder order and the unregistered ones (custom rungs) after them."""
    found = get_rung(name)
    return (found.order if found else 1_000, name)


def _load_entry_points() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for point in sorted(entry_points(group=ENTRY_POINTS), key=lambda p: p.name):
        try:
            rung = point.load()
        except Exception as exc:  # a broken plugin names itself instead of failing somewhere deep
            _loaded = False
            raise InputError(
                Problem(
                    f"the rung plugin '{point.name}' ({point.value}) failed to load: {exc}",
                    fix=f"fix or uninstall the package that provides it (entry-point group {ENTRY_POINTS})",
                )
            ) from None
        if not isinstance(rung, Rung):
            _loaded = False
            raise InputError(
                Problem(
                    f"the entry point '{point.name}' ({point.value}) is a {type(rung).__name__}, not an advisor Rung",
                    fix="point it at a `Rung(...)` value",
                )
            )
        register_rung(rung)
