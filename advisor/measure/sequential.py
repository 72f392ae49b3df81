"""Sequential stopping: score a rung's items in order and stop once its verdict on the targets is settled.

Each rate target is settled either way by one of two rules, checked after every item:
- the anytime-valid betting confidence sequence (`evals.confseq`) of its per-item values lies wholly
  on one side of the bound: at the scenario's confidence the true rate does too, whenever we look;
- curtailment (0/1 metrics): even if every remaining item went the other way, the Wilson check on
  the full eval set could not come out differently, so scoring them cannot change the decision.
A rung stops when one target has failed (the rung cannot meet every target) or every target on the
eval items has passed. Latency targets are checked on the one-at-a-time probe, not on these items,
and do not hold a rung open; metrics without a per-item value (macro-F1, cost) are never settled
early, so a rung with one only stops when another target fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.scenario.metrics import BINARY_METRICS, LATENCY_METRICS
from advisor.scenario.schema import Target
from evals.confseq import BettingSequence
from evals.stats import wilson

MIN_ITEMS = 10
"""No rung stops before this many items: a verdict on fewer would leave the report a rate it cannot read."""


def _value(metric: str, row: dict) -> float | None:
    if metric == "accuracy":
        return float(row["score"])
    if metric == "format_valid":
        return 1.0 if row["format_valid"] else 0.0
    if metric == "field_accuracy":
        details = row.get("details")
        return float(details.get("field_score", 0.0)) if isinstance(details, dict) else 0.0
    return None


@dataclass
class TargetWatch:
    """One target followed item by item."""

    target: Target
    confidence: float
    sequence: BettingSequence = field(init=False)
    successes: float = 0.0
    verdict: str | None = None
    """'pass' or 'fail' once settled."""

    def __post_init__(self) -> None:
        self.sequence = BettingSequence(self.confidence)

    def add(self, value: float, available: int) -> None:
        self.sequence.add(value)
        self.successes += value
        if self.verdict is None:
            self.verdict = self._settle(available)

    def _settle(self, available: int) -> str | None:
        seq, t = self.sequence, self.target
        if t.min is not None and (seq.lower >= t.min or seq.upper < t.min):
            return "pass" if seq.lower >= t.min else "fail"
        if t.max is not None and (seq.upper <= t.max or seq.lower > t.max):
            return "pass" if seq.upper <= t.max else "fail"
        return self._curtailed(available) if self.target.metric in BINARY_METRICS else None

    def _curtailed(self, available: int) -> str | None:
        """Settled when the full-set Wilson check comes out the same whether every remaining item succeeds or fails."""
        rest = max(available - self.sequence.n, 0)
        all_fail = wilson(self.successes, available, self.confidence)
        all_pass = wilson(self.successes + rest, available, self.confidence)
        if self.target.min is not None:
            low, high = all_fail.lower >= self.target.min, all_pass.lower >= self.target.min
        else:
            ceiling = float(self.target.max)  # type: ignore[arg-type]  # a target has a min or a max
            low, high = all_pass.upper <= ceiling, all_fail.upper <= ceiling
        return ("pass" if low else "fail") if low == high else None


@dataclass
class Stopper:
    """Fed a rung's rows in item order; `decided` turns true once the rung's verdict cannot change."""

    targets: list[Target]
    confidence: float
    available: int
    watches: list[TargetWatch] = field(default_factory=list)
    open_metrics: list[str] = field(default_factory=list)
    """Targets on these items that no rule can settle early (e.g. macro_f1)."""
    used: int = 0

    def __post_init__(self) -> None:
        for target in self.targets:
            if target.metric in LATENCY_METRICS:
                continue  # checked on the latency probe
            if _value(target.metric, {"score": 0.0, "format_valid": False, "details": {}}) is None:
                self.open_metrics.append(target.metric)
            else:
                self.watches.append(TargetWatch(target, self.confidence))

    def add(self, row: dict) -> bool:
        """One more row (the next item in order); True once the rung's verdict is settled."""
        self.used += 1
        for watch in self.watches:
            value = _value(watch.target.metric, row)
            assert value is not None  # only metrics with a per-row value are watched
            watch.add(value, self.available)
        return self.decided

    @property
    def decided(self) -> bool:
        if self.used < min(MIN_ITEMS, self.available):
            return False
        verdicts = [w.verdict for w in self.watches]
        if "fail" in verdicts:
            return True
        return bool(self.watches) and not self.open_metrics and all(v == "pass" for v in verdicts)

    @property
    def deciding(self) -> list[str]:
        """The targets whose verdict stopped the rung, as text."""
        failed = [f"{w.target} ({w.verdict})" for w in self.watches if w.verdict == "fail"]
        return failed[:1] if failed else [f"{w.target} ({w.verdict})" for w in self.watches]
