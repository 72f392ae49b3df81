"""A seeded train/eval split, stratified by label for classification sets."""

from __future__ import annotations

import math
import random
from collections import defaultdict

from ..errors import InputError, Problem
from ..example import Example


def split(examples: list[Example], eval_fraction: float, seed: int, stratify_by_label: bool = False) -> tuple[list[Example], list[Example]]:
    """(train, eval): the same seed always picks the same examples; both keep the input order."""
    if not 0 < eval_fraction < 1:
        raise InputError(
            Problem(f"eval fraction {eval_fraction} is outside (0, 1)", fix="use e.g. --eval-fraction 0.2", field="eval_fraction")
        )
    n = len(examples)
    if n < 2:
        raise InputError(Problem(f"cannot split {n} example{'s' if n != 1 else ''}", fix="a split needs at least 2 examples"))
    n_eval = min(max(round(n * eval_fraction), 1), n - 1)
    groups: dict[str, list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        groups[example.expected.strip() if stratify_by_label else ""].append(index)
    rng = random.Random(seed)
    chosen: set[int] = set()
    for label, quota in _quotas({k: len(v) for k, v in groups.items()}, n_eval).items():
        members = list(groups[label])
        rng.shuffle(members)
        chosen.update(members[:quota])
    train = [ex for i, ex in enumerate(examples) if i not in chosen]
    held_out = [ex for i, ex in enumerate(examples) if i in chosen]
    return train, held_out


def _quotas(sizes: dict[str, int], total: int) -> dict[str, int]:
    """Share total among groups in proportion to their sizes (largest remainder; ties by label)."""
    n = sum(sizes.values())
    exact = {label: size * total / n for label, size in sizes.items()}
    quotas = {label: math.floor(value) for label, value in exact.items()}
    left = total - sum(quotas.values())
    by_remainder = sorted(sizes, key=lambda label: (-(exact[label] - quotas[label]), label))
    for label in by_remainder[:left]:
        quotas[label] += 1
    return dict(sorted(quotas.items()))
