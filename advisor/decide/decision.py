"""The recommendation: the cheapest rung that meets every target, adjusted by the use-case profile.

Every sentence of the rationale cites a measured number.
"""

from __future__ import annotations

from advisor.decide.cost import break_even_calls
from advisor.record.run import Comparison, Recommendation, RungResult, TargetCheck
from advisor.registry import needs_knowledge, prompting, rung_title, trains
from advisor.registry import rungs as registered
from advisor.scenario.metrics import RATE_METRICS
from advisor.scenario.schema import VOLATILE, Profile
from evals.stats import min_examples


def is_hosted(model: str) -> bool:
    """An openai: model on someone else's machine (not loopback / a self-hosted URL on localhost)."""
    from evals.backends.spec import ModelSpec

    return ModelSpec.parse(model).is_hosted


def prefers_retrieval(profile: Profile, rung: str) -> bool:
    """The profile asks for retrieval (changing or cited knowledge): such a rung is measured even after a cheaper one passed."""
    return needs_knowledge(rung) and (profile.knowledge_changes in VOLATILE or profile.needs_citations)


def recommend(rungs: list[RungResult], profile: Profile, model: str, confidence: float) -> Recommendation:
    measured = [r for r in rungs if r.status == "measured"]
    if profile.data_must_stay_local and is_hosted(model):
        return Recommendation(
            rung=None,
            rationale=[
                f"The profile says data must stay local, but {model} is a hosted model: all {len(measured)} measured rungs sent the eval data out."
            ],
            next_steps=["Rerun with a local model (model: local:...) or a self-hosted OpenAI-compatible server."],
        )
    passing = [r for r in measured if r.meets_targets]
    if not passing:
        return none_passes(rungs, measured, confidence)
    choice = passing[0]
    rationale = [f"{_title(choice)} is the cheapest rung that meets every target: {reasons(choice)}."]
    next_steps: list[str] = []
    choice = _adjust_for_knowledge(choice, rungs, profile, rationale, next_steps)
    rationale += after_update(measured, choice)
    rationale += significance(choice)
    rationale.append(_cost_sentence(choice, profile))
    rationale += _break_even(choice, measured, profile)
    rationale += forgetting_note(choice, next_steps)
    next_steps += serve_constrained(choice)
    if profile.latency_budget_ms and choice.latency_ms.get("p95", 0) > profile.latency_budget_ms:
        rationale.append(f"Its p95 latency of {choice.latency_ms['p95']:.0f} ms exceeds the budget of {profile.latency_budget_ms:.0f} ms.")
        next_steps.append("Serve it on faster hardware or batch requests to meet the latency budget.")
    return Recommendation(rung=choice.name, rationale=rationale, next_steps=next_steps)


def _title(rung: RungResult) -> str:
    title = rung_title(rung.name)
    return title[:1].upper() + title[1:]


def reasons(rung: RungResult) -> str:
    return "; ".join(f"{c.target.metric} {c.reason}" for c in rung.checks)


def _adjust_for_knowledge(
    choice: RungResult, rungs: list[RungResult], profile: Profile, rationale: list[str], next_steps: list[str]
) -> RungResult:
    """Knowledge that changes or must be cited belongs in retrieval, not in weights or prompts."""
    why = []
    if profile.knowledge_changes in VOLATILE:
        why.append(f"the knowledge changes {profile.knowledge_changes}")
    if profile.needs_citations:
        why.append("answers must cite sources")
    if not why or needs_knowledge(choice.name):
        return choice
    retrieving = [r for r in rungs if needs_knowledge(r.name)]
    passing = next((r for r in retrieving if r.status == "measured" and r.meets_targets), None)
    if passing is not None:
        acc = passing.metrics.get("accuracy")
        rationale.append(
            f"Because {' and '.join(why)}, {rung_title(passing.name)} is preferred: it also meets every target"
            + (f" (accuracy lower bound {acc.lower:.3f})" if acc else "")
            + " and stays current without retraining."
        )
        return passing
    combined = [r for r in registered() if r.trains and r.needs_knowledge]  # RAG + fine-tune, or a plugin's own
    if trains(choice.name) and not any(r.status == "measured" and trains(r.name) for r in retrieving):
        how = f": {combined[0].title} (ladder.{combined[0].name}: {{}})" if combined else ""
        next_steps.append(f"Because {' and '.join(why)}, combine the adapter with retrieval{how}.")
    elif not any(r.status == "measured" for r in retrieving):
        next_steps.append(f"Because {' and '.join(why)}, add a knowledge folder (data.knowledge) so RAG can be measured.")
    return choice


def after_update(measured: list[RungResult], choice: RungResult | None = None) -> list[str]:
    """What the knowledge update did to each rung, measured: the ones it made stale (lower after it, and short of a
    target it held to), then the chosen one. A rung that was as wrong before the update is left to the tables."""
    out = []
    for rung in measured:
        update = rung.update
        after = update.paired_after if update else None
        if update is None or update.change is None or after is None:
            continue
        change = update.change
        numbers = f"{update.before:.2f} → {after:.2f} after the knowledge update ({change.n} questions asked again, {change.test}, {p_text(change)})"
        missed = [c for c in rung.checks if c.after_update and not c.passed]
        if missed and change.diff < 0:
            out.append(f"{_title(rung)} goes stale: {numbers}, so it misses {missed[0].target} once the documents change.")
        elif rung is choice:
            out.append(f"{_title(rung)}: {numbers}.")
            out += [
                f"After the update it scores {c.diff * 100:+.1f} points against {rung_title(c.against)} on the same {c.n} questions "
                f"({c.test}, {p_text(c)})."
                for c in update.comparisons
                if c.p < 0.05
            ]
    return out


def significance(choice: RungResult) -> list[str]:
    """The chosen rung against each one it was compared with, significant or not on the Holm-adjusted p."""
    out = []
    for c in choice.comparisons:
        verdict = "significant" if c.p < 0.05 else "not significant"
        other = f"{rung_title(c.against)} on {c.against_model}" if c.against_model else rung_title(c.against)
        short = f"; {c.n} items only, because {c.note}" if c.note else ""
        out.append(
            f"Against {other} on the same {c.n} items it scores {c.diff * 100:+.1f} points "
            f"({c.test}, {p_text(c)}, {verdict} at 0.05){short}."
        )
    return out


def p_text(c: Comparison) -> str:
    """'Holm-adjusted p = 0.0625, raw 0.0312', or 'p = 0.0312' in a record from before the adjustment."""
    if c.p_holm is None:
        return f"p = {c.p_value:.3g}"
    held, raw = f"{c.p_holm:.3g}", f"{c.p_value:.3g}"
    return f"Holm-adjusted p = {held}" + (f", raw {raw}" if raw != held else "")


def _cost_sentence(rung: RungResult, profile: Profile) -> str:
    tokens = rung.tokens_per_call
    per_1m = rung.cost_per_1m_calls_usd or 0.0
    per_day = per_1m * profile.calls_per_day / 1e6
    return (
        f"It costs ${per_1m:,.2f} per 1M calls ({tokens.get('input', 0):.0f} input + {tokens.get('output', 0):.0f} output "
        f"tokens per call, p95 latency {rung.latency_ms.get('p95', 0):.0f} ms): ${per_day:,.2f}/day at {profile.calls_per_day:,} calls/day."
    )


def _break_even(choice: RungResult, measured: list[RungResult], profile: Profile) -> list[str]:
    """Fine-tuning buys a shorter prompt; say when that pays back its training cost."""
    ft = next((r for r in measured if trains(r.name) and r.training), None)
    prompts = [r for r in measured if prompting(r.name) and r.meets_targets]
    if ft is None or ft.training is None or not prompts or not ft.meets_targets:
        return []
    # Against the cheapest passing prompt, and against the longest one too: a long prompt is what tuning removes.
    longest = max(prompts, key=lambda r: r.tokens_per_call.get("input", 0.0))
    against = prompts[:1] + ([longest] if longest is not prompts[0] else [])
    return [_pays_back(ft, best, profile) for best in against]


def _pays_back(ft: RungResult, best: RungResult, profile: Profile) -> str:
    assert ft.training is not None  # only a trained rung is asked
    before, after = (best.cost_per_1k_calls_usd or 0) / 1e3, (ft.cost_per_1k_calls_usd or 0) / 1e3
    calls = break_even_calls(ft.training.cost_usd, before, after)
    if calls is None:
        return (
            f"The fine-tune (${ft.training.cost_usd:.2f} to train) is not cheaper per call than {rung_title(best.name)} "
            f"(${after * 1e6:,.2f} vs ${before * 1e6:,.2f} per 1M calls), so it never pays back."
        )
    days = calls / profile.calls_per_day if profile.calls_per_day else float("inf")
    return (
        f"The fine-tune cost ${ft.training.cost_usd:.2f} to train and saves ${(before - after) * 1e6:,.2f} per 1M calls "
        f"against {rung_title(best.name)}: it breaks even after {calls:,.0f} calls ({days:,.1f} days at {profile.calls_per_day:,}/day)."
    )


def forgetting_note(choice: RungResult, next_steps: list[str]) -> list[str]:
    """A tuned model that lost general ability is fine for its task only: say so with the canary numbers."""
    f = choice.forgetting
    if f is None or not f.flagged:
        return []
    next_steps.append(
        "Serve the adapter for this task only (e.g. vLLM --enable-lora per request), not as a general assistant; "
        "or train with `prompt: full` so that it keys on the task's system prompt."
    )
    return [
        f"The adapter lost {-f.change.value * 100:.1f} points on the general canary tasks ({f.base.value:.3f} → "
        f"{f.adapter.value:.3f}, more than the {f.threshold * 100:g}-point threshold)."
    ]


SERVE_CONSTRAINED = {
    "choice": "Serve it with the same constraint: response_format json_schema with the labels as an enum (OpenAI, "
    "`advisor serve`), or vLLM's guided_choice with the labels; its numbers were measured that way.",
    "json": "Serve it with the same constraint: response_format json_schema with the grader's schema (OpenAI, "
    "`advisor serve`), or vLLM's guided_json; its numbers were measured that way.",
    "regex": "Serve it with the same constraint: vLLM's guided_regex (or `advisor serve`) with the grader's pattern; "
    "its numbers were measured that way.",
}


def serve_constrained(choice: RungResult) -> list[str]:
    """How to get in production what was measured: the same structured output."""
    if not choice.structure or not choice.constrained:
        return []
    return [SERVE_CONSTRAINED[choice.structure]]


def none_passes(rungs: list[RungResult], measured: list[RungResult], confidence: float) -> Recommendation:
    if not measured:
        return Recommendation(rung=None, rationale=["No rung was measured."], next_steps=["Enable at least one rung in `ladder`."])
    rung = closest(measured)
    missed = [c for c in rung.checks if not c.passed]
    rationale = [
        f"No rung meets every target. Closest: {rung_title(rung.name)}, which misses " + "; ".join(_miss(c, rung) for c in missed) + "."
    ]
    rationale += after_update(measured)
    steps = [step for c in missed if (step := _more_data(c, rung, confidence))]
    ft = next((r for r in rungs if trains(r.name)), None)
    if ft is not None and ft.status == "skipped" and ft.skip_reason:
        steps.append(f"Fine-tuning was skipped ({ft.skip_reason}).")
    elif ft is not None and ft.status == "measured":
        steps.append("More training examples, more epochs, or a larger base model would raise the fine-tuned score.")
    steps.append("A larger model (e.g. an OpenAI-compatible endpoint) may clear the targets with prompting alone.")
    return Recommendation(rung=None, rationale=rationale, next_steps=steps)


def closest(measured: list[RungResult]) -> RungResult:
    """The measured rung nearest to passing: the smallest worst miss (the first such, so the cheapest)."""
    return min(measured, key=_shortfall)


def _gap(check: TargetCheck) -> float:
    """How far a check is from passing: points for a rate, the relative overshoot for latency and cost."""
    if check.passed:
        return 0.0
    if check.observed is None:
        return 1.0
    if check.target.min is not None:
        return check.target.min - check.observed
    return (check.observed - check.target.max) / check.target.max if check.target.max else 1.0


def _shortfall(rung: RungResult) -> float:
    """A rung's distance from passing: its worst missed target."""
    return max((_gap(c) for c in rung.checks), default=0.0)


def _miss(check: TargetCheck, rung: RungResult) -> str:
    metric = rung.metrics.get(check.target.metric) if not check.after_update else None  # after an update: its reason says it
    if check.target.metric in RATE_METRICS and check.target.min is not None and metric is not None:
        return (
            f"{check.target.metric} {metric.value:.3f} (lower bound {check.observed:.3f}) against {check.target.min:g}, "
            f"{_gap(check) * 100:.1f} points short"
        )
    return f"{check.target} ({check.reason})"


def _more_data(check: TargetCheck, rung: RungResult, confidence: float) -> str | None:
    """When the point estimate clears a rate target, the eval set is what is missing: say how much more."""
    metric, bound = rung.metrics.get(check.target.metric), check.target.min
    if (
        check.after_update
        or metric is None
        or bound is None
        or check.target.metric not in RATE_METRICS
        or metric.value < bound
        or bound >= 1.0
    ):
        return None
    need = min_examples(bound, confidence, failures=round((1 - metric.value) * rung.n))
    return (
        f"The point estimate of {check.target.metric} ({metric.value:.3f}) already clears {bound:g}; about {need} eval "
        f"examples at the same error rate would show it with {confidence:.0%} confidence (now {rung.n})."
    )
