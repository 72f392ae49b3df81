"""Constrained decoding for the local backend: a logits processor that masks every token the grammar forbids.

Each row of a batch carries its own matcher (or none, for free generation), so constrained and free
requests can share one `generate` call. When a row's grammar is complete only the end-of-turn token
stays allowed, so the answer ends exactly where the format does. A JSON answer that nears its max_tokens
is steered to close: among the tokens its grammar allows, only those made of `"`, `]` and `}` stay, where
there are any, so a model repeating a value ends with a valid document instead of one cut mid-string.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np
import torch
from transformers import LogitsProcessor, PreTrainedTokenizerBase, PreTrainedTokenizerFast

from .base import Structure

if TYPE_CHECKING:  # llguidance is imported when a row is constrained
    from llguidance import LLMatcher, LLTokenizer

_lock = threading.Lock()
_tokenizers: dict[int, tuple[PreTrainedTokenizerBase, LLTokenizer]] = {}
_prototypes: dict[tuple[int, Structure], LLMatcher] = {}
_closers: dict[int, torch.Tensor] = {}
CLOSING_CHARS = frozenset('"]}')
CLOSE_RESERVE = 8
"""Tokens before max_tokens at which a JSON answer starts closing (a quarter of the budget when that is less)."""
DECODING = f"json closed {CLOSE_RESERVE} tokens before max_tokens"
"""How constrained answers are made beyond the grammar itself: part of the local backend's identity, so answers
cached before a change to it are not reused."""
MAX_PROTOTYPES = 256
"""Compiled grammars kept: a label set is asked thousands of times, an extractive grammar (its question's
passages) once, so the oldest are dropped rather than kept for every question."""


def engine_tokenizer(tokenizer: PreTrainedTokenizerBase) -> LLTokenizer:
    """llguidance's view of a transformers tokenizer, built once per tokenizer (about 0.6 s)."""
    import llguidance.hf

    if not isinstance(tokenizer, PreTrainedTokenizerFast):
        raise ValueError("Only fast tokenizers are supported")  # llguidance's own check, made where the type narrows
    with _lock:
        kept = _tokenizers.get(id(tokenizer))
        if kept is None or kept[0] is not tokenizer:
            kept = (tokenizer, llguidance.hf.from_tokenizer(tokenizer, eos_token=tokenizer.eos_token_id))
            _tokenizers[id(tokenizer)] = kept
        return kept[1]


def matcher(tokenizer: PreTrainedTokenizerBase, structure: Structure) -> LLMatcher:
    """A fresh matcher for one answer, copied from a compiled prototype per (tokenizer, structure)."""
    import llguidance

    from .grammar import grammar_of

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


def closing_tokens(tokenizer: PreTrainedTokenizerBase, size: int) -> torch.Tensor:
    """True for each token id whose text is made only of JSON's closing characters (`"`, `]`, `}`), per tokenizer."""
    with _lock:
        kept = _closers.get(id(tokenizer))
        if kept is None or len(kept) != size:
            pieces = tokenizer.convert_ids_to_tokens(list(range(min(size, len(tokenizer)))))
            kept = torch.zeros(size, dtype=torch.bool)
            for i, piece in enumerate(pieces):
                kept[i] = bool(piece) and set(piece) <= CLOSING_CHARS
            _closers[id(tokenizer)] = kept
        return kept


class GrammarMask(LogitsProcessor):
    """Advance each row's matcher by the token it just generated, then mask what its grammar forbids next."""

    def __init__(
        self, tokenizer: PreTrainedTokenizerBase, structures: list[Structure | None], width: int, budgets: list[int] | None = None
    ):
        self.width = width
        self.matchers = [matcher(tokenizer, s) if s is not None else None for s in structures]
        self.vocab = engine_tokenizer(tokenizer).vocab_size
        self.bitmask = torch.full((len(structures), (self.vocab + 31) // 32), -1, dtype=torch.int32)
        self.failed: list[str | None] = [None] * len(structures)
        self.done = [False] * len(structures)
        self.closed = [False] * len(structures)
        """Rows steered to close their JSON before max_tokens."""
        budgets = budgets or [0] * len(structures)
        self.close_from = [
            b - min(CLOSE_RESERVE, b // 4) if s is not None and s.kind == "json" and b else None for s, b in zip(structures, budgets)
        ]
        self.closers = closing_tokens(tokenizer, self.vocab) if any(c is not None for c in self.close_from) else None

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
            forbidden = self._forbidden(rows, scores.shape[1])
            self._steer_to_close(rows, forbidden, input_ids.shape[1] - self.width)
            scores[index] = scores[index].masked_fill(forbidden.to(scores.device), float("-inf"))
        return scores

    def _steer_to_close(self, rows: list[int], forbidden: torch.Tensor, generated: int) -> None:
        """For JSON rows within CLOSE_RESERVE of their budget, keep only the allowed closing tokens, where there are any."""
        for i, row in enumerate(rows):
            start = self.close_from[row]
            if start is None or generated < start or self.closers is None:
                continue
            closing = ~forbidden[i, : len(self.closers)] & self.closers
            if closing.any():
                forbidden[i] = True
                forbidden[i, : len(self.closers)] = ~closing
                self.closed[row] = True

    def _forbidden(self, rows: list[int], width: int) -> torch.Tensor:
        """The bitmask rows as booleans, True where a token is forbidden (bit i of word w is token 32w + i)."""
        bits = np.unpackbits(self.bitmask[rows].numpy().view(np.uint8), axis=1, bitorder="little")
        forbidden = torch.ones((len(rows), width), dtype=torch.bool)
        usable = min(width, self.vocab)
        forbidden[:, :usable] = torch.from_numpy(bits[:, :usable] == 0)
        return forbidden
