"""One batched `model.generate` call: left padding, per-row stops, decoded results (streamed as they come where asked).

Imported only when the local backend generates, so it may import torch at the top.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, cast

import torch
from transformers import GenerationConfig, LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

from ._stream import RowStreamer, TextDeltas
from .base import Structure

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from ..models import CausalLM


@dataclass(frozen=True)
class Prompt:
    """One row of a batch: chat-templated token ids and how far to generate."""

    ids: list[int]
    max_tokens: int
    stop: tuple[str, ...] = ()
    structure: Structure | None = None
    """Constrain this row's answer to a format (None: free generation)."""
    on_text: Callable[[str], None] | None = field(default=None, compare=False, repr=False)
    """Called from the generating thread with each new piece of the answer as it settles (None: not streamed)."""


@dataclass(frozen=True)
class Generated:
    text: str
    output_tokens: int
    finish_reason: str
    """"stop" (end of turn or a stop string) or "length" (max_tokens reached)."""
    constraint_error: str | None = None
    """Why the engine stopped constraining this row mid-answer (None when it held, or was not asked)."""
    closed_at_budget: bool = False
    """A JSON answer about to run out of max_tokens was steered to close its strings, arrays and objects."""


class RowStops(StoppingCriteria):
    """Finish each row at end of turn, at a stop string or at its own max_tokens; the batch ends when all have."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, prompts: list[Prompt], width: int, eos_ids: set[int]):
        self.tokenizer, self.prompts, self.width, self.eos_ids = tokenizer, prompts, width, eos_ids
        self.finished: list[tuple[int, str] | None] = [None] * len(prompts)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor | None = None, **kwargs: Any) -> torch.BoolTensor:
        step = input_ids.shape[1] - self.width
        for row, token in enumerate(input_ids[:, -1].tolist()):
            if self.finished[row] is None:
                self.finished[row] = self._check(row, token, input_ids[row], step)
        return torch.tensor([f is not None for f in self.finished], device=input_ids.device)  # type: ignore[return-value]

    def _check(self, row: int, token: int, ids: torch.Tensor, step: int) -> tuple[int, str] | None:
        prompt = self.prompts[row]
        if token in self.eos_ids or (prompt.stop and self._hit_stop(prompt.stop, ids)):
            return step, "stop"
        return (step, "length") if step >= prompt.max_tokens else None

    def _hit_stop(self, stops: tuple[str, ...], ids: torch.Tensor) -> bool:
        # A stop string that ends in the newest token lies within its last few tokens (a token is >= 1 byte).
        window = 4 * max(len(s) for s in stops) + 4
        tail = ids[max(self.width, len(ids) - window) :]
        text = self.tokenizer.decode(tail, skip_special_tokens=True)
        return any(s in text for s in stops)


def left_pad(rows: list[list[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack token rows right-aligned, so every row's next token comes at the same position."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, width - len(row) :] = torch.tensor(row, dtype=torch.long)
        mask[i, width - len(row) :] = 1
    return ids.to(device), mask.to(device)


def generation_config(max_new_tokens: int, temperature: float, pad_id: int, eos_ids: set[int]) -> GenerationConfig:
    """Greedy at temperature 0, else plain temperature sampling (no top-k/top-p, as OpenAI does by default)."""
    sampling = dict(do_sample=True, temperature=temperature, top_k=0, top_p=1.0) if temperature > 0 else dict(do_sample=False)
    return GenerationConfig(max_new_tokens=max_new_tokens, pad_token_id=pad_id, eos_token_id=sorted(eos_ids), **sampling)


def end_ids(tokenizer: PreTrainedTokenizerBase, model: CausalLM) -> set[int]:
    """Token ids that end a turn: the tokenizer's EOS and whatever the model's generation config adds."""
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    ids = configured if isinstance(configured, list) else [configured]
    return {i for i in [tokenizer.eos_token_id, *ids] if i is not None}


def decode(tokenizer: PreTrainedTokenizerBase, ids: list[int], stops: tuple[str, ...]) -> str:
    """The generated text without special tokens, cut at the first stop string (which is not returned)."""
    text = cast(str, tokenizer.decode(ids, skip_special_tokens=True))  # one row of ids decodes to one string
    cuts = [text.find(s) for s in stops if s in text]
    return text[: min(cuts)] if cuts else text


def generate_batch(
    model: CausalLM, tokenizer: PreTrainedTokenizerBase, prompts: list[Prompt], *, temperature: float = 0.0, seed: int | None = None
) -> list[Generated]:
    """Generate for every prompt in one call and return each row's text, token count and finish reason."""
    eos_ids = end_ids(tokenizer, model)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(eos_ids)
    ids, mask = left_pad([p.ids for p in prompts], pad_id, model.device)
    stops = RowStops(tokenizer, prompts, ids.shape[1], eos_ids)
    config = generation_config(max(p.max_tokens for p in prompts), temperature, pad_id, eos_ids)
    grammar = None
    if any(p.structure is not None for p in prompts):
        from ._constrain import GrammarMask

        grammar = GrammarMask(tokenizer, [p.structure for p in prompts], ids.shape[1], [p.max_tokens for p in prompts])
    streamed = {row: TextDeltas(partial(decode, tokenizer), p.stop, p.on_text) for row, p in enumerate(prompts) if p.on_text}
    streamer = RowStreamer(streamed, stops.finished) if streamed else None
    if temperature > 0 and seed is not None:
        torch.manual_seed(seed)
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids,
            attention_mask=mask,
            generation_config=config,
            stopping_criteria=StoppingCriteriaList([stops]),
            logits_processor=LogitsProcessorList([grammar] if grammar else []),
            streamer=streamer,
        )
    results = []
    for row, prompt in enumerate(prompts):
        count, reason = stops.finished[row] or (out.shape[1] - ids.shape[1], "length")
        generated = out[row, ids.shape[1] : ids.shape[1] + count].tolist()
        failed, closed = (grammar.failed[row], grammar.closed[row]) if grammar else (None, False)
        results.append(Generated(decode(tokenizer, generated, prompt.stop), count, reason, failed, closed))
        if streamer is not None:
            streamer.finish(row, results[-1].text)
    return results
