"""Checking targets against measured metrics: a bound, not a point estimate, must clear each one."""

from __future__ import annotations

from advisor.record.run import RungResult, TargetCheck
from advisor.registry import trains
from advisor.scenario.metrics import BY_NAME, COST_METRICS, FORGETTING_METRICS, LATENCY_METRICS, RATE_METRICS
from advisor.scenario.schema import Target
from evals.stats import max_demonstrable

UNSTREAMED = ": the time to the first token comes from streamed calls to a server (openai:URL#MODEL), and this model's were not"


def observed(rung: RungResult, target: Target) -> float | None:
    """The number a target is compared with: the confidence bound on the side that matters."""
    if target.metric in LATENCY_METRICS:  # the probe's interval bound when there is one
        key = BY_NAME[target.metric].latency_key
        return rung.latency_ms.get(f"{key}_{'low' if target.min is not None else 'high'}", rung.latency_ms.get(key))
    if target.metric in COST_METRICS:
        bounds = rung.cost_per_1k_calls_bounds
        return (bounds[0] if target.min is not None else bounds[1]) if bounds else rung.cost_per_1k_calls_usd
    if target.metric in FORGETTING_METRICS:
        return _forgetting_bound(rung, target)
    metric = rung.metrics.get(target.metric)
    if metric is None:
        return None
    return metric.lower if target.min is not None else metric.upper


def _forgetting_bound(rung: RungResult, target: Target) -> float | None:
    """The bound of the canary change; a rung that trains nothing leaves the base model as it was: 0."""
    if rung.training is None and not trains(rung.name):
        return 0.0
    change = rung.forgetting.change if rung.forgetting else None
    if change is None:
        return None
    return change.lower if target.min is not None else change.upper


def _bounded(rung: RungResult, target: Target) -> bool:
    """Whether the compared number is an interval's bound (rates, forgetting, probed latency, bootstrapped cost)."""
    if target.metric in LATENCY_METRICS:
        return f"{BY_NAME[target.metric].latency_key}_high" in rung.latency_ms
    if target.metric in COST_METRICS:
        return rung.cost_per_1k_calls_bounds is not None
    return target.metric in RATE_METRICS | FORGETTING_METRICS


def _num(value: float) -> str:
    """Three significant digits (0.954, 0.00307), but a latency of 2071 ms stays 2071, not 2.07e+03."""
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def check(rung: RungResult, target: Target, confidence: float) -> TargetCheck:
    value = observed(rung, target)
    if value is None:
        metric = BY_NAME.get(target.metric)
        why = UNSTREAMED if metric and metric.needs == "streaming" else ""
        return TargetCheck(target=target, passed=False, observed=None, reason=f"{target.metric} was not measured{why}")
    if target.min is not None:
        passed = value >= target.min
        side = "lower bound" if _bounded(rung, target) else "value"
        reason = f"{side} {_num(value)} {'>=' if passed else '<'} {target.min:g}"
        if not passed and target.metric in RATE_METRICS and rung.n and max_demonstrable(rung.n, confidence) < target.min:
            reason += f"; {rung.n} examples cannot show more than {max_demonstrable(rung.n, confidence):.3f}"
    else:
        assert target.max is not None  # a Target has exactly one bound
        passed = value <= target.max
        side = "upper bound" if _bounded(rung, target) else "value"
        reason = f"{side} {_num(value)} {'<=' if passed else '>'} {target.max:g}"
    return TargetCheck(target=target, passed=passed, observed=value, reason=reason)


def check_all(rung: RungResult, targets: list[Target], confidence: float) -> RungResult:
    """Fill a measured rung's checks and meets_targets; a binding knowledge update is held to the quality targets too."""
    rung.checks = [check(rung, t, confidence) for t in targets] + _after_update(rung, targets, confidence)
    rung.meets_targets = all(c.passed for c in rung.checks)
    return rung


def _after_update(rung: RungResult, targets: list[Target], confidence: float) -> list[TargetCheck]:
    """The quality targets checked on the answers after the knowledge changed: the rates it measured again (latency,
    cost and the retrieval metrics are not asked again)."""
    update = rung.update
    if update is None or not update.binding:
        return []
    after = RungResult(name=rung.name, status="measured", n=update.n, metrics=update.metrics)
    checks = [check(after, t, confidence) for t in targets if t.metric in RATE_METRICS and t.metric in update.metrics]
    return [c.model_copy(update={"after_update": True, "reason": f"after the knowledge update: {c.reason}"}) for c in checks]


def sample_size_warnings(targets: list[Target], n: int, confidence: float) -> list[str]:
    """Targets the eval set is too small to demonstrate even with zero failures."""
    best = max_demonstrable(n, confidence)
    return [
        f"{n} eval examples can show at most {t.metric} >= {best:.3f} at {confidence:.0%} confidence, "
        f"so the target {t} cannot pass; add eval examples (see `advisor plan`)"
        for t in targets
        if t.metric in RATE_METRICS and t.min is not None and best < t.min
    ]
