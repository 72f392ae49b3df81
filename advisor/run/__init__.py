"""Running the contest: the ladder of one model, the ladder across models, and the lock on a run folder."""

from advisor.measure.cell import RungPlan, RunOptions
from advisor.run.ladder import climb
from advisor.run.models import estimate_cells, tuned_workspace
from advisor.run.plans import plan_rungs
from advisor.run.preflight import raise_on_backend_failure, warnings_before

__all__ = [
    "RunOptions",
    "RungPlan",
    "climb",
    "estimate_cells",
    "plan_rungs",
    "raise_on_backend_failure",
    "tuned_workspace",
    "warnings_before",
]
