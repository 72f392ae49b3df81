"""`finetune.compare`: the fine-tune rung trained each listed way (LoRA, full...) and measured on the same items.

The rung then reports the cheapest variant — the fewest trained weights, so the least memory and the
smallest artifact — unless a costlier one is significantly better: its mean grader score higher, with
a paired test on the same items (exact McNemar for pass/fail scores) below 1 - confidence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from advisor.record.run import RungResult, Variant
from advisor.rungs.finetune.settings import FinetuneSettings

CHEAPEST_FIRST = ("qlora", "lora", "full")

Measured = tuple[RungResult, object]
"""A rung result and its per-item rows (a DataFrame with `id` and `score`)."""


def methods_to_compare(config: FinetuneSettings) -> list[str]:
    """The methods to measure, cheapest first, the configured one always among them."""
    wanted = {config.method, *(config.compare or [])}
    return sorted(wanted, key=CHEAPEST_FIRST.index)


async def measure_variants(
    config: FinetuneSettings, first: Measured, confidence: float, measure: Callable[[FinetuneSettings, str], Awaitable[Measured]]
) -> Measured:
    """Measure every other method in `config.compare` with `measure(config, label)`; return the chosen one's result
    (carrying every variant) and rows."""
    measured: dict[str, Measured] = {config.method: first}
    for method in methods_to_compare(config):
        if method not in measured:
            measured[method] = await measure(config.model_copy(update={"method": method}), f"finetune-{method}")
    return choose([(m, *measured[m]) for m in methods_to_compare(config)], confidence)


def choose(variants: list[tuple[str, RungResult, object]], confidence: float) -> Measured:
    """The cheapest variant, replaced by each costlier one that is significantly better than the one chosen so far."""
    from evals.stats import compare

    scores = {method: dict(zip(rows["id"], rows["score"])) for method, _, rows in variants}  # type: ignore[index]  # rows: a DataFrame
    chosen, records = 0, []
    for i, (method, result, _) in enumerate(variants):
        record = Variant(method=method, n=result.n, metrics=result.metrics, training=result.training, forgetting=result.forgetting)
        if i:
            against = variants[chosen][0]
            ids = [k for k in scores[method] if k in scores[against]]
            paired = compare([scores[against][k] for k in ids], [scores[method][k] for k in ids])
            record = record.model_copy(update=dict(against=against, test=paired.test, diff=paired.diff, p_value=paired.p_value))
            if paired.diff > 0 and paired.p_value < 1 - confidence:
                chosen = i
        records.append(record)
    records[chosen].chosen = True
    _, result, rows = variants[chosen]
    return result.model_copy(update={"variants": records}), rows
