"""The recommendation: the cheapest passing rung, adjusted by the profile, with a number in every sentence."""

from __future__ import annotations

import re

import pytest
from test_reports import measured, training

from advisor.decide.decision import is_hosted, prefers_retrieval, recommend
from advisor.decide.targets import check_all
from advisor.measure.results import adjust_p
from advisor.record.run import Comparison, MetricValue, RungResult
from advisor.scenario.schema import Profile, Target
from evals.stats import min_examples, wilson

LOCAL = "local:smollm2-135m"


def ladder(*, few=190, rag=None, finetune=None, few_cost=40.0, finetune_cost=10.0) -> list[RungResult]:
    """zero-shot always fails; few-shot, RAG and the fine-tune score what they are given (of 200)."""
    rungs = [
        measured("zero_shot", 10, 150, 300.0, 500.0, 60.0, 4.0, 5.0),
        measured("few_shot", few, 200, 900.0, 1400.0, 640.0, 4.0, few_cost),
    ]
    rungs.append(
        measured("rag", rag, 200, 950.0, 1500.0, 700.0, 6.0, 45.0)
        if rag is not None
        else RungResult(name="rag", status="skipped", skip_reason="no knowledge folder (data.knowledge)")
    )
    rungs.append(
        measured("finetune", finetune, 200, 300.0, 450.0, 60.0, 3.0, finetune_cost, training=training())
        if finetune is not None
        else RungResult(name="finetune", status="skipped", skip_reason="few_shot already meets every target")
    )
    return rungs


def test_the_cheapest_passing_rung_is_recommended_with_its_numbers():
    rec = recommend(ladder(), Profile(calls_per_day=20_000), LOCAL, 0.95)
    assert rec.rung == "few_shot"
    assert rec.rationale[0].startswith("Few-shot is the cheapest rung that meets every target: accuracy lower bound 0.9")
    assert "$40.00 per 1M calls" in rec.rationale[-1] and "$0.80/day at 20,000 calls/day" in rec.rationale[-1]
    assert all(re.search(r"\d", sentence) for sentence in rec.rationale)  # every sentence cites a number


def test_changing_knowledge_prefers_rag_when_it_also_passes():
    profile = Profile(knowledge_changes="weekly")
    assert prefers_retrieval(profile, "rag") and not prefers_retrieval(Profile(), "rag")
    rec = recommend(ladder(rag=195), profile, LOCAL, 0.95)
    assert rec.rung == "rag"
    assert any(s.startswith("Because the knowledge changes weekly, RAG is preferred") for s in rec.rationale)


def test_changing_knowledge_without_a_knowledge_folder_asks_for_one():
    rec = recommend(ladder(), Profile(needs_citations=True), LOCAL, 0.95)
    assert rec.rung == "few_shot"
    assert any("add a knowledge folder (data.knowledge)" in step for step in rec.next_steps)


def test_a_tuned_model_with_changing_knowledge_is_paired_with_retrieval():
    rec = recommend(ladder(few=100, finetune=199), Profile(knowledge_changes="daily"), LOCAL, 0.95)
    assert rec.rung == "finetune"
    assert any("combine the adapter with retrieval: RAG + fine-tune (ladder.rag_finetune: {})" in step for step in rec.next_steps)


def test_data_that_must_stay_local_rules_out_a_hosted_model():
    assert is_hosted("openai:gpt-4o-mini") and not is_hosted("openai:http://127.0.0.1:8000/v1#m") and not is_hosted(LOCAL)
    rec = recommend(ladder(), Profile(data_must_stay_local=True), "openai:gpt-4o-mini", 0.95)
    assert rec.rung is None and "hosted model" in rec.rationale[0]
    assert recommend(ladder(), Profile(data_must_stay_local=True), "openai:http://127.0.0.1:8000/v1#m", 0.95).rung == "few_shot"


def test_the_fine_tune_s_break_even_against_the_prompting_rung():
    # Both pass; the tuned model's shorter prompt costs $10 instead of $40 per 1M calls, its training $0.05.
    rec = recommend(ladder(finetune=199), Profile(calls_per_day=1_000), LOCAL, 0.95)
    assert rec.rung == "few_shot"
    [sentence] = [s for s in rec.rationale if "breaks even" in s]
    assert "saves $30.00 per 1M calls" in sentence and "after 1,667 calls (1.7 days at 1,000/day)" in sentence


def test_a_fine_tune_that_costs_more_per_call_never_pays_back():
    rec = recommend(ladder(finetune=199, finetune_cost=50.0), Profile(), LOCAL, 0.95)
    assert any("never pays back" in s for s in rec.rationale)


def test_no_passing_rung_names_the_closest_one_and_what_it_misses():
    rungs = ladder(few=150)
    rec = recommend(rungs, Profile(), LOCAL, 0.95)
    assert rec.rung is None
    assert rec.rationale[0].startswith("No rung meets every target. Closest: few-shot, which misses accuracy 0.750 (lower bound 0.")
    assert rec.next_steps[-1].startswith("A larger model")


def test_more_eval_data_is_suggested_when_only_the_interval_is_short():
    # 39 of 40 right: the point estimate 0.975 clears 0.95, but 40 items cannot show it with 95% confidence.
    value = MetricValue(**wilson(39, 40, 0.95).as_dict())
    rung = RungResult(name="few_shot", status="measured", n=40, metrics={"accuracy": value})
    check_all(rung, [Target(metric="accuracy", min=0.95)], 0.95)
    rec = recommend([rung], Profile(), LOCAL, 0.95)
    assert rec.rung is None
    step = next(s for s in rec.next_steps if s.startswith("The point estimate of accuracy (0.975) already clears 0.95"))
    assert f"about {min_examples(0.95, 0.95, failures=1)} eval examples" in step and "(now 40)" in step


def test_a_latency_budget_the_choice_exceeds_is_said():
    rec = recommend(ladder(), Profile(latency_budget_ms=1000), LOCAL, 0.95)
    assert "exceeds the budget of 1000 ms" in rec.rationale[-1]


def test_a_tuned_model_that_lost_general_ability_is_recommended_for_its_task_only():
    from test_reports import forgetting

    rungs = ladder(few=100, finetune=199)
    lost = forgetting().model_copy(update={"change": MetricValue(value=-0.30, lower=-0.4, upper=-0.2), "flagged": True})
    rungs[-1].forgetting = lost
    rec = recommend(rungs, Profile(), LOCAL, 0.95)
    assert rec.rung == "finetune"
    assert any(s.startswith("The adapter lost 30.0 points on the general canary tasks") for s in rec.rationale)
    assert any("for this task only" in step for step in rec.next_steps)
    rungs[-1].forgetting = forgetting()  # not flagged: nothing to say
    assert not any("canary" in s for s in recommend(rungs, Profile(), LOCAL, 0.95).rationale)


def test_check_reasons_keep_latencies_in_plain_milliseconds():
    rung = measured("finetune", 198, 200, 1773.0, 2071.0, 57.0, 3.0, 0.0)
    targets = [Target(metric="p95_latency_ms", max=5000), Target(metric="accuracy", min=0.9)]
    reasons = [c.reason for c in check_all(rung, targets, 0.95).checks]
    assert reasons[0] == "value 2071 <= 5000"
    assert re.fullmatch(r"lower bound 0\.\d{3} >= 0\.9", reasons[1])


def test_the_rationale_reads_the_holm_adjusted_p_of_the_runs_comparisons():
    rungs = ladder(rag=150)  # few-shot passes; RAG, measured too, misses
    few, rag = rungs[1], rungs[2]
    few.comparisons = [Comparison(against="zero_shot", test="mcnemar-exact", n=14, diff=0.357, p_value=0.03125)]
    rag.comparisons = [
        Comparison(against="zero_shot", test="mcnemar-exact", n=200, diff=0.1, p_value=0.5),
        Comparison(against="few_shot", test="mcnemar-exact", n=200, diff=-0.2, p_value=0.2),
    ]
    raw = recommend(rungs, Profile(), LOCAL, 0.95)  # a record from before the adjustment: the raw p
    assert (
        "Against zero-shot on the same 14 items it scores +35.7 points (mcnemar-exact, p = 0.0312, significant at 0.05)." in raw.rationale
    )
    adjust_p(rungs)  # 3 tests: 0.03125 x 3, 0.2 x 2, 0.5 x 1 raised to 0.4 to keep the order
    assert [c.p_holm for c in few.comparisons + rag.comparisons] == pytest.approx([0.09375, 0.5, 0.4])
    rec = recommend(rungs, Profile(), LOCAL, 0.95)
    assert (
        "Against zero-shot on the same 14 items it scores +35.7 points "
        "(mcnemar-exact, Holm-adjusted p = 0.0938, raw 0.0312, not significant at 0.05)." in rec.rationale
    )
