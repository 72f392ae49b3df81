"""A first opinion from the interview alone: the field's rules of thumb, stated so a run can test them.

Prompt first; retrieval for knowledge that changes or must be cited; fine-tuning for format, style and
skills (and for shorter, cheaper calls); and not yet, under 100 examples or without an eval set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.registry import rung_title
from advisor.scenario.schema import VOLATILE, Profile, Target
from advisor.scenario.workspace import PROMPT_SEARCH_MIN_TRAIN
from evals.stats import max_demonstrable

MIN_EXAMPLES = 100
"""Below this many examples the field's advice is to collect data before fine-tuning or trusting a score."""
BEHAVIOUR = ("format", "style", "skill")
STRICT_FORMAT = 0.99
"""A format-validity target this high is where prompting usually falls short."""


@dataclass(frozen=True)
class Facts:
    """What the interview knows about the data: example counts and whether a knowledge folder exists."""

    n_eval: int = 0
    n_train: int = 0
    has_knowledge: bool = False
    confidence: float = 0.95


@dataclass(frozen=True)
class Opinion:
    """The expected winner, why, which rungs are worth measuring, and what to fix first."""

    approach: str
    """prompt | rag | finetune | rag+finetune | not yet"""
    headline: str
    reasons: list[str] = field(default_factory=list)
    rungs: list[str] = field(default_factory=list)
    """The rungs worth measuring, cheapest first."""
    cautions: list[str] = field(default_factory=list)

    @property
    def ladder_text(self) -> str:
        """E.g. 'zero-shot → few-shot → fine-tune'."""
        return " → ".join(rung_title(r) for r in self.rungs)


def first_opinion(profile: Profile, facts: Facts, targets: list[Target] | None = None) -> Opinion:
    """Apply the rules of thumb to the answers; the result is a hypothesis for the ladder to test."""
    reasons = ["Prompt first: zero-shot and few-shot cost nothing to try and are the baseline every other rung must beat."]
    cautions = _eval_cautions(facts)
    rungs = ["zero_shot"] + (["few_shot"] if facts.n_train else [])
    if facts.n_train >= PROMPT_SEARCH_MIN_TRAIN:
        rungs.append("prompt_search")
    wants_rag = _knowledge_reasons(profile)
    if wants_rag:
        reasons.append(f"Because {' and '.join(wants_rag)}, the facts belong in retrieval (RAG), not in weights or prompts.")
        rungs.append("rag")
        if not facts.has_knowledge:
            cautions.append("Add a knowledge folder (documents to retrieve from) so RAG can be measured.")
    tune = _tuning_reasons(profile, targets or [])
    tune_ready = bool(tune) and facts.n_train >= MIN_EXAMPLES
    if tune:
        reasons.append(f"{' '.join(tune)} That is what fine-tuning teaches; few-shot examples may already be enough.")
        if tune_ready:
            rungs.append("finetune")
        else:
            cautions.append(
                f"Only {facts.n_train} train examples: under {MIN_EXAMPLES}, fine-tuning is not yet worth it; "
                "collect more and try few-shot meanwhile."
            )
    approach = _approach(bool(wants_rag), tune_ready, facts)
    if approach == "rag+finetune":
        rungs.append("rag_finetune")
    return Opinion(approach, _headline(approach, facts), reasons, rungs, cautions)


def _knowledge_reasons(profile: Profile) -> list[str]:
    why = []
    if profile.knowledge_changes in VOLATILE:
        why.append(f"the knowledge changes {profile.knowledge_changes}")
    elif "knowledge" in profile.must_change:
        why.append("the model must know facts it was not trained on")
    if profile.needs_citations:
        why.append("answers must cite their sources")
    return why


def _tuning_reasons(profile: Profile, targets: list[Target]) -> list[str]:
    why = []
    behaviour: list[str] = [c for c in profile.must_change if c in BEHAVIOUR]
    if behaviour:
        why.append(f"The model must change its {_and(behaviour)}.")
    if any(t.metric == "format_valid" and t.min is not None and t.min >= STRICT_FORMAT for t in targets):
        why.append(f"A format-validity target of {STRICT_FORMAT:.0%} or more is where prompting usually falls short.")
    if "cost" in profile.must_change or "latency" in profile.must_change:
        why.append("Cheaper, faster calls come from a tuned model that needs no instructions or examples in its prompt.")
    return why


def _eval_cautions(facts: Facts) -> list[str]:
    if facts.n_eval <= 0:
        return ["There is no eval set: nothing can be measured until one exists (chat JSONL, 100+ examples)."]
    if facts.n_eval < MIN_EXAMPLES:
        best = max_demonstrable(facts.n_eval, facts.confidence)
        return [
            f"{facts.n_eval} eval examples can show at most {best:.1%} at {facts.confidence:.0%} confidence: "
            f"collect at least {MIN_EXAMPLES} to tell the approaches apart."
        ]
    return []


def _approach(wants_rag: bool, tune_ready: bool, facts: Facts) -> str:
    if facts.n_eval < MIN_EXAMPLES:
        return "not yet"
    if wants_rag and tune_ready:
        return "rag+finetune"
    return "rag" if wants_rag else "finetune" if tune_ready else "prompt"


def _headline(approach: str, facts: Facts) -> str:
    return {
        "not yet": "Not yet: build the eval set first" if facts.n_eval <= 0 else f"Not yet: {facts.n_eval} eval examples are too few",
        "prompt": "Prompting is likely enough",
        "rag": "RAG is likely to win",
        "finetune": "A fine-tune, if prompting falls short",
        "rag+finetune": "RAG for the facts, a fine-tune for the behaviour",
    }[approach]


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
