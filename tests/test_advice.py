"""The first opinion: the field's rules of thumb applied to the interview's answers."""

from __future__ import annotations

from advisor.decide.advice import Facts, first_opinion
from advisor.scenario.schema import Profile, Target

ENOUGH = Facts(n_eval=120, n_train=300)


def test_prompt_first_when_nothing_demands_more():
    opinion = first_opinion(Profile(), ENOUGH)
    assert opinion.approach == "prompt"
    assert opinion.rungs == ["zero_shot", "few_shot", "prompt_search"]
    assert opinion.reasons[0].startswith("Prompt first")
    assert opinion.cautions == []


def test_knowledge_that_changes_or_needs_citations_goes_to_rag():
    for profile in (
        Profile(knowledge_changes="weekly"),
        Profile(needs_citations=True),
        Profile(must_change=["knowledge"], knowledge_changes="never"),
    ):
        opinion = first_opinion(profile, Facts(n_eval=120, n_train=300, has_knowledge=True))
        assert opinion.approach == "rag" and "rag" in opinion.rungs
        assert "retrieval (RAG)" in opinion.reasons[1]


def test_rag_without_a_knowledge_folder_says_to_add_one():
    opinion = first_opinion(Profile(needs_citations=True), ENOUGH)
    assert any("knowledge folder" in c for c in opinion.cautions)


def test_format_style_and_skill_point_to_a_fine_tune():
    opinion = first_opinion(Profile(must_change=["format", "skill"]), ENOUGH)
    assert opinion.approach == "finetune"
    assert opinion.rungs == ["zero_shot", "few_shot", "prompt_search", "finetune"]
    assert opinion.ladder_text == "zero-shot → few-shot → prompt search → fine-tune"
    assert "its format and skill." in opinion.reasons[1]


def test_a_strict_format_target_or_a_cost_goal_points_to_a_fine_tune():
    strict = first_opinion(Profile(), ENOUGH, [Target(metric="format_valid", min=0.999)])
    cheaper = first_opinion(Profile(must_change=["cost"]), ENOUGH)
    assert strict.approach == cheaper.approach == "finetune"
    assert "99%" in strict.reasons[1] and "Cheaper, faster calls" in cheaper.reasons[1]


def test_under_100_train_examples_a_fine_tune_is_not_yet_worth_it():
    opinion = first_opinion(Profile(must_change=["style"]), Facts(n_eval=120, n_train=40))
    assert opinion.approach == "prompt" and "finetune" not in opinion.rungs
    assert opinion.cautions == [
        "Only 40 train examples: under 100, fine-tuning is not yet worth it; collect more and try few-shot meanwhile."
    ]


def test_without_an_eval_set_or_with_a_small_one_the_answer_is_not_yet():
    none = first_opinion(Profile(), Facts(n_eval=0, n_train=300))
    small = first_opinion(Profile(), Facts(n_eval=30, n_train=300))
    assert none.approach == small.approach == "not yet"
    assert none.headline == "Not yet: build the eval set first"
    assert "no eval set" in none.cautions[0]
    assert small.cautions[0].startswith("30 eval examples can show at most 88.6% at 95% confidence")


def test_knowledge_and_behaviour_together_suggest_both():
    profile = Profile(must_change=["knowledge", "format"], knowledge_changes="daily")
    opinion = first_opinion(profile, Facts(n_eval=200, n_train=500, has_knowledge=True))
    assert opinion.approach == "rag+finetune"
    assert opinion.rungs == ["zero_shot", "few_shot", "prompt_search", "rag", "finetune", "rag_finetune"]  # the combination, measured
    assert opinion.headline == "RAG for the facts, a fine-tune for the behaviour"
