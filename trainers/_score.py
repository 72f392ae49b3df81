"""Validation by the task's own grader: the model in training answers the held-out chats as the eval asks it."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Callable
from typing import TYPE_CHECKING

from evals.example import Example, to_dicts

if TYPE_CHECKING:  # the graders import scipy: only when a run scores
    from transformers import PreTrainedTokenizerBase

    from evals.backends.base import GenerationParams
    from evals.graders import Grader
    from evals.models import CausalLM

ValScorer = Callable[["CausalLM", "PreTrainedTokenizerBase", list[Example]], float]
"""(model, tokenizer, held-out chats whose last turn is the expected answer) -> mean score in [0, 1]."""


def grader_scorer(grader: Grader, params: GenerationParams) -> ValScorer:
    """A scorer that generates each held-out answer with `params` (its `structure` constrains it as in the eval)
    through the local backend's batched generation, and averages the grader's scores."""

    def score(model: CausalLM, tokenizer: PreTrainedTokenizerBase, examples: list[Example]) -> float:
        return asyncio.run(_mean_score(model, tokenizer, examples, grader, params))

    return score


async def _mean_score(
    model: CausalLM, tokenizer: PreTrainedTokenizerBase, examples: list[Example], grader: Grader, params: GenerationParams
) -> float:
    from evals.backends.local import LocalBackend
    from evals.graders import grade

    backend = LocalBackend(model_obj=model, tokenizer=tokenizer, identity="in-training")
    outputs = await asyncio.gather(*(backend.complete(to_dicts(e.prompt), params) for e in examples))
    scores = [await grade(grader, out.text, example) for out, example in zip(outputs, examples)]
    return statistics.fmean(s.value for s in scores) if scores else 0.0
