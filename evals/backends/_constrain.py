"""Constrained decoding for the local backend: a logits processor that masks every token the grammar forbids.

Each row of a batch carries its own matcher (or none, for free generation), so constrained and free
requests can share one `generate` call. When a row's grammar is complete only the end-of-turn token
stays allowed, so the answer ends exactly where the format does.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import torch
from transformers import LogitsProcessor

from .base import Structure

_lock = threading.Lock()
_tokenizers: dict[int, tuple[object, object]] = {}
_prototypes: dict[tuple[int, Structure], Any] = {}
MAX_PROTOTYPES = 256
"""Compiled grammars kept: a label set is asked thousands of times, an extractive grammar (its question's
passages) once, so the oldest are dropped rather than kept for every question."""


def engine_tokenizer(tokenizer):
    """llguidance's view of a transformers tokenizer, built once per tokenizer (about 0.6 s)."""
    import llguidance.hf

    with _lock:
        kept = _tokenizers.get(id(tokenizer))
        if kept is None or kept[0] is not tokenizer:
            kept = (tokenizer, llguidance.hf.from_tokenizer(tokenizer, eos_token=tokenizer.eos_token_id))
            _tokenizers[id(tokenizer)] = kept
        return kept[1]


def matcher(tokenizer, structure: Structure):
    """A fresh matcher for one answer, copied from a compiled prototype per (tokenizer, structure)."""
    import llguidance

    from ._grammar import grammar_of

    info = engine_tokenizer(tokenizer)
    key = (id(tokenizer), structure)
    with _lock:
        prototype = _prototypes.get(key)
        if prototype is None:
            prototype = llguidance.LLMatcher(info, grammar_of(structure))
            if prototype.is_error():
                raise ValueError(f"cannot constrain to this {structure.kind}: {prototype.get_error()}")
            if len(_prototypes) >= MAX_PROTOTYPES:
                del _prototypes[next(iter(_prototypes))]
            _prototypes[key] = prototype
    return prototype.deep_copy()


class GrammarMask(LogitsProcessor):
    """Advance each row's matcher by the token it just generated, then mask what its grammar forbids next."""

    def __init__(self, tokenizer, structures: list[Structure | None], width: int):
        self.width = width
        self.matchers = [matcher(tokenizer, s) if s is not None else None for s in structures]
        self.vocab = engine_tokenizer(tokenizer).vocab_size
        self.bitmask = torch.full((len(structures), (self.vocab + 31) // 32), -1, dtype=torch.int32)
        self.failed: list[str | None] = [None] * len(structures)
        self.done = [False] * len(structures)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        from llguidance.torch import fill_next_token_bitmask

        last = input_ids[:, -1].tolist() if input_ids.shape[1] > self.width else None
        rows = []
        for row, m in enumerate(self.matchers):
            if m is None or self.failed[row] or self.done[row]:
                continue  # free, finished (its next tokens are padding) or broken: leave its logits alone
            if last is not None:
                if m.is_stopped():  # the grammar was complete, so the last step allowed only the end of turn
                    self.done[row] = True
                    continue
                if not m.consume_token(last[row]):
                    self.failed[row] = m.get_error() or "the grammar refused a token"
                    continue
            fill_next_token_bitmask(m, self.bitmask, row)
            rows.append(row)
        if rows:
            scores = scores.clone()
            index = torch.tensor(rows)
            scores[index] = scores[index].masked_fill(self._forbidden(rows, scores.shape[1]).to(scores.device), float("-inf"))
        return scores

    def _forbidden(self, rows: list[int], width: int) -> torch.Tensor:
        """The bitmask rows as booleans, True where a token is forbidden (bit i of word w is token 32w + i)."""
        bits = np.unpackbits(self.bitmask[rows].numpy().view(np.uint8), axis=1, bitorder="little")
        forbidden = torch.ones((len(rows), width), dtype=torch.bool)
        usable = min(width, self.vocab)
        forbidden[:, :usable] = torch.from_numpy(bits[:, :usable] == 0)
        return forbidden
