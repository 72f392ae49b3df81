"""Turning a rung's per-example rows into the numbers of a RungResult."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

from advisor.decide.cost import per_call
from advisor.decide.targets import check_all
from advisor.measure.repeats import repeat_summary
from advisor.record.run import Comparison, MetricValue, RungName, RungResult
from advisor.scenario.schema import Scenario
from evals.stats import compare, holm, latency_summary, wilson

if TYPE_CHECKING:
    import pandas as pd

K = TypeVar("K")


def rung_result(
    name: RungName,
    rows: pd.DataFrame,
    scenario: Scenario,
    labels: list[str] | None,
    recalls: list[bool],
    seconds: float,
    extra: dict[str, MetricValue] | None = None,
) -> RungResult:
    """Metrics with intervals, latency, tokens and cost of one measured rung; targets checked.

    `extra`: metrics the rung measured itself (RAG's grounding and citations), checked like the rest.
    """
    from evals.graders import Score, summarize

    first = rows[rows["repeat"] == 0] if "repeat" in rows else rows
    scores = [Score(float(r.score), bool(r.format_valid), r.details if isinstance(r.details, dict) else {}) for r in first.itertuples()]
    metrics = {
        k: MetricValue.model_validate(v.as_dict())
        for k, v in summarize(
            scenario.grader.kind,
            scores,
            confidence=scenario.confidence,
            labels=labels,
            expected_labels=list(first["expected"]) if labels else None,
        ).items()
    }
    if recalls:
        hit = wilson(sum(recalls), len(recalls), scenario.confidence)
        metrics["recall_at_k"] = MetricValue.model_validate(hit.as_dict())
    metrics.update(extra or {})
    tokens = {"input": float(first["input_tokens"].mean()), "output": float(first["output_tokens"].mean())}
    ok = first[first["error"].isna()]
    latency = latency_summary(list(ok["latency_s"])) if len(ok) else {"p50": 0.0, "p95": 0.0}
    machine_s = machine_seconds(ok)
    cost = per_call(scenario.pricing, tokens["input"], tokens["output"], machine_s)
    result = RungResult(
        name=name,
        status="measured",
        n=len(first),
        metrics=metrics,
        latency_ms=latency,
        tokens_per_call=tokens,
        cost_per_1k_calls_usd=cost.total * 1e3,
        cost_per_1m_calls_usd=cost.total * 1e6,
        cost_per_1k_calls_bounds=cost_bounds(first, scenario, cost.total * 1e3),
        machine_s_per_call=machine_s,
        latency_from="run",
        errors=int(first["error"].notna().sum()),
        seconds=seconds,
        confusion=_confusion(first, labels),
    )
    result.repeat = repeat_summary(rows, scenario.confidence)
    return check_all(result, scenario.targets, scenario.confidence)


def backend_share(rows: pd.DataFrame, flag: str = "constrained") -> float:
    """Share of rows whose backend set `flag`: "constrained" (it held the answer to the asked structure) or
    "closed_at_budget" (it steered a JSON answer to close before max_tokens)."""
    flags = [bool(d.get("backend", {}).get(flag)) if isinstance(d, dict) else False for d in rows["details"]]
    return sum(flags) / len(flags) if flags else 0.0


def cost_bounds(rows: pd.DataFrame, scenario: Scenario, per_1k: float) -> list[float]:
    """[lower, upper] cost per 1k calls: the calls' own costs (tokens and machine time), bootstrapped.

    A call's cost is linear in its tokens and machine time, so the mean of the per-call costs is the point cost."""
    from evals.stats import bootstrap_mean

    seconds = _machine_shares(rows)
    costs = [
        per_call(scenario.pricing, i, o, t).total * 1e3 for i, o, t in zip(rows["input_tokens"], rows["output_tokens"], seconds) if t == t
    ]  # NaN: a failed call
    if not costs or per_1k == 0:
        return [per_1k, per_1k]
    spread = bootstrap_mean(costs, scenario.confidence)
    return [min(spread.lower, per_1k), max(spread.upper, per_1k)]


def _machine_shares(rows: pd.DataFrame) -> list[float]:
    shares = [d.get("backend", {}).get("machine_s") if isinstance(d, dict) else None for d in rows["details"]]
    return [float(s) if s is not None else float(t) for s, t in zip(shares, rows["latency_s"])]


def machine_seconds(rows: pd.DataFrame) -> float:
    """Mean machine time per call: a local call's share of its batch, else its latency (one call, one machine)."""
    if not len(rows):
        return 0.0
    return float(sum(_machine_shares(rows)) / len(rows))


def _confusion(rows: pd.DataFrame, labels: list[str] | None) -> dict | None:
    if not labels:
        return None
    from evals.graders import confusion

    predicted = [d.get("predicted") if isinstance(d, dict) else None for d in rows["details"]]
    matrix = confusion(list(rows["expected"]), predicted, labels)
    return {"labels": matrix["labels"], "matrix": matrix["matrix"]}


def comparisons(
    name: K,
    scores: dict[K, dict[str, float]],
    against: Callable[[K], dict] = lambda other: {"against": other},
    notes: Mapping[K, str] | None = None,
) -> list[Comparison]:
    """Paired tests of a rung (or a cell) against each one measured before it, on the items both scored.

    `against` names the other one in the Comparison: a rung by default, a (model, rung) cell across models;
    `notes` says, per other one, why the pairing is short of this one's items."""
    mine = scores[name]
    out = []
    for other, theirs in scores.items():
        if other == name:
            continue
        ids = [i for i in mine if i in theirs]
        if not ids:
            continue
        paired = compare([theirs[i] for i in ids], [mine[i] for i in ids])
        out.append(
            Comparison(
                **against(other),
                test=paired.test,
                n=paired.n,
                diff=paired.diff,
                p_value=paired.p_value,
                this_only=paired.b_only,
                other_only=paired.a_only,
                note=(notes or {}).get(other),
            )
        )
    return out


def adjust_p(rungs: list[RungResult]) -> None:
    """Holm-adjust the run's paired tests (`p_holm`), in two families: the rungs against each other, and the
    tests after a knowledge update (each rung against itself before it, and the rungs against each other after it)."""
    _holm([c for r in rungs for c in r.comparisons])
    _holm([c for r in rungs if r.update for c in [r.update.change, *r.update.comparisons] if c is not None])


def _holm(family: list[Comparison]) -> None:
    for comparison, adjusted in zip(family, holm([c.p_value for c in family])):
        comparison.p_holm = adjusted
