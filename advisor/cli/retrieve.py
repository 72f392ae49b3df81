"""`advisor retrieve`: the retrieval curve of a scenario's RAG rung in seconds, without a model call."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, cast

import click
from rich.markup import escape

from evals.errors import InputError, Problem
from evals.strategies import RETRIEVERS, RetrieverKind

from . import output

if TYPE_CHECKING:
    from evals.strategies import RetrievalCurve


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--retriever", type=click.Choice(RETRIEVERS), help="Override ladder.rag.retriever.")
@click.option("--limit", type=click.IntRange(min=1), help="Score only the first N eval examples.")
def retrieve(scenario: str, retriever: str | None, limit: int | None) -> None:
    """Print recall@k and MRR@k for k = 1..10: where the eval questions' source documents rank."""
    from advisor.rungs.rag.settings import RagSettings as Rag
    from advisor.scenario.file import load_scenario
    from evals.data import load_jsonl
    from evals.strategies import FORMS, SourceIndex, load_knowledge, make_retriever, retrieval_curve

    started = time.perf_counter()
    spec = load_scenario(scenario)
    config = spec.ladder.rag or Rag()
    if spec.data.knowledge is None:
        raise InputError(
            Problem(
                "the scenario has no knowledge folder to retrieve from", fix="set data.knowledge", file=scenario, field="data.knowledge"
            )
        )
    kind = cast(RetrieverKind, retriever) if retriever else config.retriever  # click checked it against RETRIEVERS
    chunks = load_knowledge(spec.data.knowledge, config.chunk_tokens, config.chunk_overlap)
    examples = load_jsonl(spec.data.eval)[:limit]
    curve = retrieval_curve(make_retriever(kind, chunks), examples, SourceIndex(chunks))
    if not curve.with_source:
        raise InputError(
            Problem(
                "no eval example names its source document, so recall cannot be measured",
                fix='add "meta": {"source": "<document>"} to the eval lines',
                file=spec.data.eval,
                field="meta.source",
            )
        )
    if not curve.n:
        raise InputError(
            Problem(
                f"no eval meta.source matches a knowledge document (tried {FORMS})",
                fix="name each source as its path under the knowledge folder",
                file=spec.data.eval,
                field="meta.source",
            )
        )
    _print(curve, kind, len(chunks), config.top_k, time.perf_counter() - started)


def _print(curve: RetrievalCurve, kind: str, chunks: int, top_k: int, seconds: float) -> None:
    from rich.table import Table

    table = Table(title=f"{kind} · {chunks} chunks · {curve.n} questions", title_justify="left")
    for name in ("k", "recall@k", "MRR@k"):
        table.add_column(name, justify="right")
    for k, (recall, mrr) in enumerate(zip(curve.recall, curve.mrr), 1):
        mark = " ◀ top_k" if k == top_k else ""
        table.add_row(f"{k}{mark}", f"{recall:.3f}", f"{mrr:.3f}")
    output.console.print(table)
    if curve.unmatched:
        output.err_console.print(
            f"[yellow]warning:[/] {curve.unmatched} of {curve.with_source} sources match no document; they are left out", soft_wrap=True
        )
    saturated = next(k for k, r in enumerate(curve.recall, 1) if r >= curve.recall[-1])
    output.console.print(escape(f"Recall reaches {curve.recall[-1]:.3f} at k = {saturated}. ({seconds:.1f} s, no model call)"))
