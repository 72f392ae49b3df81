"""The cost-quality frontier of a run across models, as run.json stores it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from advisor.registry import RungName

HOURS_PER_DAY = 24
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class CellPrice:
    """What a (model, rung) cell costs, split into what scales with calls and what does not.

    A per-token API costs per call. A model you host costs its machine around the clock: as many replicas as
    `calls_per_day` needs at the measured machine time per call (at least one), times 24 h, whether busy or not.
    The training is paid once and spread over the horizon.
    """

    per_call_usd: float
    """Token prices of one call."""
    hardware_per_hour: float
    """One always-on replica's price (0: nothing to host, e.g. an API)."""
    seconds_per_call: float
    """Machine time of one call on one replica (its capacity is a day's seconds over this)."""
    one_off_usd: float = 0.0
    """Training, paid once."""

    def replicas(self, calls_per_day: float) -> int:
        if not self.hardware_per_hour:
            return 0
        return max(1, math.ceil(calls_per_day * self.seconds_per_call / SECONDS_PER_DAY - 1e-9))

    def per_day(self, calls_per_day: float) -> float:
        return calls_per_day * self.per_call_usd + self.replicas(calls_per_day) * self.hardware_per_hour * HOURS_PER_DAY

    def total(self, calls_per_day: float, horizon_days: float) -> float:
        """Everything over the horizon: the daily cost for `horizon_days`, plus the training once."""
        return self.per_day(calls_per_day) * horizon_days + self.one_off_usd

    def per_1m_calls(self, calls_per_day: float, horizon_days: float) -> float:
        """The total spread over the horizon's calls (at least one call a day), per million calls."""
        return self.total(calls_per_day, horizon_days) / (max(calls_per_day, 1.0) * horizon_days) * 1e6


class CellCost(BaseModel):
    """One measured (model, rung) cell: its price parts, its total at the profile's volume and its quality."""

    model_config = ConfigDict(allow_inf_nan=False)

    model: str
    rung: RungName
    quality: float | None
    """The lower confidence bound of the frontier's metric."""
    meets_targets: bool
    eligible: bool = True
    """False when the profile rules the model out (data must stay local, the model is hosted)."""
    per_call_usd: float
    """Token prices of one call."""
    hardware_per_hour: float
    """One always-on replica's price."""
    seconds_per_call: float
    one_off_usd: float
    """The training, paid once."""
    replicas: int
    """Always-on replicas the volume needs (0 for an API)."""
    per_day_usd: float
    total_usd: float
    """Over the horizon, training included."""
    per_1m_calls_usd: float
    """The total over the horizon's calls, per million calls."""
    pareto: bool = False
    """No other cell is both cheaper (or as cheap) and better (or as good) at this volume."""

    @property
    def price(self) -> CellPrice:
        return CellPrice(self.per_call_usd, self.hardware_per_hour, self.seconds_per_call, self.one_off_usd)

    @property
    def key(self) -> tuple[str, RungName]:
        return self.model, self.rung


class Crossover(BaseModel):
    """Where the total costs of two passing cells (the cheapest of each of two models) cross."""

    model_config = ConfigDict(allow_inf_nan=False)

    cheaper_below: tuple[str, RungName]
    """The (model, rung) cheaper at volumes below the crossover."""
    cheaper_above: tuple[str, RungName]
    calls_per_day: float | None
    """None: the same cell is cheaper at every volume from 1 to 1e9 calls a day."""


class Frontier(BaseModel):
    calls_per_day: int
    horizon_days: int
    metric: str
    """The quality on the y axis: the first rate target's metric (accuracy without one)."""
    target: float | None = None
    """That target's bound: the line drawn on the plot."""
    cells: list[CellCost] = Field(default_factory=list)
    crossovers: list[Crossover] = Field(default_factory=list)

    def cell(self, model: str, rung: str) -> CellCost | None:
        return next((c for c in self.cells if c.key == (model, rung)), None)
