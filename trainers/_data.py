"""Training data: chat-template tokens with assistant-only labels, length-grouped order, padded batches."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from evals.errors import InputError, Problem
from evals.example import Example, to_dicts

from ._config import FIELD, LoraSettings

if TYPE_CHECKING:  # transformers is imported when a run trains
    from transformers import PreTrainedTokenizerBase

IGNORE = -100


def encode(example: Example, tokenizer: PreTrainedTokenizerBase, max_seq_len: int) -> dict[str, list[int]]:
    """Token ids and labels for one chat: labels are the assistant tokens (through the end token), -100 elsewhere."""
    messages = to_dicts(example.messages)
    ids: list[int] = []
    labels: list[int] = []
    done = ""  # the rendered text already turned into tokens
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        # Untokenized, one chat renders to one string (transformers types the batched and tokenized results too).
        prompt = cast(str, tokenizer.apply_chat_template(messages[:i], add_generation_prompt=True, tokenize=False))
        through = cast(str, tokenizer.apply_chat_template(messages[: i + 1], tokenize=False))
        if not prompt.startswith(done) or not through.startswith(prompt):
            raise InputError(
                Problem(
                    "the model's chat template renders earlier turns differently as a chat grows, so the answers cannot be located",
                    fix="use a chat model whose template only appends turns",
                    field="model",
                )
            )
        answer = _answer_text(through[len(prompt) :], message["content"], tokenizer.eos_token)
        # Tokenized apart, exactly as at inference: the prompt is encoded, then the answer is generated.
        context_ids = _tokens(tokenizer, prompt[len(done) :])
        answer_ids = _tokens(tokenizer, answer)
        ids += context_ids + answer_ids
        labels += [IGNORE] * len(context_ids) + answer_ids
        done = prompt + answer
    return {"input_ids": ids[:max_seq_len], "labels": labels[:max_seq_len]}


def _answer_text(rendered: str, content: str, end: str | None) -> str:
    """The assistant's rendered turn up to and including the end token (the newline after it is not trained)."""
    start = rendered.find(content)
    after = start + len(content) if start >= 0 else 0  # a template that rewrites content: first end token
    stop = rendered.find(end, after) if end else -1
    return rendered[: stop + len(end)] if end and stop >= 0 else rendered.rstrip()


def _tokens(tokenizer: PreTrainedTokenizerBase, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def encode_all(examples: list[Example], tokenizer: PreTrainedTokenizerBase, max_seq_len: int) -> tuple[list[dict], int]:
    """Encode every example; drop (and count) those whose answer was cut off entirely by truncation."""
    features = [encode(example, tokenizer, max_seq_len) for example in examples]
    kept = [f for f in features if any(label != IGNORE for label in f["labels"])]
    return kept, len(features) - len(kept)


def prepare(
    train: list[Example], val: list[Example] | None, tokenizer: PreTrainedTokenizerBase, settings: LoraSettings
) -> tuple[list[dict], list[dict], int]:
    """Train and validation features (val: given, or a seeded slice of train) and how many were dropped."""
    if val is None:
        train, val = split_val(train, settings.val_fraction, settings.seed)
    train_features, skipped = encode_all(train, tokenizer, settings.max_seq_len)
    if not train_features:
        raise InputError(
            Problem(
                f"no training example keeps any answer token within max_seq_len={settings.max_seq_len}",
                fix="raise max_seq_len or shorten the prompts",
                field=f"{FIELD}.max_seq_len",
            )
        )
    # Sorted so that validation batches carry little padding too.
    val_features = sorted(
        ({**f, "heldout": True} for f in encode_all(val, tokenizer, settings.max_seq_len)[0]), key=lambda f: len(f["input_ids"])
    )
    return train_features, val_features, skipped


def val_count(n: int, fraction: float) -> int:
    """How many of n examples `split_val` holds out: the rounded fraction, or none when that leaves no side."""
    n_val = round(n * fraction)
    return n_val if 1 <= n_val < n else 0


def split_val(examples: list[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """A seeded held-out slice of train for validation; none when it would be empty."""
    n_val = val_count(len(examples), fraction)
    if not n_val:
        return list(examples), []
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    held = set(order[:n_val])
    return [e for i, e in enumerate(examples) if i not in held], [e for i, e in enumerate(examples) if i in held]


def length_grouped_order(lengths: list[int], batch_size: int, seed: int, mega: int = 50) -> list[int]:
    """Indices shuffled, sorted by length within mega-batches of `mega * batch_size`, batches shuffled."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    size = mega * batch_size
    batches: list[list[int]] = []
    for start in range(0, len(order), size):
        chunk = sorted(order[start : start + size], key=lambda i: lengths[i], reverse=True)
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    # Full batches shuffled so a run is not always long-first; a partial one stays last to keep boundaries.
    full = [b for b in batches if len(b) == batch_size]
    rng.shuffle(full)
    return [i for batch in full + [b for b in batches if len(b) < batch_size] for i in batch]


@dataclass
class LengthGroupedData:
    """Train features in length-grouped order, reshuffled per epoch (the Trainer reads it sequentially)."""

    features: list[dict]
    batch_size: int
    seed: int
    order: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        lengths = [len(f["input_ids"]) for f in self.features]
        self.order = length_grouped_order(lengths, self.batch_size, self.seed * 1_000_003 + epoch)

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, index: int) -> dict:
        return self.features[self.order[index]]


@dataclass
class Collator:
    """Right-pads a batch, counts the padding of train batches, and asks for logits only where labels are."""

    pad_id: int
    batches: list[tuple[int, int]] = field(default_factory=list)
    """(real tokens, padded tokens) of each train batch, in the order collated."""
    trim_logits: bool = True

    def __call__(self, features: list[dict]) -> dict[str, Any]:
        import torch

        width = max(len(f["input_ids"]) for f in features)
        pad = [width - len(f["input_ids"]) for f in features]
        ids = torch.tensor([f["input_ids"] + [self.pad_id] * n for f, n in zip(features, pad)])
        mask = torch.tensor([[1] * len(f["input_ids"]) + [0] * n for f, n in zip(features, pad)])
        labels = torch.tensor([f["labels"] + [IGNORE] * n for f, n in zip(features, pad)])
        if not any(f.get("heldout") for f in features):
            self.batches.append((int(mask.sum()), mask.numel()))
        batch = {"input_ids": ids, "attention_mask": mask, "labels": labels}
        if self.trim_logits:
            # The vocabulary projection is a fifth of the model's compute: run it only on positions with a target.
            shifted = torch.nn.functional.pad(labels[:, 1:], (0, 1), value=IGNORE)
            keep = shifted != IGNORE
            batch.update(logits_to_keep=keep, shift_labels=shifted[keep])
        return batch


def padding_waste(batches: list[tuple[int, int]]) -> float:
    """Pad tokens over all tokens in the given (real, padded) batches."""
    total = sum(padded for _, padded in batches)
    return 1 - sum(real for real, _ in batches) / total if total else 0.0
