"""The prompt-search rung: successive halving over candidate prompts on a dev split carved from train.

Only train takes part: the dev split is carved from it, demonstrations come from the rest, and the
winner alone is then measured on eval like every other rung. Ties go to the earlier candidate, so
the few-shot rung's own recipe (listed first) stays unless another prompt beats it on dev.
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from advisor.measure import events as ev
from advisor.record.search import CandidateScore, Search
from advisor.rungs.few_shot import FewShotSettings
from advisor.rungs.prompt_search.candidates import (
    Candidate,
    candidates,
    instruction_variants,
    proposer_drafts,
    strategy,
)
from advisor.rungs.prompt_search.settings import PromptSearchSettings
from advisor.scenario.schema import LadderBase
from advisor.scenario.workspace import Workspace
from evals.example import Example
from evals.strategies import Prompt

if TYPE_CHECKING:
    from advisor.measure.cell import Strategy
    from evals.backends import Backend
    from evals.stats import Interval

ETA = 3
"""Successive halving keeps the best third of the candidates each round."""
BOOTSTRAP_SHARE = 0.2
"""At most this share of the budget answers train examples to find the bootstrapped demonstrations."""

ScoreItems = Callable[[list[tuple[Example, Prompt]]], Awaitable[list[float]]]
"""Answers (example, prompt) items with the model under search and grades them: a score per item, in order."""


@dataclass
class Found:
    strategy: Callable
    """The winner's prompt builder, as it is measured on eval."""
    search: Search


def baseline_k(ladder: LadderBase) -> int:
    """k of the few-shot rung's recipe, the search's first candidate."""
    return (ladder.few_shot or FewShotSettings()).k


def carve_dev(train: list[Example], dev_size: int, seed: int) -> tuple[list[Example], list[Example]]:
    """(pool, dev): a seeded dev split of at most a quarter of train, stratified by answer; the rest is the demonstration pool."""
    from evals.data import split

    n = min(dev_size, len(train) // 4)
    return split(train, n / len(train), seed, stratify_by_label=True)


async def search_prompts(
    ws: Workspace, backend: Backend, *, use_cache: bool = True, concurrency: int = 8, on_event: ev.OnEvent = lambda e: None
) -> Found:
    """Search the scenario's candidates within `budget_calls` on a dev split of train; return the winner."""
    from evals.runner import Cache, Runner

    config: PromptSearchSettings = ws.scenario.ladder.prompt_search or PromptSearchSettings()
    few_k = baseline_k(ws.scenario.ladder)
    pool, dev = carve_dev(ws.train_set, config.dev_size, config.seed)
    runner = Runner(backend, ws.grader(), params=ws.params, concurrency=concurrency, cache=Cache.open_default() if use_cache else None)

    async def score(items: list[tuple[Example, Prompt]]) -> list[float]:
        rows = await runner.run(items, rung="prompt_search")
        return [float(s) for s in rows["score"]]

    variants, proposer_calls = await _variants(ws, config, pool)
    bootstrapped: list[Example] = []
    spent = 0
    if "bootstrapped" in config.demos:
        bootstrapped, spent = await _bootstrap(pool, variants["user"], few_k, config, score, on_event)
    cands = candidates(variants, list(config.demos), list(config.ks), few_k)
    built = {c: strategy(c, variants[c.instruction], pool, bootstrapped, config.seed) for c in cands}
    scores, rounds, spent = await successive_halving(cands, dev, config.budget_calls - spent, built, score, on_event, spent)
    ranked = sorted(scores, key=lambda c: _rank(c, scores, cands))
    winner = ranked[0]
    final = strategy(winner, variants[winner.instruction], ws.train_set if winner.demos == "similar" else pool, bootstrapped, config.seed)
    dev_interval = _interval(scores[winner], ws.scenario.confidence)
    search = Search(
        budget_calls=config.budget_calls,
        calls_spent=spent,
        proposer_calls=proposer_calls,
        dev_ids=[ex.key for ex in dev],
        bootstrapped_ids=[ex.key for ex in bootstrapped],
        instructions=variants,
        candidates=_candidate_scores(ranked, scores, rounds),
        winner=winner.name,
        baseline=cands[0].name,
        dev_score=_mean(scores[winner]),
        dev_lower=dev_interval.lower,
        dev_upper=dev_interval.upper,
        winner_shots=[s.key for s in final.shots(dev[0])] if winner.demos == "random" and dev else None,
        winner_prompt=final(ws.eval_set[0]).messages if ws.eval_set else [],
    )
    on_event(
        ev.Note(
            f"prompt search: {winner.name} wins with {search.dev_score:.3f} on {len(scores[winner])} dev items "
            f"({spent} of {config.budget_calls} calls)"
        )
    )
    return Found(final, search)


async def _variants(ws: Workspace, config: PromptSearchSettings, pool: list[Example]) -> tuple[dict[str, str | None], int]:
    """The instruction variants to try (the proposer's drafts too, when the scenario names one) and the proposer's calls."""
    variants = instruction_variants(
        ws.system_prompt,
        _common_system(pool) if ws.system_prompt is None else None,
        ws.scenario.task.kind,
        ws.labels,
        ws.scenario.grader.kind == "json",
        pool,
    )
    if not config.proposer:
        return variants, 0
    drafts = await proposer_drafts(config.proposer, variants, pool, ws.labels)
    return {**variants, **drafts}, 2


def _candidate_scores(ranked: list[Candidate], scores: dict[Candidate, list[float]], rounds: dict[Candidate, int]) -> list[CandidateScore]:
    """Every candidate's dev result for the record, best first."""
    return [
        CandidateScore(
            name=c.name,
            instruction=c.instruction,
            demos=c.demos,
            k=c.k,
            dev_n=len(scores[c]),
            dev_score=_mean(scores[c]),
            rounds=rounds[c],
        )
        for c in ranked
    ]


async def _bootstrap(
    pool: list[Example], instruction: str | None, k: int, config: PromptSearchSettings, score: ScoreItems, on_event: ev.OnEvent
) -> tuple[list[Example], int]:
    """Train examples the model answers right with the few-shot recipe: the bootstrapped demonstration pool."""
    n = min(len(pool), int(config.budget_calls * BOOTSTRAP_SHARE))
    sample = random.Random(config.seed).sample(pool, n)
    recipe = strategy(Candidate("user", "similar", k), instruction, pool, [], config.seed)
    on_event(ev.Note(f"prompt search: bootstrapping demonstrations on {n} train examples"))
    got = await score([(ex, recipe(ex)) for ex in sample])
    return [ex for ex, s in zip(sample, got) if s >= 1.0], n


async def successive_halving(
    cands: list[Candidate],
    dev: list[Example],
    budget: int,
    built: Mapping[Candidate, Strategy],
    score: ScoreItems,
    on_event: ev.OnEvent,
    spent: int = 0,
) -> tuple[dict[Candidate, list[float]], dict[Candidate, int], int]:
    """Score every candidate on a few dev items, keep the best third on more items, until one is left or the budget is spent.

    A candidate never costs more than `budget` calls in all; when the budget cannot give each candidate one
    item, the candidates after the first `budget` are left out. Returns dev scores, rounds and the calls spent.
    """
    alive = cands[: max(1, min(len(cands), budget))]
    scores: dict[Candidate, list[float]] = {c: [] for c in alive}
    rounds = dict.fromkeys(alive, 0)
    total = max(1, math.ceil(math.log(len(alive), ETA))) if len(alive) > 1 else 1
    left = budget
    for r in range(total):
        have = len(scores[alive[0]])
        n = min(len(dev), have + max(1, left // (total - r) // len(alive)))
        items = [(c, dev[i]) for c in alive for i in range(have, n)]
        if items and len(items) <= left:
            on_event(ev.Note(f"prompt search: round {r + 1} of {total}, {len(alive)} candidates on {n} dev items"))
            # One batch for all candidates; each row gets its own id, the prompt is the candidate's.
            got = await score([(ex.model_copy(update={"id": f"{c.name} | {ex.key}"}), built[c](ex)) for c, ex in items])
            for (c, _), s in zip(items, got):
                scores[c].append(s)
            left, spent = left - len(items), spent + len(items)
        for c in alive:
            rounds[c] += 1
        alive = sorted(alive, key=lambda c: _rank(c, scores, cands))[: max(1, math.ceil(len(alive) / ETA))]
    return scores, rounds, spent


def _rank(c: Candidate, scores: dict[Candidate, list[float]], cands: list[Candidate]) -> tuple[int, float, int]:
    """Survivors (more dev items) first, then the best dev score, then the earlier candidate."""
    return (-len(scores[c]), -_mean(scores[c]), cands.index(c))


def _common_system(pool: list[Example]) -> str | None:
    """The data's own system message when every train example has the same one: what the rewrites start from."""
    systems = {ex.system for ex in pool}
    return systems.pop() if len(systems) == 1 else None


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _interval(values: list[float], confidence: float) -> Interval:
    from evals.graders import rate

    return rate(values or [0.0], confidence)


def close(search: Search, eval_score: float) -> Search:
    """The overfitting guard: the dev-to-eval gap against the dev interval's lower half-width."""
    gap = search.dev_score - eval_score
    return search.model_copy(update={"eval_gap": gap, "overfit": gap > search.dev_margin})
