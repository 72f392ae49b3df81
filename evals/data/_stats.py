"""What a data set holds: counts, labels, tokens, and what fine-tuning on it would cost."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from ..example import Example
from ._tokens import ESTIMATE_NOTE, count_tokens, estimate_tokens

MAX_LABEL_CHARS = 64


@dataclass(frozen=True)
class DataStats:
    """Summary figures of one chat JSONL set."""

    examples: int
    with_system: int
    mean_turns: float
    tokens_total: int
    tokens_mean: float
    tokens_max: int
    tokens_estimated: bool
    """True when no tokenizer was given: see `token_note`."""
    epochs: float
    price_per_1m: float
    labels: dict[str, int] | None = None
    """Final assistant turn -> count, when the set looks like classification."""
    token_note: str = field(default="")

    @property
    def finetune_tokens(self) -> float:
        """Training tokens a fine-tune would process: every example once per epoch."""
        return self.tokens_total * self.epochs

    @property
    def finetune_cost(self) -> float:
        """USD at price_per_1m per million training tokens."""
        return self.finetune_tokens / 1_000_000 * self.price_per_1m

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "finetune_tokens": self.finetune_tokens, "finetune_cost_usd": self.finetune_cost}


def dataset_stats(
    examples: list[Example], *, tokenizer: Any = None, epochs: float = 2, price_per_1m: float = 0.0, classification: bool | None = None
) -> DataStats:
    """Figures of a set; tokens are counted with the tokenizer, else estimated (and marked so)."""
    if tokenizer is not None:
        tokens = [count_tokens(ex.messages, tokenizer) for ex in examples]
    else:
        tokens = [estimate_tokens(ex.messages) for ex in examples]
    n = len(examples)
    is_classification = looks_like_classification(examples) if classification is None else classification
    return DataStats(
        examples=n,
        with_system=sum(ex.system is not None for ex in examples),
        mean_turns=sum(len(ex.messages) for ex in examples) / n if n else 0.0,
        tokens_total=sum(tokens),
        tokens_mean=sum(tokens) / n if n else 0.0,
        tokens_max=max(tokens, default=0),
        tokens_estimated=tokenizer is None,
        epochs=epochs,
        price_per_1m=price_per_1m,
        labels=label_counts(examples) if is_classification else None,
        token_note="" if tokenizer is not None else ESTIMATE_NOTE,
    )


def label_counts(examples: list[Example]) -> dict[str, int]:
    """Final assistant turn -> count, most common first (ties by label)."""
    counts = Counter(ex.expected.strip() for ex in examples)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def looks_like_classification(examples: list[Example]) -> bool:
    """Short one-line answers that repeat: at most half as many distinct answers as examples."""
    answers = [ex.expected.strip() for ex in examples]
    if len(answers) < 4:
        return False
    short = all(len(a) <= MAX_LABEL_CHARS and "\n" not in a for a in answers)
    return short and len(set(answers)) <= len(answers) / 2
