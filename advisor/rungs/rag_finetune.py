"""RAG and fine-tune combined: a model tuned to answer from retrieved passages, then asked with retrieval.

RAFT (Zhang et al. 2024, "RAFT: Adapting Language Model to Domain Specific RAG"): each training question
is shown `ladder.rag.top_k` passages as the RAG rung would show them, and answered as the data answers it.
A share of them (`gold_share`, RAFT's P) holds the passage that answers the question among distractors; the
rest hold distractors only, so the model learns to take the answer from the context when it is there and
not to trust whatever it is shown. It trains with the fine-tune's recipe (`ladder.finetune`: epochs, best
checkpoint by the grader, forgetting check) and is measured as the RAG rung is (grounding, citations).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from pydantic import Field

from advisor.measure.cell import Cell, Measured, RungPlan
from advisor.registry import Rung
from advisor.rungs.finetune import rung as finetune
from advisor.rungs.finetune.train import training_examples
from advisor.rungs.rag.rung import evaluate_grounded, retrieval
from advisor.scenario.schema import Strict
from advisor.scenario.workspace import Workspace
from evals.example import Example, Message
from evals.strategies import Chunk, Hit, Rag, SourceIndex
from trainers import planned_epochs

CANDIDATES = 10
"""Passages retrieved per training question to draw its distractors from."""


class RagFinetuneSettings(Strict):
    """RAG and fine-tune combined (RAFT): trained on questions with retrieved passages, asked with retrieval.
    Retrieval is `ladder.rag`'s, training `ladder.finetune`'s."""

    gold_share: float = Field(default=0.8, ge=0.0, le=1.0)
    """Share of training questions whose passages include the one that answers them (from `meta.source`); the
    rest see distractors only. 0.8: the P that RAFT found best on most of its datasets; 1.0 teaches the model to
    trust whatever it is shown."""
    seed: int = 0
    """Seed of which questions keep their passage and of the passages' order."""


@dataclass(frozen=True)
class Shown:
    """The passages one training question is shown, and whether the one that answers it is among them."""

    hits: list[Hit]
    gold: Chunk | None


class FixedContexts:
    """A retriever that returns the passages chosen for each training question (the Rag prompt asks it)."""

    def __init__(self, shown: dict[str, Shown], chunks: list[Chunk]):
        self.shown, self.chunks = shown, chunks

    def hits(self, query: str, k: int) -> list[Hit]:
        return self.shown[query].hits[:k]


def raft_contexts(train: list[Example], rag: Rag, gold_share: float, seed: int) -> dict[str, Shown]:
    """Per training question (its user text): top_k passages, the answering one among them for `gold_share` of the
    questions that name their source, distractors only for the rest, in a seeded random order."""
    rng, index = random.Random(seed), SourceIndex(rag.retriever.chunks)
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in rag.retriever.chunks:
        by_doc.setdefault(chunk.source, []).append(chunk)
    shown = {}
    for example in train:
        hits = rag.retriever.hits(example.user_text, max(CANDIDATES, rag.top_k + 1))
        gold_docs = index.gold(example)
        if not gold_docs:  # nothing names its passage: shown what retrieval finds, as at eval
            shown[example.user_text] = Shown(hits[: rag.top_k], None)
            continue
        distractors = [h for h in hits if h.chunk.source not in gold_docs]
        gold = _gold_chunk(example, [c for doc in sorted(gold_docs) for c in by_doc.get(doc, [])], hits)
        keep = gold is not None and rng.random() < gold_share
        picked = ([Hit(gold, 1.0)] if keep and gold else []) + distractors[: rag.top_k - (1 if keep else 0)]
        rng.shuffle(picked)
        shown[example.user_text] = Shown(picked, gold if keep else None)
    return shown


def _gold_chunk(example: Example, chunks: list[Chunk], hits: list[Hit]) -> Chunk | None:
    """The chunk of the answering document that holds the answer (else the one retrieval ranks first, else its first)."""
    answers = [a.lower() for a in example.answers]
    holding = [c for c in chunks if any(a and a in c.text.lower() for a in answers)]
    ranked = [h.chunk for h in hits if h.chunk in holding or (not holding and h.chunk in chunks)]
    first = ranked or holding or chunks
    return first[0] if first else None


def raft_train(train: list[Example], shown: dict[str, Shown], cite: bool) -> list[Example]:
    """The training examples: the answer as the data gives it, citing the answering passage when it is shown."""
    out = []
    for example in train:
        gold = shown[example.user_text].gold
        answer = f"{example.expected} [{gold.doc}]" if cite and gold is not None else example.expected
        messages = [*example.prompt, Message(role="assistant", content=answer)]
        out.append(Example(messages=messages, id=example.id, meta=example.meta))
    return out


def plan(ws: Workspace, settings: RagFinetuneSettings) -> RungPlan:
    ladder = ws.scenario.ladder
    if ladder.rag is None or ladder.finetune is None:
        return RungPlan("rag_finetune", skip_reason="it retrieves as ladder.rag and trains as ladder.finetune: turn both on")
    tuned = finetune.plan(ws, ladder.finetune)
    if tuned.skip_reason is not None:
        return RungPlan("rag_finetune", skip_reason=tuned.skip_reason)
    strategy = retrieval(ws, ladder.rag)
    if strategy is None:
        return RungPlan("rag_finetune", skip_reason="no knowledge folder (data.knowledge)")
    return RungPlan(
        "rag_finetune",
        strategy,
        measure=measure,
        trains_on=training_examples(ws.train_set, strategy),  # about the size it trains on: top_k passages a question
        epochs=planned_epochs(ladder.finetune, len(ws.train_set)),
    )


async def measure(cell: Cell, plan: RungPlan) -> Measured:
    """Build the RAFT training set, train with the fine-tune's recipe, then measure with retrieval like the RAG rung."""
    ws, settings = cell.ws, cell.ws.scenario.ladder.rag_finetune
    strategy, recipe = plan.strategy, ws.scenario.ladder.finetune
    assert isinstance(strategy, Rag) and recipe is not None and settings is not None  # the plan exists only with all three
    shown = raft_contexts(ws.train_set, strategy, settings.gold_share, settings.seed)
    teacher = replace(strategy, retriever=FixedContexts(shown, strategy.retriever.chunks))
    trained_on = replace(ws, train_set=raft_train(ws.train_set, shown, strategy.cite))
    tuned = await finetune.train(cell, teacher, recipe, "rag_finetune", trained_on)
    return await evaluate_grounded(cell, plan, then=finetune.with_training(tuned, ws), backend=tuned.backend)


RUNG = Rung(
    name="rag_finetune",
    title="RAG + fine-tune",
    order=55,
    settings=RagFinetuneSettings,
    plan=plan,
    on=False,  # a scenario turns it on (ladder.rag_finetune: {}) until its measurements on real data say when it pays
    trains=True,
    needs_knowledge=True,
    color="#72b7b2",
)
