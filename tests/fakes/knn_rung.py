"""A rung from outside the package, registered through the public API as a plugin would be: nearest neighbour.

It answers each eval input with the answer of the train example whose words overlap it most: the classic
baseline a team puts beside its prompts. It needs no model, so a test of the open ladder runs in seconds.
"""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict, Field

from advisor import Rung, RungPlan, evaluate, register_rung
from evals.backends.base import Completion, GenerationParams
from evals.strategies import ZeroShot


class NearestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    min_overlap: int = Field(default=1, ge=0)
    """Shared words below which it answers 'unknown'."""


class NearestBackend:
    """Answers with the train answer whose input shares the most words with the question."""

    spec = "nearest:train"

    def __init__(self, train, min_overlap: int):
        self.train = [(set(ex.user_text.lower().split()), ex.expected) for ex in train]
        self.min_overlap = min_overlap

    @property
    def identity(self) -> dict:
        return {"backend": "nearest", "train": len(self.train), "min_overlap": self.min_overlap}

    async def complete(self, messages: list[dict], params: GenerationParams) -> Completion:
        started = time.perf_counter()
        words = set(messages[-1]["content"].lower().split())
        overlap, answer = max(((len(words & seen), answer) for seen, answer in self.train), default=(0, "unknown"))
        text = answer if overlap >= self.min_overlap else "unknown"
        return Completion(text, 0, 0, time.perf_counter() - started)


def plan(ws, settings: NearestSettings) -> RungPlan:
    if not ws.train_set:
        return RungPlan("nearest", skip_reason="no train set to look answers up in")

    async def measure(cell, plan):
        def finish(result, rows, prompts) -> None:  # its own section of the record
            unknown = int((rows["output"] == "unknown").sum())
            result.details = {"train_examples": len(cell.ws.train_set), "unknown": unknown}

        backend = NearestBackend(cell.ws.train_set, settings.min_overlap)
        return await evaluate(cell, plan.strategy, backend=backend, finish=finish)

    return RungPlan("nearest", ZeroShot(ws.system_prompt), measure=measure)


def summary(result) -> list[str]:
    """Its section of the reports."""
    d = result.details or {}
    return [f"Looked answers up among {d.get('train_examples', 0)} train examples; {d.get('unknown', 0)} items had no overlap."]


RUNG = Rung(
    name="nearest",
    title="nearest neighbour",
    order=15,
    settings=NearestSettings,
    plan=plan,
    wizard="nearest neighbour (the answer of the most similar train example)",
    color="#222222",
    summary=summary,
)


def register() -> Rung:
    return register_rung(RUNG)
