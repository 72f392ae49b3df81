"""What the prompt-search rung records: every candidate's dev score, the calls spent and the winner's prompt."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CandidateScore(BaseModel):
    """One candidate prompt: an instruction variant, a demonstration set and k, scored on the dev split."""

    name: str
    instruction: str
    """Key of the instruction variant (its text is in `Search.instructions`)."""
    demos: str
    """similar | random | bootstrapped."""
    k: int
    dev_n: int
    """Dev items it was scored on (successive halving gives survivors more)."""
    dev_score: float
    rounds: int
    """Rounds of successive halving it took part in."""


class Search(BaseModel):
    """The search on the dev split that chose the prompt measured on eval."""

    budget_calls: int
    calls_spent: int
    """Model calls the search made (bootstrapping included; cached answers count, they were paid for once)."""
    proposer_calls: int = 0
    """Calls to the proposer model that drafted instructions (not in the budget: another model)."""
    dev_ids: list[str]
    """The train examples held out as the dev split: eval took no part in selection."""
    bootstrapped_ids: list[str] = Field(default_factory=list)
    """Train examples the model answered right, the pool of the bootstrapped demonstrations."""
    instructions: dict[str, str | None]
    """Each instruction variant's full text (None: the data's own system messages)."""
    candidates: list[CandidateScore]
    """Every candidate tried, best first."""
    winner: str
    baseline: str
    """The candidate that is the few-shot rung's own recipe (the user's prompt, similar shots)."""
    dev_score: float
    dev_lower: float
    dev_upper: float
    """The winner's dev score and its confidence interval."""
    winner_shots: list[str] | None = None
    """Fixed demonstration ids of a random winner (similar and bootstrapped pick per question)."""
    winner_prompt: list[dict] = Field(default_factory=list)
    """The winner's full prompt for the first eval question, as sent."""
    eval_gap: float | None = None
    """Winner's dev score minus its eval score."""
    overfit: bool | None = None
    """The gap exceeds the dev interval's lower half-width: the search fit the dev split, not the task."""

    @property
    def dev_margin(self) -> float:
        """How far below its dev score the winner's true score may plausibly lie: the interval's lower half-width.

        The lower side is the one a dev-to-eval drop is judged against; at a dev score of 1.000 the upper side is 0.
        """
        return self.dev_score - self.dev_lower
