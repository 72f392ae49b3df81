"""What every way of fine-tuning hands back (a backend to measure, its training, what it broke), and the steps they share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from advisor.measure import events as ev
from advisor.record.run import Forgetting, Training
from advisor.rungs.finetune.settings import FinetuneSettings
from advisor.scenario.workspace import Workspace
from evals.backends.base import Backend
from evals.data import read_saved, write_json


@dataclass
class Tuned:
    """What training produced: the backend to measure, what it cost, and what it broke."""

    backend: Backend
    training: Training
    forgetting: Forgetting | None = None


def finetune_settings(ws: Workspace) -> FinetuneSettings:
    """The scenario's fine-tune settings; only a rung that is on asks for them."""
    config = ws.scenario.ladder.finetune
    if config is None:
        raise ValueError("the fine-tune rung is off (ladder.finetune: null)")
    return config


async def checked_once(path: Path, stamp: str, check: Callable[[], Awaitable[dict]], how: str, on_event: ev.OnEvent) -> Forgetting:
    """The forgetting check of one training: read back from `path` when made for the same `stamp`, else run and saved there."""
    found_before = read_saved(path)
    if path.is_file() and found_before is None:
        on_event(ev.Note(f"fine-tune: {path} is torn or unreadable; checking forgetting again"))
    if found_before is not None and found_before.get("stamp") == stamp:
        return Forgetting(**found_before["forgetting"])
    on_event(ev.Note(f"fine-tune: forgetting check (canary tasks, base vs tuned, {how})"))
    found = Forgetting(**await check())
    write_json(path, {"stamp": stamp, "forgetting": found.model_dump()})
    return found
