"""advisor: prompt, RAG or fine-tune? Measures each on your eval set and recommends one with numbers.

The public API, for scripts, notebooks and packages that add rungs:

    from advisor import Rung, RungPlan, climb, load_record, prepare, register_rung

Names are imported when first used, so that `import advisor` stays cheap (no torch, no pandas).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "Scenario": "advisor.scenario.schema",
    "load_scenario": "advisor.scenario.file",
    "prepare": "advisor.scenario.workspace",
    "Workspace": "advisor.scenario.workspace",
    "Rung": "advisor.registry",
    "register_rung": "advisor.registry",
    "rungs": "advisor.registry",
    "RungPlan": "advisor.measure.cell",
    "Cell": "advisor.measure.cell",
    "evaluate": "advisor.measure.cell",
    "RunOptions": "advisor.measure.cell",
    "climb": "advisor.run",
    "RunRecord": "advisor.record.run",
    "load_record": "advisor.record.run",
    "write_reports": "advisor.reports",
}

__all__ = [
    "Cell",
    "Rung",
    "RunOptions",
    "RunRecord",
    "RungPlan",
    "Scenario",
    "Workspace",
    "climb",
    "evaluate",
    "load_record",
    "load_scenario",
    "prepare",
    "register_rung",
    "rungs",
    "write_reports",
]

if TYPE_CHECKING:
    from advisor.measure.cell import Cell, RungPlan, RunOptions, evaluate
    from advisor.record.run import RunRecord, load_record
    from advisor.registry import Rung, register_rung, rungs
    from advisor.reports import write_reports
    from advisor.run import climb
    from advisor.scenario.file import load_scenario
    from advisor.scenario.schema import Scenario
    from advisor.scenario.workspace import Workspace, prepare


assert set(__all__) == set(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'advisor' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
