"""The fine-tune rung's settings: the training recipe (`trainers.LoraSettings`) and what the ladder does around it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from advisor.scenario.schema import resolve_path
from trainers import LoraSettings


class FinetuneSettings(LoraSettings):
    """The fine-tune rung: how it trains (the fields of `trainers.LoraSettings`, defined there once) and what the
    ladder does around the training."""

    model_config = ConfigDict(extra="forbid", frozen=False, use_attribute_docstrings=True)

    model: str | None = None
    """openai only: the base model to fine-tune."""
    forgetting_threshold: float = Field(default=0.05, ge=0, le=1)
    """Flag the tuned model when its canary score (general ability) drops by more than this (0.05 = 5 points).
    To fail the run on it, add a target instead: {metric: forgetting_change, min: -0.05}."""
    forgetting_tasks: list[Path] = Field(default_factory=list)
    """More canary tasks on top of the built-in set: chat-JSONL files in the canary format (one task per file; an eval
    set of yours works), scored on the base model and on the adapter."""
    _resolve_tasks = field_validator("forgetting_tasks")(lambda v, info: [resolve_path(p, info) for p in v])
    prompt: Literal["short", "full"] = "short"
    """short: the tuned model is trained and asked with the input alone (the adapter learns the task, so calls
    are shorter and cheaper); full: with the task's system prompt as well."""
    compare: list[Literal["lora", "qlora", "full"]] | None = None
    """Also train and measure these methods on the same eval items (e.g. [lora, full]); the rung reports the cheapest
    (fewest trained weights) unless a costlier one is significantly better on the first target's metric."""
