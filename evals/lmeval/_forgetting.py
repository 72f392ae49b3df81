"""The forgetting check: the canary tasks on the base model and on base + adapter, compared item by item.

The base model's scores are cached per machine (see `cached_base`), so only the adapter is evaluated
on later checks. Items of all canary tasks are pooled: base and adapter rates carry Wilson intervals,
the change a paired-bootstrap interval over the same items.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, Problem
from ..stats import Interval, paired_bootstrap, wilson
from ._canary import CANARY_DIR, cached_base, canary_tasks, save_base
from ._run import TaskResult, adapter_folder, evaluate_tasks

if TYPE_CHECKING:  # torch and transformers are imported when a check runs
    from transformers import PreTrainedTokenizerBase

    from ..models import CausalLM


def forgetting_check(
    model: str = "smollm2-135m",
    adapter: str | Path | None = None,
    *,
    peft_model: CausalLM | None = None,
    tokenizer: PreTrainedTokenizerBase | None = None,
    confidence: float = 0.95,
    threshold: float = 0.05,
    canary: str | Path = CANARY_DIR,
    extra: Sequence[str | Path] = (),
    batch_size: int = 8,
    tuned_model: str | Path | None = None,
) -> dict:
    """Canary accuracy of `model` and of `model` + adapter (a folder, or an in-memory `peft_model`), as a `Forgetting` dict.

    Args:
        threshold: flag the adapter when it loses more than this much canary accuracy (0.05: 5 points).
        canary: the folder of canary task files.
        extra: more task files in the canary format, checked on top of the folder's.
        tuned_model: instead of an adapter, a whole fine-tuned model folder (a full fine-tune of `model`).
    """
    if adapter is None and peft_model is None and tuned_model is None:
        fix = "pass an adapter folder, an in-memory peft_model or a fine-tuned model folder"
        raise InputError(Problem("the forgetting check needs an adapter", fix=fix, field="adapter"))
    if adapter is not None:
        adapter = adapter_folder(adapter)  # before the base model's run, which may take a while
    tasks = canary_tasks(canary, extra=extra)
    base = base_scores(model, tasks, canary, peft_model=peft_model, tokenizer=tokenizer, batch_size=batch_size, extra=extra)
    if tuned_model is not None:
        tuned = evaluate_tasks(tasks, str(Path(tuned_model).resolve()), batch_size=batch_size)
    else:
        tuned = evaluate_tasks(tasks, model, adapter, peft_model=peft_model, tokenizer=tokenizer, batch_size=batch_size)
    return compare_scores(base, item_scores(tuned), confidence=confidence, threshold=threshold)


def item_scores(results: dict[str, TaskResult]) -> dict[str, dict]:
    """Per task, the item ids and their scores: what is cached and compared."""
    return {name: {"ids": r.ids, "scores": r.scores} for name, r in results.items()}


def base_scores(
    model: str,
    tasks: list[dict],
    canary: str | Path = CANARY_DIR,
    *,
    peft_model: CausalLM | None = None,
    tokenizer: PreTrainedTokenizerBase | None = None,
    batch_size: int = 8,
    extra: Sequence[str | Path] = (),
) -> dict[str, dict]:
    """The base model's canary scores: from the cache, else evaluated (under a PeftModel's adapter when given) and cached."""
    path, cached = cached_base(model, canary, extra)
    if cached is not None:
        return cached
    if peft_model is not None and hasattr(peft_model, "disable_adapter"):
        with peft_model.disable_adapter():  # the base weights are already loaded: no second copy
            scores = item_scores(evaluate_tasks(tasks, peft_model=peft_model, tokenizer=tokenizer, batch_size=batch_size))
    else:
        scores = item_scores(evaluate_tasks(tasks, model, batch_size=batch_size))
    save_base(path, scores)
    return scores


def compare_scores(base: dict[str, dict], tuned: dict[str, dict], *, confidence: float = 0.95, threshold: float = 0.05) -> dict:
    """The `Forgetting` dict of two runs of the same canary tasks (per task: ids and scores)."""
    before, after, tasks = [], [], {}
    for name in sorted(base):
        if tuned.get(name, {}).get("ids") != base[name]["ids"]:
            raise ValueError(f"canary task {name} has other items in the two runs")
        before += base[name]["scores"]
        after += tuned[name]["scores"]
        n = len(base[name]["scores"])
        tasks[name] = {"base": sum(base[name]["scores"]) / n, "adapter": sum(tuned[name]["scores"]) / n, "n": n}
    change = paired_bootstrap(before, after, confidence).interval
    assert change is not None  # the bootstrap always gives an interval of the difference
    return {
        "base": _metric(wilson(sum(before), len(before), confidence)),
        "adapter": _metric(wilson(sum(after), len(after), confidence)),
        "change": _metric(change),
        "threshold": threshold,
        "flagged": bool(change.value < -threshold),
        "tasks": tasks,
    }


def _metric(interval: Interval) -> dict[str, float]:
    return {"value": interval.value, "lower": interval.lower, "upper": interval.upper}
