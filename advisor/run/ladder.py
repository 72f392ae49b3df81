"""Climbing the ladder: measure each rung cheapest first, stop at the first that meets every target, then compare
the rungs on the recommended rung's items (`advisor.run.topup`)."""

from __future__ import annotations

import time

from advisor.decide.decision import prefers_retrieval, recommend
from advisor.measure import events as ev
from advisor.measure.cell import Cell, RunOptions, measure_cell
from advisor.measure.repeats import item_scores
from advisor.measure.results import comparisons
from advisor.record.run import LearningCurve, RungName, RungResult, RunRecord
from advisor.run.models import climb_models
from advisor.run.plans import plan_rungs
from advisor.run.preflight import error_budget, estimate, warnings_before
from advisor.run.topup import Answered, compare_rungs
from advisor.rungs.finetune.curve import learning_curve
from advisor.scenario.workspace import Workspace, open_backend


async def climb(ws: Workspace, opts: RunOptions, on_event: ev.OnEvent = lambda e: None) -> RunRecord:
    """Measure the rungs in order and return the full record (reports are written by the caller)."""
    if ws.scenario.models is not None:
        return await climb_models(ws, opts, on_event)
    started = time.perf_counter()
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    plans = plan_rungs(ws, opts.rungs)
    warnings = warnings_before(ws)
    base = opts.backend or open_backend(ws.scenario.model, ws.scenario.model_options, concurrency=opts.concurrency, timeout=opts.timeout)
    results: list[RungResult] = []
    answered: dict[RungName, Answered[RungName]] = {}
    after_update: dict[RungName, dict[str, float]] = {}  # per-item scores asked after a knowledge update
    passed_by: str | None = None
    failure: str | None = None
    for plan in plans:
        if plan.strategy is None:
            result = RungResult(name=plan.name, status="skipped", skip_reason=plan.skip_reason)
        elif passed_by and not opts.full and not prefers_retrieval(ws.scenario.profile, plan.name):
            result = RungResult(
                name=plan.name, status="skipped", skip_reason=f"{passed_by} already meets every target (--full measures every rung)"
            )
        elif failure:
            result = RungResult(name=plan.name, status="skipped", skip_reason=f"stopped: {failure}")
        else:
            cell = Cell(ws, plan.name, base, opts, on_event)
            result, rows = await measure_cell(cell, plan)
            cell.set_aside()
            if rows is not None:
                answered[plan.name] = Answered(result, cell, rows, item_scores(rows))  # averaged over --repeat samples
                if result.update is not None:
                    after_update[plan.name] = result.update.scores
                    result.update.comparisons = comparisons(plan.name, after_update)
                failure = error_budget(plan, result, opts.max_error_rate, rows)
            if result.meets_targets and passed_by is None:
                passed_by = plan.name
        results.append(result)
        on_event(ev.RungFinished(result))
    curve, curve_note = await _learning_curve(ws, opts, on_event) if opts.learning_curve and not failure else (None, None)
    warnings += [curve_note] if curve_note else []
    for result in results:
        result.model = ws.scenario.model
    # The choice reads no paired test, its rationale does: choose, top up, compare, then write the rationale.
    chosen = recommend(results, ws.scenario.profile, ws.scenario.model, ws.scenario.confidence).rung
    await compare_rungs(answered, None if failure else chosen, opts.top_up, on_event)
    recommendation = recommend(results, ws.scenario.profile, ws.scenario.model, ws.scenario.confidence)
    recommendation.model = ws.scenario.model if recommendation.rung else None
    record = RunRecord(
        scenario=ws.scenario.name,
        description=ws.scenario.description,
        scenario_path=str(ws.scenario_path) if ws.scenario_path else None,
        data_sha256=ws.hashes(),
        model=ws.scenario.model,
        grader=ws.scenario.grader.kind,
        targets=ws.scenario.targets,
        confidence=ws.scenario.confidence,
        profile=ws.scenario.profile,
        limit=ws.limit,
        dropped_leaks=ws.dropped_leaks,
        warnings=warnings + [w for r in results if r.rag for w in r.rag.warnings] + ([f"backend failure: {failure}"] if failure else []),
        estimate=estimate(ws, plans, opts.top_up).as_dict(),
        rungs=results,
        recommendation=recommendation,
        seconds=time.perf_counter() - started,
        backend_failure=failure,
        learning_curve=curve,
    )
    return record


async def _learning_curve(ws: Workspace, opts: RunOptions, on_event: ev.OnEvent) -> tuple[LearningCurve | None, str | None]:
    """The learning curve of the fine-tune rung, or why there is none."""
    plan = next(p for p in plan_rungs(ws) if p.name == "finetune")  # also when --rungs left the rung out
    finetune = ws.scenario.ladder.finetune
    if plan.strategy is None or finetune is None or finetune.method == "openai":
        return None, f"no learning curve: {plan.skip_reason or 'it needs a local LoRA fine-tune'}"
    curve = await learning_curve(ws, plan.strategy, opts.out_dir / "learning_curve", on_event, opts.concurrency, opts.curve_max_steps)
    return curve, None
