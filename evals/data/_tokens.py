"""Token counts: exact with a tokenizer's chat template, or a labelled estimate without one."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..example import Message, to_dicts

ESTIMATE_NOTE = "estimate: the larger of words and characters / 4, plus 4 per message"


def count_tokens(messages: list[Message], tokenizer: Any) -> int:
    """Tokens of a conversation as the model sees it (its chat template when it has one)."""
    if getattr(tokenizer, "chat_template", None):
        ids = tokenizer.apply_chat_template(to_dicts(messages), tokenize=True)
        if hasattr(ids, "keys"):  # transformers 5 returns a BatchEncoding
            ids = ids["input_ids"]
        return len(ids)
    return sum(len(tokenizer.encode(m.content, add_special_tokens=False)) for m in messages)


def estimate_tokens(messages: Sequence[Message | Mapping[str, str]]) -> int:
    """A tokenizer-free estimate (see ESTIMATE_NOTE) of messages as examples hold them or as a prompt sends them;
    the one rule for every estimate before a run (the ladder's preflight, `advisor data stats`)."""
    texts = [m.content if isinstance(m, Message) else m["content"] for m in messages]
    return sum(max(len(text.split()), math.ceil(len(text) / 4)) + 4 for text in texts)


def load_tokenizer(model: str) -> tuple[Any, int | None]:
    """The tokenizer of a local model (embedded name or folder) and its context length when known."""
    from ..backends.spec import ModelSpec
    from ..models import resolve_model, set_offline_env

    ref = resolve_model(ModelSpec.local(model, field="--model").local_model)
    set_offline_env()
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(ref.path)
    return tokenizer, _context_length(Path(ref.path), tokenizer)


def _context_length(folder: Path, tokenizer: Any) -> int | None:
    config = folder / "config.json"
    if config.is_file():
        length = json.loads(config.read_text(encoding="utf-8")).get("max_position_embeddings")
        if isinstance(length, int):
            return length
    length = getattr(tokenizer, "model_max_length", None)
    # Tokenizers without a limit report a huge sentinel (about 1e30).
    return length if isinstance(length, int) and length < 10_000_000 else None
