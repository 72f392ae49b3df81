"""Climbing the ladder: measure each rung cheapest first, stop at the first that meets every target."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from evals.errors import BackendError

from . import events as ev
from .decision import prefers_retrieval, recommend
from .measure import comparisons, rung_result
from .record import RunRecord, RungResult
from .rungs import RungPlan, plan_rungs
from .targets import sample_size_warnings
from .workspace import Workspace

MAX_ERROR_RATE = 0.1


@dataclass
class RunOptions:
    out_dir: Path
    full: bool = False
    rungs: list[str] | None = None
    use_cache: bool = True
    concurrency: int = 8
    repeat: int = 1
    max_error_rate: float = MAX_ERROR_RATE
    backend: object | None = None
    """A ready backend to use instead of building one from the scenario's model (tests, embedding apps)."""


def estimate(ws: Workspace, plans: list[RungPlan]) -> ev.Estimate:
    """Calls, tokens and cost if every applicable rung is measured (an upper bound: the ladder may stop early)."""
    from .cost import per_call

    n, per_rung, calls, tokens_in, tokens_out = len(ws.eval_set), {}, 0, 0, 0
    sample = ws.eval_set[:20]
    for plan in plans:
        if plan.strategy is None or not sample:
            continue
        chars = sum(len(m["content"]) for ex in sample for m in plan.strategy(ex).messages) / len(sample)
        rung_in, rung_out = int(chars / 4 * n), ws.params.max_tokens * n
        per_rung[plan.name] = {"calls": n, "input_tokens": rung_in, "output_tokens": rung_out}
        calls, tokens_in, tokens_out = calls + n, tokens_in + rung_in, tokens_out + rung_out
    from trainers import planned_epochs

    train_tokens = 0
    tuned = next((p for p in plans if p.trains and p.strategy is not None), None)
    if tuned is not None:  # the train set in the form the rung trains on, times the epochs
        chars = sum(len(m["content"]) for ex in ws.train_set for m in tuned.strategy(ex).messages)
        chars += sum(len(ex.expected) for ex in ws.train_set)
        train_tokens = int(chars / 4 * planned_epochs(ws.scenario.ladder.finetune, len(ws.train_set)))
    cost = per_call(ws.scenario.pricing, tokens_in, tokens_out, 0).total
    if ws.scenario.pricing:
        cost += ws.scenario.pricing.training_per_1m * train_tokens / 1e6
    return ev.Estimate(calls, tokens_in, tokens_out, train_tokens, cost, per_rung)


def warnings_before(ws: Workspace) -> list[str]:
    """What the user should know before anything is spent: sample size and leakage."""
    return sample_size_warnings(ws.scenario.targets, len(ws.eval_set), ws.scenario.confidence) + ws.warnings


async def climb(ws: Workspace, opts: RunOptions, on_event: Callable[[object], None] = lambda e: None) -> RunRecord:
    """Measure the rungs in order and return the full record (reports are written by the caller)."""
    from evals.backends import get_backend

    started = time.perf_counter()
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    plans = plan_rungs(ws, opts.rungs)
    warnings = warnings_before(ws)
    base = opts.backend or get_backend(ws.scenario.model)
    results: list[RungResult] = []
    scores: dict[str, dict[str, float]] = {}
    passed_by: str | None = None
    failure: str | None = None
    for plan in plans:
        if plan.strategy is None:
            result = RungResult(name=plan.name, status="skipped", skip_reason=plan.skip_reason)
        elif passed_by and not opts.full and not prefers_retrieval(ws.scenario.profile, plan.name):
            result = RungResult(name=plan.name, status="skipped",
                                skip_reason=f"{passed_by} already meets every target (--full measures every rung)")
        elif failure:
            result = RungResult(name=plan.name, status="skipped", skip_reason=f"stopped: {failure}")
        else:
            result, rows = await _measure(ws, plan, base, opts, on_event)
            if plan.trains and ws.scenario.ladder.finetune.compare:
                from .finetune_compare import measure_variants

                async def variant(config, label):
                    return await _measure(ws, plan, base, opts, on_event, config, label)

                result, rows = await measure_variants(ws.scenario.ladder.finetune, (result, rows), ws.scenario.confidence, variant)
            scores[plan.name] = dict(zip(rows["id"], rows["score"]))
            result.comparisons = comparisons(plan.name, scores)
            failure = _error_budget(result, opts.max_error_rate)
            if result.meets_targets and passed_by is None:
                passed_by = plan.name
        results.append(result)
        on_event(ev.RungFinished(result))
    recommendation = recommend(results, ws.scenario.profile, ws.scenario.model, ws.scenario.confidence)
    record = RunRecord(
        scenario=ws.scenario.name, description=ws.scenario.description,
        scenario_path=str(ws.scenario_path) if ws.scenario_path else None, data_sha256=ws.hashes(),
        model=ws.scenario.model, grader=ws.scenario.grader.kind, targets=ws.scenario.targets,
        confidence=ws.scenario.confidence, profile=ws.scenario.profile, limit=ws.limit,
        warnings=warnings + ([f"backend failure: {failure}"] if failure else []),
        estimate=estimate(ws, plans).as_dict(), rungs=results, recommendation=recommendation,
        seconds=time.perf_counter() - started, backend_failure=failure)
    return record


def _error_budget(result: RungResult, max_rate: float) -> str | None:
    if result.n and result.errors / result.n > max_rate:
        return f"{result.errors} of {result.n} {result.name} calls failed after retries (more than {max_rate:.0%})"
    return None


async def _measure(ws: Workspace, plan: RungPlan, base, opts: RunOptions, on_event, config=None,
                   label: str | None = None) -> tuple[RungResult, object]:
    """Measure one rung; a fine-tune variant (`config`) trains in and journals under its own `label`."""
    from evals.runner import Cache, Journal, Runner
    from evals.strategies import recall_at_k

    backend, tuned, label = base, None, label or plan.name
    if plan.trains:
        from .finetune_rung import train_rung

        tuned = await train_rung(ws, plan.strategy, opts.out_dir / label, on_event, config)
        backend = tuned.backend
    prompts = [plan.strategy(ex) for ex in ws.eval_set]
    recalls = [r for r in (recall_at_k(ex, p) for ex, p in zip(ws.eval_set, prompts)) if r is not None]
    on_event(ev.RungStarted(plan.name, len(prompts) * opts.repeat))
    started = time.perf_counter()

    def progress(p) -> None:
        on_event(ev.RowsDone(plan.name, p.done, p.total, p.errors, p.accuracy, p.eta_s))

    runner = Runner(backend, ws.grader(), params=ws.params, concurrency=opts.concurrency,
                    cache=Cache.open_default() if opts.use_cache else None,
                    journal=Journal(opts.out_dir / "journal.jsonl"), progress=progress, repeat=opts.repeat)
    rows = await runner.run([(ex, p.messages) for ex, p in zip(ws.eval_set, prompts)], rung=label)
    result = rung_result(plan.name, rows, ws.scenario, ws.labels, recalls, time.perf_counter() - started)
    if tuned is not None:
        result.training, result.forgetting = tuned.training, tuned.forgetting
    _save_samples(opts.out_dir, label, rows, prompts)
    return result, rows


def _save_samples(out_dir: Path, rung: str, rows, prompts) -> None:
    """Per-example outputs, like lm-eval's samples: what the model said and how it was graded."""
    folder = out_dir / "samples"
    folder.mkdir(exist_ok=True)
    table = rows.drop(columns=[c for c in ("details",) if c in rows]).copy()
    table.to_json(folder / f"{rung}.jsonl", orient="records", lines=True, force_ascii=False)


def raise_on_backend_failure(record: RunRecord) -> None:
    if record.backend_failure:
        raise BackendError(record.backend_failure)
