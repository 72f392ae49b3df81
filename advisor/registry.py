"""The rungs of the ladder, named once: their order (cheapest first) and their titles."""

from __future__ import annotations

from typing import Literal

RungName = Literal["zero_shot", "few_shot", "prompt_search", "rag", "finetune", "distill"]
RUNG_ORDER: tuple[RungName, ...] = ("zero_shot", "few_shot", "prompt_search", "rag", "finetune", "distill")
RUNG_TITLES = {
    "zero_shot": "zero-shot",
    "few_shot": "few-shot",
    "prompt_search": "prompt search",
    "rag": "RAG",
    "finetune": "fine-tune",
    "distill": "distillation",
}
WIZARD_RUNGS: tuple[RungName, ...] = ("zero_shot", "few_shot", "prompt_search", "rag", "finetune")
"""The rungs the wizard offers and draws: distillation needs a teacher model, which a scenario file names."""
PROMPTING_RUNGS: tuple[RungName, ...] = ("zero_shot", "few_shot", "prompt_search", "rag")
"""The rungs that only change what is sent: every model can climb them, a hosted chat model only them."""
