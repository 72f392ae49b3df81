"""What a rung's rows say beyond the mean: the error budget and, with repeats, pass^N and agreement."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import BackendError

if TYPE_CHECKING:
    import pandas as pd


def error_rate(df: pd.DataFrame) -> float:
    """Share of rows whose backend call (or judge) failed; 0 for no rows."""
    return float(df["error"].notna().mean()) if len(df) else 0.0


def check_error_budget(df: pd.DataFrame, max_error_rate: float = 0.1) -> None:
    """Raise BackendError when more than `max_error_rate` of the rows failed: the numbers would mislead."""
    rate = error_rate(df)
    if rate <= max_error_rate:
        return
    failed = df[df["error"].notna()]
    raise BackendError(
        f"{len(failed)} of {len(df)} calls failed ({rate:.0%}), above the {max_error_rate:.0%} error budget; "
        f"first error: {failed['error'].iloc[0]}"
    )


def repeat_summary(df: pd.DataFrame, threshold: float = 1.0) -> dict:
    """Over items run N times: pass^N (all N correct), pass@1 (mean per attempt), and output agreement.

    A row is correct when it has no error and its score reaches `threshold`. Pass one rung's rows.
    """
    if not len(df):
        return {"repeats": 0, "items": 0, "pass_all": None, "pass_at_1": None, "agreement": None}
    correct = (df["score"] >= threshold) & df["error"].isna()
    groups = df.assign(correct=correct).groupby(["rung", "id"], sort=False)
    per_item = groups.agg(all_correct=("correct", "all"), outputs=("output", "nunique"), errors=("error", "count"))
    # An item agrees when every repeat returned the same text and none failed.
    agree = (per_item["outputs"] == 1) & (per_item["errors"] == 0)
    return {
        "repeats": int(groups.size().max()),
        "items": len(per_item),
        "pass_all": float(per_item["all_correct"].mean()),
        "pass_at_1": float(correct.mean()),
        "agreement": float(agree.mean()),
    }
