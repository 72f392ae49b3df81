"""Run lm-eval tasks offline on a local model (optionally with a peft adapter) and keep every item's score."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, Problem

if TYPE_CHECKING:  # lm-eval, torch and transformers are imported when a check runs
    from lm_eval.models.huggingface import HFLM
    from transformers import PreTrainedTokenizerBase

    from ..models import CausalLM


@dataclass(frozen=True)
class TaskResult:
    """One task's outcome: aggregate metrics and, in document order, each item's id, score and format validity."""

    name: str
    metrics: dict[str, float]
    ids: list[str]
    scores: list[float]
    format_valid: list[bool]
    outputs: list[str]
    """The generated text (generation tasks) or the chosen option (multiple choice)."""


def evaluate_tasks(
    tasks: Sequence[dict | str],
    model: str = "smollm2-135m",
    adapter: str | Path | None = None,
    *,
    peft_model: CausalLM | None = None,
    tokenizer: PreTrainedTokenizerBase | None = None,
    include_path: str | Path | None = None,
    batch_size: int = 8,
) -> dict[str, TaskResult]:
    """Evaluate task configs (or task names found under `include_path`) with lm-eval, chat template on.

    Args:
        model: an embedded model name, a model folder or a hub id (see `evals.models.resolve_model`).
        adapter: a peft adapter folder applied on top of `model`.
        peft_model, tokenizer: an in-memory model (e.g. a PeftModel) to evaluate instead of loading `model`;
            it is left in the training mode it came in.
    """
    from ..models import set_offline_env

    set_offline_env()
    was_training = getattr(peft_model, "training", False)
    try:
        with _quiet():
            res = _simple_evaluate(list(tasks), _language_model(model, adapter, peft_model, tokenizer, batch_size), include_path)
    finally:
        if peft_model is not None:
            peft_model.train(was_training)
    return {name: _task_result(name, res["results"][name], samples) for name, samples in res["samples"].items()}


def _simple_evaluate(tasks: list, lm: HFLM, include_path: str | Path | None) -> dict:
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    # Without include_defaults=False the manager indexes every built-in task first (~14 s).
    manager = TaskManager(include_path=str(include_path) if include_path else None, include_defaults=False)
    return simple_evaluate(model=lm, tasks=tasks, task_manager=manager, apply_chat_template=True, bootstrap_iters=0, log_samples=True)


def _language_model(
    model: str, adapter: str | Path | None, peft_model: CausalLM | None, tokenizer: PreTrainedTokenizerBase | None, batch_size: int
) -> HFLM:
    """lm-eval's HFLM on the given in-memory model, or on `model` (and adapter) loaded as the local backend loads it."""
    import functools

    from lm_eval.models.huggingface import HFLM

    from ..backends.local import set_threads

    set_threads()
    if peft_model is None:
        tokenizer, peft_model = _load(model, adapter)
    elif tokenizer is None:
        raise ValueError("pass the tokenizer with peft_model")
    lm_logger = logging.getLogger("lm_eval")
    level = lm_logger.level
    lm_logger.setLevel(logging.ERROR)  # it warns that a model object ignores loading options: none are given
    try:
        # The chat-templated prompt carries its own start token, as in the local backend.
        lm = HFLM(pretrained=peft_model, tokenizer=tokenizer, batch_size=batch_size, add_bos_token=False)
    finally:
        lm_logger.setLevel(level)
    for method in ("generate_until", "loglikelihood"):  # their progress bars can only be turned off per call
        setattr(lm, method, functools.partial(getattr(lm, method), disable_tqdm=True))
    return lm


def _load(model: str, adapter: str | Path | None) -> tuple[PreTrainedTokenizerBase, CausalLM]:
    """Tokenizer and model with `evals.models.load_model` (same device and dtype as the harness), adapter applied."""
    from ..models import load_model, resolve_model

    folder = adapter_folder(adapter) if adapter is not None else None
    tokenizer, loaded = load_model(resolve_model(model))
    if folder is None:
        return tokenizer, loaded
    from peft import PeftModel

    with warnings.catch_warnings():  # peft calls a transformers API deprecated in v5; not the user's concern
        warnings.simplefilter("ignore", FutureWarning)
        return tokenizer, PeftModel.from_pretrained(loaded, folder).eval()


def adapter_folder(adapter: str | Path) -> Path:
    """The adapter folder as an absolute path; anything but a peft adapter folder is an InputError."""
    folder = Path(adapter).expanduser().resolve()
    if not (folder / "adapter_config.json").is_file():
        fix = "point to a folder written by peft's save_pretrained (it holds adapter_config.json)"
        raise InputError(Problem(f"{folder} is not a peft adapter folder", fix=fix, field="adapter"))
    return folder


def _task_result(name: str, aggregate: dict, samples: list[dict]) -> TaskResult:
    """lm-eval's own aggregate (`metric,filter` keys) and, in document order, each sample's scores."""
    samples = sorted(samples, key=lambda s: s["doc_id"])
    metric = "accuracy" if "accuracy,none" in aggregate else "acc"  # our grader's tasks, or multiple choice
    metrics = {"accuracy": float(aggregate[f"{metric},none"]), "format_valid": float(aggregate.get("format_valid,none", 1.0))}
    return TaskResult(
        name,
        metrics,
        [str(s["doc"]["id"]) for s in samples],
        [float(s[metric]) for s in samples],
        [bool(s.get("format_valid", 1.0)) for s in samples],
        [_output(s) for s in samples],
    )


def _output(sample: dict) -> str:
    """What the model answered: the generated text, or the option with the highest loglikelihood."""
    responses = sample["filtered_resps"]
    if sample["doc"].get("choices") is None:
        return str(responses[0])
    best = max(range(len(responses)), key=lambda i: float(responses[i][0]))
    return sample["doc"]["choices"][best]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """While lm-eval runs: its INFO logs, the progress bars of datasets and of request building, and git are off."""
    import functools
    from unittest import mock

    import datasets
    import lm_eval.api.task
    import lm_eval.evaluator

    loggers = [logging.getLogger(n) for n in ("lm_eval", "datasets", "peft")]
    levels = [lg.level for lg in loggers]
    bars_were_on = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    no_bar = functools.partial(lm_eval.api.task.tqdm, disable=True)  # no lm-eval option turns this bar off
    # The git hash of the working folder means nothing here, and outside a repository git prints "fatal: ...".
    no_git = mock.patch.object(lm_eval.evaluator, "get_git_commit_hash", lambda: None)
    with mock.patch.object(lm_eval.api.task, "tqdm", no_bar), no_git:
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels):
                lg.setLevel(level)
            if bars_were_on:
                datasets.enable_progress_bars()
