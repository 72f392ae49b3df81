"""The prompt-search rung's settings: the space it searches and the budget it searches it in."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field

from advisor.scenario.schema import Strict

DemoSet = Literal["similar", "random", "bootstrapped"]
DEMO_SETS: tuple[DemoSet, ...] = get_args(DemoSet)


class PromptSearchSettings(Strict):
    """Search instructions x demonstration sets x k on a dev split carved from train; the winner alone is measured on eval."""

    budget_calls: int = Field(default=600, ge=10)
    """Most model calls the search may spend (bootstrapping included), successive halving over the candidates."""
    dev_size: int = Field(default=60, ge=4)
    """Train examples held out as the dev split the candidates are scored on (at most a quarter of train)."""
    ks: list[int] = Field(default_factory=lambda: [4, 8], min_length=1)
    """Numbers of demonstrations tried."""
    demos: list[DemoSet] = Field(default_factory=lambda: list(DEMO_SETS), min_length=1)
    """Demonstration sets tried: similar (BM25), random, bootstrapped (train examples the model itself answers right)."""
    proposer: str | None = None
    """Backend spec of a stronger model that drafts extra instructions for the model measured (e.g. openai:gpt-4o-mini)."""
    seed: int = 0
    """Seed of the dev split, the random demonstrations and the bootstrap sample."""
