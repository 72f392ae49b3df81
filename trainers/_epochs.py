"""`epochs: auto`: how many passes over the train set a fine-tune makes when the user does not say.

The rule is hosted fine-tuning's `n_epochs: auto` heuristic, as OpenAI's cookbook states it
(openai-cookbook, examples/Chat_finetuning_data_prep.ipynb): 3 epochs, raised so that small sets
are seen at least 100 times in all (at most 25 epochs), lowered so that large ones are not seen more
than 25,000 times (at least 1 epoch). Ours adds a floor of optimizer steps: a few hundred examples
at batch 8 make only a few dozen steps in 3 epochs, and a run that short ends with its loss still
falling. Early stopping on the validation score (see `_watch`) cuts a run that needs fewer.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._config import LoraSettings

TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25
MIN_STEPS = 100
"""Our floor: at least this many optimizer steps (within MAX_DEFAULT_EPOCHS)."""


def hosted_auto_epochs(n_train: int) -> int:
    """OpenAI's `n_epochs: auto` for a train set of n_train examples."""
    if n_train * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // max(n_train, 1))
    if n_train * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_train)
    return TARGET_EPOCHS


def auto_epochs(n_train: int, batch_size: int, grad_accum: int = 1) -> int:
    """Hosted fine-tuning's count, raised to reach MIN_STEPS optimizer steps, never above MAX_DEFAULT_EPOCHS."""
    steps_per_epoch = max(1, math.ceil(n_train / (batch_size * grad_accum)))
    return min(MAX_DEFAULT_EPOCHS, max(hosted_auto_epochs(n_train), math.ceil(MIN_STEPS / steps_per_epoch)))


def resolve_epochs(epochs: float | str, n_train: int, batch_size: int, grad_accum: int = 1) -> float:
    """The number of epochs to run: the given one, or `auto_epochs` for 'auto'."""
    return auto_epochs(n_train, batch_size, grad_accum) if epochs == "auto" else float(epochs)


def planned_epochs(settings: LoraSettings, n_examples: int) -> float:
    """The epochs a run of these settings makes on n_examples before the validation slice is held out."""
    from ._data import val_count

    n_train = n_examples - val_count(n_examples, settings.val_fraction)
    return resolve_epochs(settings.epochs, n_train, settings.batch_size, settings.grad_accum)
