"""A measured rung asked again after the knowledge changed (`data.knowledge_update`).

What a deployed system answers the day after the documents changed: the same prompt, the same
demonstrations, the same searched instruction, the same adapter; only retrieval reads the changed
documents. Nothing is trained or searched again. The answers are paired with the rung's own answers to
the same ids before the update, so a fine-tune that learned the old facts shows its drop as a number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from advisor.measure.repeats import item_scores
from advisor.measure.results import comparisons
from advisor.record.run import KnowledgeUpdate, RungResult
from advisor.scenario.schema import VOLATILE, Profile
from advisor.scenario.workspace import Workspace
from evals.backends.base import Backend
from evals.strategies import Prompt, Rag, folder_retriever

if TYPE_CHECKING:
    import pandas as pd

Strategy = Callable[[Any], Prompt]
"""Turns an eval example into the prompt sent (`evals.strategies`: ZeroShot, FewShot, Rag)."""

SUFFIX = "-update"
"""The journal rows and samples file of a rung's answers after the update: `samples/<rung>-update.jsonl`."""
OWN_KNOWLEDGE = "asked as it is: your system reads its own knowledge, so point it at the changed documents to measure that"


@dataclass(frozen=True)
class Deployed:
    """What a rung's reported answers came from: the prompts, the model that answered them and their grader."""

    strategy: Strategy
    backend: Backend
    grader: Any


def against(strategy: Strategy, after: Workspace) -> Strategy:
    """The strategy with retrieval from the changed documents (a prompt without retrieval is unchanged)."""
    settings = after.scenario.ladder.rag
    folder = after.scenario.data.knowledge
    if not isinstance(strategy, Rag) or settings is None or folder is None:
        return strategy
    queries = [ex.user_text for ex in after.eval_set]
    return replace(strategy, retriever=folder_retriever(settings.retriever, folder, settings.chunk_tokens, settings.chunk_overlap, queries))


def knowledge_update(asked: RungResult, before: pd.DataFrame, after: pd.DataFrame, profile: Profile, own_system: bool) -> KnowledgeUpdate:
    """The rung's numbers after the update, and their change on the ids it answered both before and after."""
    update = KnowledgeUpdate(
        n=asked.n,
        metrics=asked.metrics,
        errors=asked.errors,
        note=OWN_KNOWLEDGE if own_system else None,
        binding=profile.knowledge_changes in VOLATILE,
    )
    was, now = item_scores(before), item_scores(after)
    update.scores.update(now)
    shared = [i for i in now if i in was]
    if shared:  # the same ids before and after: `against` names the rung itself, before the update
        update.change = comparisons("after", {"after": now, "before": was}, against=lambda _: {"against": asked.name})[0]
        update.before = sum(was[i] for i in shared) / len(shared)
    return update
