"""The forgetting check through a chat backend: for a hosted fine-tune, whose weights lm-eval cannot load.

The canary files of the local check (`read_canary`) go to the base model and to the tuned model through
any `Backend` (the `openai` one for an OpenAI-compatible API) with `CANARY_PARAMS`, and each answer is
graded by the grader the lm-eval bridge builds for that file. A chat API gives no likelihood of a given
answer, so a multiple-choice item is asked with its options listed and graded by the label grader over
them. Base and tuned scores are compared as the local check compares them (`compare_scores`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from pathlib import Path

from ..backends.base import Backend
from ..example import Example, Message, to_dicts
from ..graders import Score, label_grader
from ..runner import Cache, Runner, check_error_budget
from ._canary import CANARY_DIR, CANARY_PARAMS, CanaryTask, read_canary
from ._forgetting import compare_scores
from ._grading import build


async def chat_forgetting_check(
    base: Backend,
    tuned: Backend,
    *,
    confidence: float = 0.95,
    threshold: float = 0.05,
    canary: str | Path = CANARY_DIR,
    extra: Sequence[str | Path] = (),
    cache: Cache | None = None,
    concurrency: int = 8,
) -> dict:
    """Canary accuracy of the `base` and the `tuned` backend, item by item, as a `Forgetting` dict (see `forgetting_check`)."""
    tasks = read_canary(canary, extra)
    before = await chat_scores(base, tasks, cache=cache, concurrency=concurrency)
    after = await chat_scores(tuned, tasks, cache=cache, concurrency=concurrency)
    return compare_scores(before, after, confidence=confidence, threshold=threshold)


async def chat_scores(
    backend: Backend, tasks: Sequence[CanaryTask], *, cache: Cache | None = None, concurrency: int = 8
) -> dict[str, dict]:
    """Per task, the item ids and the backend's scores; a call that fails after its retries is a BackendError, not a 0."""
    scores = {}
    for task in tasks:
        examples = task.examples if task.grading is not None else [asked_with_options(ex) for ex in task.examples]
        grader = build(task.grading) if task.grading is not None else _choice
        runner = Runner(backend, grader, params=CANARY_PARAMS, concurrency=concurrency, cache=cache)
        rows = await runner.run([(ex, to_dicts(ex.prompt)) for ex in examples], rung=task.name)
        check_error_budget(rows, max_error_rate=0.0)  # a missing answer would read as forgetting
        scores[task.name] = {"ids": [str(i) for i in rows["id"]], "scores": [float(s) for s in rows["score"]]}
    return scores


def asked_with_options(example: Example) -> Example:
    """A multiple-choice item as a chat question: the user turn ends with its options (`meta.choices`)."""
    options = "; ".join(str(c) for c in example.meta["choices"])
    question = Message(role="user", content=f"{example.user_text}\nAnswer with one of: {options}.")
    system = [m for m in example.prompt if m.role == "system"]
    return example.model_copy(update={"messages": [*system, question, example.messages[-1]]})


def _choice(output: str, example: Example) -> Score | Awaitable[Score]:
    """The label grader over the item's own options."""
    return label_grader([str(c) for c in example.meta["choices"]])(output, example)
