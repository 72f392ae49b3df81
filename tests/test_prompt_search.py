"""The prompt-search rung with a scripted fake backend: selection sees train only, the budget holds, the guard speaks.

`InstructionFake` is a fake backend: it answers the label of the question's topic word t<i> (i % 3), so
every candidate prompt ties, except on "trap" questions, which it answers right only when the system
message is the `labels_inline` rewrite ("Labels: ..."). A trap in selection would make that variant win.
"""

from __future__ import annotations

import asyncio
import json
from typing import ClassVar

import pytest
from test_ladder import LABELS, write_scenario

from advisor.record.search import Search
from advisor.registry import rung_order
from advisor.reports import render
from advisor.run import RunOptions, climb, plan_rungs
from advisor.rungs.prompt_search.candidates import (
    Candidate,
    candidates,
    instruction_variants,
    strategy,
)
from advisor.rungs.prompt_search.search import carve_dev, close, successive_halving
from advisor.scenario.workspace import prepare
from evals.backends.base import Completion
from evals.graders import make_grader
from evals.runner import Runner

SEARCH = {"budget_calls": 200, "ks": [4], "demos": ["similar", "random", "bootstrapped"]}


class InstructionFake:
    """Right on every topic question; right on a trap question only under the `labels_inline` instruction."""

    spec = "fake:instruction"
    identity: ClassVar[dict] = {"backend": "fake", "model": "instruction"}

    def __init__(self, weak_unless_inline: bool = False):
        self.seen: list[str] = []
        self.weak_unless_inline = weak_unless_inline

    async def complete(self, messages, params) -> Completion:
        question = messages[-1]["content"]
        self.seen.append(question)
        system = messages[0]["content"] if messages[0]["role"] == "system" else ""
        inline = "Labels: " in system
        i = int(question.split()[-1][1:])
        if "trap" in question and not inline:
            return Completion("I'm not sure", 40, 2, 0.01)
        if self.weak_unless_inline and not inline and i % 2:
            return Completion("I'm not sure", 40, 2, 0.01)
        return Completion(LABELS[i % 3], 40, 2, 0.01)


def scenario(tmp_path, trap: bool = False, **search):
    path = write_scenario(tmp_path / "s", ladder={"few_shot": {"k": 4}, "rag": None, "prompt_search": {**SEARCH, **search}})
    if trap:  # an eval-only question that only the labels_inline prompt answers right
        line = {
            "id": "eval-trap",
            "messages": [{"role": "user", "content": "trap question about t7"}, {"role": "assistant", "content": LABELS[7 % 3]}],
        }
        with (tmp_path / "s" / "eval.jsonl").open("a") as f:
            f.write(json.dumps(line) + "\n")
    return path


def run_search(path, tmp_path, backend):
    ws = prepare(path)
    # every eval item, and no latency probe: the tests count exactly which calls the search and the eval made
    opts = RunOptions(
        tmp_path / "run", use_cache=False, full=True, rungs=["prompt_search"], backend=backend, sequential=False, latency_probe=0
    )
    record = asyncio.run(climb(ws, opts))
    return ws, record


def test_a_trap_in_the_dev_split_would_change_the_winner(tmp_path):
    """The counterfactual that gives the trap test its teeth: scored on dev, the trap decides the winner."""
    ws = prepare(scenario(tmp_path))
    pool, dev = carve_dev(ws.train_set, 60, 0)
    variants = instruction_variants(ws.system_prompt, None, "classification", ws.labels, False, pool)
    cands = candidates(variants, ["similar", "random"], [4], 4)
    built = {c: strategy(c, variants[c.instruction], pool, [], 0) for c in cands}
    trap = ws.eval_set[0].model_copy(
        update={
            "id": "trap",
            "messages": [
                m.model_copy(update={"content": "trap question about t0"}) if m.role == "user" else m for m in ws.eval_set[0].messages
            ],
        }
    )
    runner = Runner(InstructionFake(), make_grader("label", labels=ws.labels))

    async def score(items):
        return [float(s) for s in (await runner.run(items, "prompt_search"))["score"]]

    for dev_items, inline_wins in (([trap] + dev[:5], True), (dev[:6], False)):
        scores, _, _ = asyncio.run(successive_halving(cands, dev_items, 1000, built, score, lambda e: None))
        best = max(scores, key=lambda c: (len(scores[c]), sum(scores[c]) / len(scores[c]), -cands.index(c)))
        assert (best.instruction == "labels_inline") is inline_wins


def test_an_eval_only_trap_never_reaches_selection(tmp_path):
    clean, trapped = tmp_path / "clean", tmp_path / "trapped"
    _, without = run_search(scenario(clean), clean, InstructionFake())
    fake = InstructionFake()
    ws, with_trap = run_search(scenario(trapped, trap=True), trapped, fake)
    a, b = without.rung("prompt_search").search, with_trap.rung("prompt_search").search
    assert "labels_inline" not in b.winner and b.winner == a.winner
    assert b.dev_ids == a.dev_ids and set(b.dev_ids) <= {ex.key for ex in ws.train_set}
    assert [(c.name, c.dev_score) for c in b.candidates] == [(c.name, c.dev_score) for c in a.candidates]
    assert sum("trap" in q for q in fake.seen) == 1  # asked once: in the winner's eval measurement


def test_successive_halving_spends_within_budget_and_gives_survivors_more_items(tmp_path):
    fake = InstructionFake(weak_unless_inline=True)
    _, record = run_search(scenario(tmp_path), tmp_path, fake)
    rung = record.rung("prompt_search")
    s = rung.search
    assert s.calls_spent <= s.budget_calls == 200
    assert len(fake.seen) == s.calls_spent + rung.n  # the search's calls, then the eval measurement
    assert len(s.candidates) == 15 and s.baseline == "user · similar · k=4"
    assert s.winner.startswith("labels_inline")
    winner = next(c for c in s.candidates if c.name == s.winner)
    assert winner.dev_n == max(c.dev_n for c in s.candidates) > min(c.dev_n for c in s.candidates) >= 1
    assert s.dev_lower <= s.dev_score <= s.dev_upper and s.eval_gap is not None
    assert "Labels: refund, shipping, account." in s.winner_prompt[0]["content"]
    assert rung.metrics["accuracy"].value == 1.0 and record.rung("few_shot").status == "skipped"


def test_the_report_shows_the_search_and_its_winning_prompt(tmp_path):
    _, record = run_search(scenario(tmp_path), tmp_path, InstructionFake(weak_unless_inline=True))
    md = render(record, "md")
    assert "**Prompt search**" in md and "15 candidates" in md and "Labels: refund, shipping, account." in md
    assert "Prompt search:" in render(record, "terminal")
    assert "<h2>Prompt search</h2>" in render(record, "html")


def searched(dev_score: float, dev_lower: float, dev_upper: float) -> Search:
    """A finished search whose winner scored `dev_score` [dev_lower, dev_upper] on dev."""
    return Search(
        budget_calls=10,
        calls_spent=10,
        dev_ids=["a"],
        instructions={},
        candidates=[],
        winner="w",
        baseline="w",
        dev_score=dev_score,
        dev_lower=dev_lower,
        dev_upper=dev_upper,
    )


@pytest.mark.parametrize(("eval_score", "overfit"), [(0.6, True), (0.85, False), (0.95, False)])
def test_the_guard_says_overfit_when_the_gap_exceeds_the_dev_interval(eval_score, overfit):
    closed = close(searched(0.9, 0.75, 0.97), eval_score)
    assert closed.overfit is overfit and closed.eval_gap == pytest.approx(0.9 - eval_score)


@pytest.mark.parametrize(("eval_score", "overfit"), [(0.95, False), (0.85, True)])
def test_a_perfect_dev_score_is_judged_against_the_lower_side_of_its_interval(eval_score, overfit):
    """At dev 1.000 the interval's upper half is empty; a drop is measured against how far below 1 it reaches."""
    assert close(searched(1.0, 0.898, 1.0), eval_score).overfit is overfit


def test_a_small_train_set_skips_the_rung_with_the_reason(tmp_path):
    path = scenario(tmp_path)
    lines = (tmp_path / "s" / "train.jsonl").read_text().splitlines()[:40]
    (tmp_path / "s" / "train.jsonl").write_text("\n".join(lines) + "\n")
    plan = next(p for p in plan_rungs(prepare(path)) if p.name == "prompt_search")
    assert plan.strategy is None and "40 train examples" in plan.skip_reason and "50" in plan.skip_reason


def test_the_dev_split_comes_from_train_only_and_the_rest_is_the_pool(tmp_path):
    ws = prepare(scenario(tmp_path))
    pool, dev = carve_dev(ws.train_set, 60, 0)
    assert len(dev) == 30 and {e.key for e in pool}.isdisjoint(e.key for e in dev)
    assert {e.key for e in pool} | {e.key for e in dev} == {e.key for e in ws.train_set}
    assert carve_dev(ws.train_set, 60, 0)[1] == dev  # the same seed carves the same split


def test_candidates_put_the_few_shot_recipe_first_without_duplicates():
    variants = {"user": None, "format_line": "x"}
    cands = candidates(variants, ["similar", "random"], [4, 8], 8)
    assert cands[0] == Candidate("user", "similar", 8) and len(cands) == len(set(cands)) == 8


def test_a_proposer_model_drafts_instructions_that_join_the_search(tmp_path, monkeypatch):
    class Proposer:
        spec, identity = "fake:proposer", {"backend": "fake", "model": "proposer"}
        asked: ClassVar[list[str]] = []

        async def complete(self, messages, params):
            self.asked.append(messages[-1]["content"])
            return Completion(f"Answer with one of: refund, shipping, account. (draft {len(self.asked)})", 10, 10, 0.01)

    proposer = Proposer()
    monkeypatch.setattr("evals.backends.get_backend", lambda spec: proposer)
    _, record = run_search(scenario(tmp_path, proposer="openai:gpt-4o-mini"), tmp_path, InstructionFake())
    s = record.rung("prompt_search").search
    assert s.proposer_calls == 2 and s.instructions["proposer_1"].endswith("(draft 1)")
    assert any(c.instruction == "proposer_2" for c in s.candidates)
    assert "refund, shipping, account" in proposer.asked[0] and "train question" in proposer.asked[0]


def test_the_fine_tune_break_even_is_stated_against_the_prompt_search_too():
    from test_decision import LOCAL
    from test_reports import measured, training

    from advisor.decide.decision import recommend
    from advisor.scenario.schema import Profile

    rungs = [
        measured("few_shot", 190, 200, 900.0, 1400.0, 640.0, 4.0, 40.0),
        measured("prompt_search", 194, 200, 1200.0, 1800.0, 900.0, 4.0, 60.0),
        measured("finetune", 196, 200, 300.0, 450.0, 60.0, 3.0, 10.0, training=training()),
    ]
    rationale = " ".join(recommend(rungs, Profile(calls_per_day=20_000), LOCAL, 0.95).rationale)
    assert "against few-shot: it breaks even" in rationale and "against prompt search: it breaks even" in rationale


def test_without_a_system_prompt_the_data_s_own_messages_are_the_first_instruction(tmp_path):
    path = write_scenario(
        tmp_path / "s",
        task={"kind": "classification", "labels": LABELS},
        ladder={"few_shot": {"k": 4}, "rag": None, "prompt_search": SEARCH},
    )
    _, record = run_search(path, tmp_path, InstructionFake())
    s = record.rung("prompt_search").search
    assert s.instructions["user"] is None and s.winner == s.baseline
    assert "format_line" not in s.instructions  # no text to add a format line to


class ReadsLabelsInline:
    """The shipped support-intents data's gold label for every input, but wrong on a third of them unless the
    system message lists the labels inline (the `labels_inline` rewrite): a model only a searched prompt can steer."""

    spec = "fake:labels-inline"
    identity: ClassVar[dict] = {"backend": "fake", "model": "labels-inline"}

    def __init__(self, gold: dict[str, str], labels: list[str]):
        self.gold, self.labels = gold, labels

    async def complete(self, messages, params) -> Completion:
        question = messages[-1]["content"]
        label = self.gold[question]
        system = messages[0]["content"] if messages[0]["role"] == "system" else ""
        if "Labels: " not in system and sum(map(ord, question)) % 3 == 0:
            label = self.labels[(self.labels.index(label) + 1) % len(self.labels)]  # a wrong label, still a valid one
        return Completion(label, 40, 2, 0.01)


def test_on_support_intents_the_recommendation_names_prompt_search_when_it_passes(tmp_path):
    from pathlib import Path

    scenario_path = Path(__file__).resolve().parents[1] / "scenarios" / "support-intents.yaml"
    ws = prepare(scenario_path)
    gold = {ex.prompt[-1].content: ex.expected for ex in [*ws.train_set, *ws.eval_set]}
    backend = ReadsLabelsInline(gold, ws.scenario.task.labels)
    opts = RunOptions(tmp_path / "run", use_cache=False, rungs=["zero_shot", "few_shot", "prompt_search", "finetune"], backend=backend)
    record = asyncio.run(climb(ws, opts))

    assert [r.name for r in record.rungs] == list(rung_order())
    assert record.rung("rag").status == "skipped"  # no knowledge base
    assert not record.rung("few_shot").meets_targets and record.rung("prompt_search").meets_targets
    assert record.rung("prompt_search").search.winner.startswith("labels_inline")
    assert record.rung("finetune").status == "skipped"  # the cheaper searched prompt passed: no weights paid for
    assert record.recommendation.rung == "prompt_search"
    assert record.recommendation.rationale[0].startswith("Prompt search is the cheapest rung that meets every target")
    terminal = render(record, "terminal")
    assert terminal.index("few-shot") < terminal.index("prompt search") < terminal.index("fine-tune")
