"""The metrics a target can name, each defined once: everything else (the schema's checks, the wizard's
questions, the report's columns, sequential stopping, the record's bounds) reads this table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MetricKind = Literal["rate", "latency", "cost", "forgetting"]


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    """What the wizard and the reports call it."""
    bound: Literal["min", "max"]
    """The side a target sets: min for a metric where higher is better, max where lower is."""
    kind: MetricKind
    """rate: a share in 0..1 with a Wilson or bootstrap interval; latency (ms) and cost (USD) from the calls;
    forgetting: the canary change of a tuned model (adapter minus base)."""
    binary: bool = False
    """Each item's value is 0 or 1 (every grader scores an item 0 or 1), so sequential stopping may curtail on it."""
    grader: str | None = None
    """The grader kind that measures it; None: any."""
    needs: Literal["knowledge", "training", "streaming"] | None = None
    """What the scenario must have for a rung to measure it: a knowledge folder, a rung that trains, or a model
    served over HTTP (an OpenAI-compatible server streams its answers; a local model has no first token to time)."""
    latency_key: str = ""
    """latency: its key in a rung's `latency_ms` (the bounds of its interval are KEY_low and KEY_high)."""
    hint: str = ""
    """What the wizard says beside its question."""


METRICS: tuple[Metric, ...] = (
    Metric("accuracy", "accuracy", "min", "rate", binary=True, hint="a rate: 0.9 or 90%"),
    Metric("macro_f1", "macro F1", "min", "rate", grader="label"),
    Metric("field_accuracy", "field accuracy", "min", "rate", grader="json"),
    Metric("format_valid", "format valid", "min", "rate", binary=True),
    Metric("recall_at_k", "retrieval recall", "min", "rate", needs="knowledge"),
    Metric("grounded", "grounded", "min", "rate", needs="knowledge"),
    Metric("citation_precision", "citation precision", "min", "rate", needs="knowledge"),
    Metric("citation_recall", "citation recall", "min", "rate", needs="knowledge"),
    Metric("p50_latency_ms", "p50 latency ms", "max", "latency", latency_key="p50"),
    Metric("p95_latency_ms", "p95 latency ms", "max", "latency", latency_key="p95"),
    Metric("ttft_p95_ms", "p95 TTFT ms", "max", "latency", needs="streaming", latency_key="ttft_p95", hint="time to the first token"),
    Metric("cost_per_1k_calls_usd", "$ per 1k calls", "max", "cost"),
    Metric(
        "forgetting_change",
        "forgetting change",
        "min",
        "forgetting",
        needs="training",
        hint="canary change: -0.05 = at most 5 points lost",
    ),
)
"""In the order the wizard asks for them."""

BY_NAME = {m.name: m for m in METRICS}
TARGET_METRICS: tuple[str, ...] = tuple(BY_NAME)
RATE_METRICS = frozenset(m.name for m in METRICS if m.kind == "rate")
LATENCY_METRICS = frozenset(m.name for m in METRICS if m.kind == "latency")
COST_METRICS = frozenset(m.name for m in METRICS if m.kind == "cost")
FORGETTING_METRICS = frozenset(m.name for m in METRICS if m.kind == "forgetting")
"""Change in general ability (canary accuracy, adapter minus base; -0.05 = lost 5 points); 0 for rungs that do not train."""
BINARY_METRICS = frozenset(m.name for m in METRICS if m.binary)
GRADER_METRICS: dict[str, frozenset[str]] = {
    kind: frozenset(m.name for m in METRICS if m.grader == kind) for kind in sorted({m.grader for m in METRICS if m.grader})
}
"""The metrics only one grader kind measures."""


def target_label(name: str) -> str:
    """'accuracy ≥', 'p95 latency ms ≤': a target's question in the wizard."""
    metric = BY_NAME[name]
    return f"{metric.label} {'≥' if metric.bound == 'min' else '≤'}"
