"""The RAG rung: passages retrieved from `data.knowledge` put before the question, answers grounded and cited.

Besides the task's metrics it measures retrieval (recall@k, MRR), grounding and citations, and splits the
failures into retrieval misses and wrong answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.measure.cell import Cell, Finish, Measured, RungPlan, evaluate
from advisor.record.run import MetricValue, RungResult
from advisor.registry import Rung
from advisor.rungs.rag.measure import RagOutcome, rag_outcome
from advisor.rungs.rag.settings import RagSettings
from advisor.scenario.workspace import Workspace
from evals.backends import Backend
from evals.strategies import Prompt, Rag, folder_retriever, grade_answer_only

if TYPE_CHECKING:
    import pandas as pd


def plan(ws: Workspace, settings: RagSettings) -> RungPlan:
    strategy = retrieval(ws, settings)
    if strategy is None:
        return RungPlan("rag", skip_reason="no knowledge folder (data.knowledge)")
    return RungPlan("rag", strategy, measure=measure)


def retrieval(ws: Workspace, settings: RagSettings) -> Rag | None:
    """The prompts with retrieved passages this scenario's knowledge and settings give, or None without knowledge."""
    folder = ws.scenario.data.knowledge
    if folder is None:
        return None
    queries = [ex.user_text for ex in ws.eval_set]
    retriever = folder_retriever(settings.retriever, folder, settings.chunk_tokens, settings.chunk_overlap, queries)
    qa = ws.scenario.task.kind == "qa"
    return Rag(retriever, settings.top_k, ws.system_prompt, qa=qa, cite=settings.cite, extract=settings.extract)


async def measure(cell: Cell, plan: RungPlan) -> Measured:
    return await evaluate_grounded(cell, plan)


async def evaluate_grounded(
    cell: Cell,
    plan: RungPlan,
    then: Finish | None = None,
    *,
    backend: Backend | None = None,
    ws: Workspace | None = None,
    label: str | None = None,
) -> Measured:
    """Evaluate a retrieval plan with its grounding and citation metrics; `then` finishes after the RAG section;
    `backend`, `ws` and `label` go to `evaluate` (e.g. a tuned backend)."""
    settings = cell.ws.scenario.ladder.rag
    strategy = plan.strategy
    assert isinstance(strategy, Rag) and settings is not None  # a retrieval plan always has a Rag strategy and settings
    outcome = RagOutcome()

    def grounding(prompts: list[Prompt], rows: pd.DataFrame) -> dict[str, MetricValue]:
        nonlocal outcome
        outcome = rag_outcome(strategy, settings.retriever, cell.ws.eval_set, prompts, rows, cell.ws.scenario.confidence)
        return outcome.metrics

    def finish(result: RungResult, rows: pd.DataFrame, prompts: list[Prompt]) -> None:
        result.rag = outcome.details
        for ex, prompt in zip(cell.ws.eval_set, prompts):  # the samples read what a prompt used from its context
            prompt.context["cited"] = outcome.cited.get(ex.key, [])
        if then is not None:
            then(result, rows, prompts)

    grader = grade_answer_only(cell.ws.grader())  # citations are not part of the answer
    return await evaluate(cell, strategy, backend=backend, ws=ws, label=label, grader=grader, extra_metrics=grounding, finish=finish)


RUNG = Rung(
    name="rag",
    title="RAG",
    order=40,
    settings=RagSettings,
    plan=plan,
    needs_knowledge=True,
    prompting=True,
    wizard="RAG (retrieval from knowledge)",
    color="#f58518",
)
