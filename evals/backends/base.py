"""The Backend protocol: one async `complete` that turns chat messages into a Completion (and, for a backend that
streams, `complete_streamed`, which times the first token)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal, Protocol, runtime_checkable

StructureKind = Literal["choice", "json", "regex", "extract"]
StructureVia = Literal["response_format", "vllm"]


@dataclass(frozen=True)
class Structure:
    """What every answer must look like; a backend that supports it constrains generation to it.

    choice: exactly one of `choices`; json: a JSON value valid against `schema` (JSON text; an object
    schema when none was given); regex: a string that fully matches `pattern`; extract: whole words copied
    in order from one of `passages` (extractive QA), with `choices` as further answers allowed as they are
    (e.g. "unknown"). `via` is how an
    OpenAI-compatible server is asked: OpenAI's `response_format`, or vLLM's `guided_*` fields.
    """

    kind: StructureKind
    choices: tuple[str, ...] = ()
    schema: str | None = None
    pattern: str | None = None
    passages: tuple[str, ...] = ()
    cite: tuple[str, ...] = ()
    """extract: the id of each passage, written in brackets before a span copied from it; () for no citation."""
    via: StructureVia = "response_format"
    max_length: int | None = None
    """json: the longest string the grammar lets a value run to where the schema sets no maxLength (None: unbounded)."""
    max_items: int | None = None
    """json: the most items of an array where the schema sets no maxItems. Both bound a 135M model that repeats a value
    until max_tokens cuts the document; only grammar engines apply them (a hosted API gets the schema as written)."""


@dataclass(frozen=True)
class GenerationParams:
    """How to generate; part of the cache key."""

    max_tokens: int = 64
    temperature: float = 0.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    structure: Structure | None = None
    """Constrain the answer (structured output); None generates freely."""

    def as_dict(self) -> dict:
        out = asdict(self)
        if out["structure"] is None:  # free generation keys the cache as it did before structure existed
            del out["structure"]
        return out


def answer_room(expected: Iterable[str]) -> int:
    """max_tokens with room for the longest expected answer (about 3 characters a token) plus 16, at most 512."""
    longest = max((len(text) for text in expected), default=64)
    return min(512, longest // 3 + 16)


@dataclass
class Completion:
    text: str
    input_tokens: int
    output_tokens: int
    latency_s: float
    cached: bool = False
    extra: dict = field(default_factory=dict)
    ttft_s: float | None = None
    """Seconds to the first token of text, for a streamed call (None: not streamed, or no text came)."""


@runtime_checkable
class Backend(Protocol):
    """Anything that completes chat messages. `spec` names it (e.g. `local:smollm2-135m`)."""

    spec: str

    @property
    def identity(self) -> dict:
        """What makes its outputs what they are (model, adapter hash...): the cache keys on it."""
        ...

    async def complete(self, messages: list[dict], params: GenerationParams) -> Completion: ...


@runtime_checkable
class StreamingBackend(Protocol):
    """A backend that can also stream a completion, and so time its first token (the latency probe asks it)."""

    async def complete_streamed(self, messages: list[dict], params: GenerationParams) -> Completion:
        """As `complete`, streamed: the same answer, with `ttft_s` set."""
        ...
