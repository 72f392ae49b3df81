"""The rungs' prompt builders: each turns an eval example into the messages sent to the model."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from ..example import Example, to_dicts
from ..text import normalize_text
from ._retrieval import Chunk, Retriever


@dataclass
class Prompt:
    messages: list[dict]
    context: dict = field(default_factory=dict)
    """What the strategy used (shot ids, retrieved chunk ids), kept with the row."""


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
            from ._retrieval import BM25Retriever

            chunks = [Chunk(str(i), str(i), ex.user_text) for i, ex in enumerate(self.pool)]
            self._index = BM25Retriever(chunks)

    def shots(self, example: Example) -> list[Example]:
        if self.select != "similar":
            return self._random
        query = self._norm(example.user_text)
        found = self._index.search(example.user_text, self.k + 1)
        # An identical input in the pool would hand the model its answer: skip it.
        shots = [self.pool[int(c.id)] for c in found if self._norm(self.pool[int(c.id)].user_text) != query]
        return shots[: self.k][::-1]  # most similar last, nearest the question

    def __call__(self, example: Example) -> Prompt:
        shots = self.shots(example)
        messages = _system(example, self.system_prompt)
        for shot in shots:
            messages += _turns(shot) + [{"role": "assistant", "content": shot.expected}]
        return Prompt(messages + _turns(example), {"shots": [s.key for s in shots]})


RAG_INSTRUCTION = (
    "Answer using only the context below. Quote facts exactly as written and cite the source in brackets."
)


@dataclass
class Rag:
    """The top-k knowledge chunks for the question go into the system message with their source ids."""

    retriever: Retriever
    top_k: int = 3
    system_prompt: str | None = None
    name: str = "rag"

    def __call__(self, example: Example) -> Prompt:
        chunks = self.retriever.search(example.user_text, self.top_k)
        context = "\n\n".join(f"[{c.id}]\n{c.text}" for c in chunks)
        base = self.system_prompt if self.system_prompt is not None else (example.system or "")
        system = f"{base}\n\n{RAG_INSTRUCTION}\n\nContext:\n{context}".strip()
        return Prompt([{"role": "system", "content": system}] + _turns(example),
                      {"retrieved": [c.id for c in chunks], "sources": [c.source for c in chunks]})


def recall_at_k(example: Example, prompt: Prompt) -> bool | None:
    """Whether the example's `meta.source` document was among the retrieved chunks (None: no source given)."""
    source = example.meta.get("source")
    if source is None or "sources" not in prompt.context:
        return None
    wanted = source if isinstance(source, list) else [source]
    return any(s in prompt.context["sources"] for s in wanted)
