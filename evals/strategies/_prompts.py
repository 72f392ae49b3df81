"""The rungs' prompt builders: each turns an eval example into the messages sent to the model."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from ..backends.base import Structure
from ..example import Example, to_dicts
from ..text import normalize_text
from ._grounding import UNKNOWN
from ._knowledge import Chunk
from ._retrieval import BM25Retriever, Hit, Retriever, search


@dataclass
class Prompt:
    messages: list[dict]
    context: dict = field(default_factory=dict)
    """What the strategy used (shot ids, retrieved chunk ids), kept with the row."""
    structure: Structure | None = None
    """The answer format of this prompt alone (extractive RAG), used in place of the run's."""


def _system(example: Example, system_prompt: str | None) -> list[dict]:
    text = system_prompt if system_prompt is not None else example.system
    return [{"role": "system", "content": text}] if text else []


def _turns(example: Example) -> list[dict]:
    """The example's conversation without its system message and final answer."""
    return to_dicts([m for m in example.prompt if m.role != "system"])


@dataclass
class ZeroShot:
    """The system prompt and the input, nothing else."""

    system_prompt: str | None = None
    name: str = "zero_shot"

    def __call__(self, example: Example) -> Prompt:
        return Prompt(_system(example, self.system_prompt) + _turns(example))


@dataclass
class FewShot:
    """k train examples as earlier user/assistant turns: the most similar inputs, or a fixed random sample."""

    pool: list[Example]
    k: int = 8
    select: str = "similar"
    seed: int = 0
    system_prompt: str | None = None
    name: str = "few_shot"

    def __post_init__(self) -> None:
        self._norm = normalize_text
        self._random = random.Random(self.seed).sample(self.pool, min(self.k, len(self.pool)))
        if self.select == "similar":
            chunks = [Chunk(str(i), str(i), ex.user_text) for i, ex in enumerate(self.pool)]
            self._index = BM25Retriever(chunks)

    def shots(self, example: Example) -> list[Example]:
        if self.select != "similar":
            return self._random
        query = self._norm(example.user_text)
        found = search(self._index, example.user_text, self.k + 1)
        # An identical input in the pool would hand the model its answer: skip it.
        shots = [self.pool[int(c.id)] for c in found if self._norm(self.pool[int(c.id)].user_text) != query]
        return shots[: self.k][::-1]  # most similar last, nearest the question

    def __call__(self, example: Example) -> Prompt:
        shots = self.shots(example)
        messages = _system(example, self.system_prompt)
        for shot in shots:
            messages += _turns(shot) + [{"role": "assistant", "content": shot.expected}]
        return Prompt(messages + _turns(example), {"shots": [s.key for s in shots]})


QA_INSTRUCTION = "Answer in a few words from the context{cite}."
"""Chosen on 96 squadshifts train questions (embedded model, one passage): 29 right, against 26 for "Answer with the
shortest span from the context, then the id of its passage in brackets. If the context does not say, answer:
unknown" (README, "Retrieval")."""
ANSWER_INSTRUCTION = "Answer from the context only{cite}."
CITE = ", then the id of its passage in brackets"
EXTRACT_INSTRUCTION = "Answer with {cite}the shortest span copied from the context. If the context does not say, answer: unknown"
EXTRACT_CITE = "the id of its passage in brackets, then "


@dataclass
class Rag:
    """The top-k knowledge chunks for the question, each under its `[doc-id]`, above the question in the user turn.

    The context sits right before the question, where a small model reads it (on train questions of the
    squadshifts set the embedded model answered 4 of 24 so, 1 of 24 with the context in the system
    message). `qa` asks for a few words from the context; `cite` asks for the passage id in brackets.
    `extract` (qa only) constrains the answer to `[id] span`: words copied from one retrieved passage
    under that passage's id (or "unknown"), as extractive QA systems answer.
    """

    retriever: Retriever
    top_k: int = 3
    system_prompt: str | None = None
    qa: bool = False
    cite: bool = True
    name: str = "rag"
    extract: bool = False

    def __call__(self, example: Example) -> Prompt:
        hits = self.retriever.hits(example.user_text, self.top_k)
        context = "\n\n".join(f"[{h.chunk.doc}] {h.chunk.text}" for h in hits)
        *earlier, question = _turns(example)
        asked = {"role": "user", "content": f"Context:\n{context}\n\nQuestion: {question['content']}\n{self.rule}"}
        retrieved = [{"id": h.chunk.id, "score": round(h.score, 6)} for h in hits]
        structure = self._extractive(hits) if self.extracts else None
        return Prompt(_system(example, self.system_prompt) + earlier + [asked], {"retrieved": retrieved}, structure)

    @property
    def extracts(self) -> bool:
        return self.qa and self.extract

    @property
    def rule(self) -> str:
        """The instruction after the question."""
        if self.extracts:
            return EXTRACT_INSTRUCTION.format(cite=EXTRACT_CITE if self.cite else "")
        return (QA_INSTRUCTION if self.qa else ANSWER_INSTRUCTION).format(cite=CITE if self.cite else "")

    def _extractive(self, hits: list[Hit]) -> Structure:
        cite = tuple(h.chunk.doc for h in hits) if self.cite else ()
        return Structure("extract", choices=(UNKNOWN,), passages=tuple(h.chunk.text for h in hits), cite=cite)
