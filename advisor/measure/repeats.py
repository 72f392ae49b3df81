"""`--repeat N`: N independent samples of each item, summed up as pass^N and agreement."""

from __future__ import annotations

from typing import TYPE_CHECKING

from evals.stats import wilson

if TYPE_CHECKING:
    import pandas as pd


def item_scores(rows: pd.DataFrame) -> dict[str, float]:
    """Each item's score, averaged over its repeats (what the paired tests between rungs compare)."""
    return {str(k): float(v) for k, v in rows.groupby("id", sort=False)["score"].mean().items()}


def repeat_summary(rows: pd.DataFrame, confidence: float) -> dict | None:
    """With more than one repeat: pass^N (every sample of an item right), agreement (all N outputs the same),
    and the mean score over every sample; None for a single repeat."""
    n = int(rows["repeat"].max()) + 1 if "repeat" in rows and len(rows) else 1
    if n < 2:
        return None
    by_item = rows.groupby("id", sort=False)
    passed = by_item["score"].apply(lambda s: bool((s >= 1.0).all()))
    agreed = by_item["output"].apply(lambda s: s.nunique(dropna=False) == 1)
    pass_all = wilson(int(passed.sum()), len(passed), confidence)
    return {
        "n": n,
        "items": len(passed),
        "pass_all": pass_all.as_dict(),
        "agreement": float(agreed.mean()),
        "mean_score": float(rows["score"].mean()),
    }
