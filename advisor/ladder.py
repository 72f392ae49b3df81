"""Climbing the ladder: measure each rung cheapest first, stop at the first that meets every target."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from evals.errors import BackendError

from . import events as ev
from .decision import prefers_retrieval, recommend
from .measure import comparisons, constrained_share, rung_result
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
        rung_calls = n + (ws.scenario.ladder.prompt_search.budget_calls if plan.searches else 0)  # the search's at most
        rung_in, rung_out = int(chars / 4 * rung_calls), ws.params.max_tokens * rung_calls
        per_rung[plan.name] = {"calls": rung_calls, "input_tokens": rung_in, "output_tokens": rung_out}
        calls, tokens_in, tokens_out = calls + rung_calls, tokens_in + rung_in, tokens_out + rung_out
    train_tokens = 0
    tuned = next((p for p in plans if p.trains and p.strategy is not None), None)
    if tuned is not None:  # the train set in the form the rung trains on, times the epochs
        chars = sum(len(m["content"]) for ex in ws.train_set for m in tuned.strategy(ex).messages)
        chars += sum(len(ex.expected) for ex in ws.train_set)
        train_tokens = int(chars / 4 * ws.scenario.ladder.finetune.epochs)
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


async def _measure(ws: Workspace, plan: RungPlan, base, opts: RunOptions, on_event) -> tuple[RungResult, object]:
    from evals.runner import Cache, Journal, Runner
    from evals.strategies import recall_at_k

    backend, tuned = base, None
    if plan.trains:
        from .finetune_rung import train_rung

        tuned = await train_rung(ws, plan.strategy, opts.out_dir / "finetune", on_event)
        backend = tuned.backend
    strategy, found = plan.strategy, None
    if plan.searches:
        from .prompt_search import search_prompts

        found = await search_prompts(ws, base, use_cache=opts.use_cache, concurrency=opts.concurrency, on_event=on_event)
        strategy = found.strategy
    prompts = [strategy(ex) for ex in ws.eval_set]
    recalls = [r for r in (recall_at_k(ex, p) for ex, p in zip(ws.eval_set, prompts)) if r is not None]
    on_event(ev.RungStarted(plan.name, len(prompts) * opts.repeat))
    started = time.perf_counter()

    def progress(p) -> None:
        on_event(ev.RowsDone(plan.name, p.done, p.total, p.errors, p.accuracy, p.eta_s))

    runner = Runner(backend, ws.grader(), params=ws.params, concurrency=opts.concurrency,
                    cache=Cache.open_default() if opts.use_cache else None,
                    journal=Journal(opts.out_dir / "journal.jsonl"), progress=progress, repeat=opts.repeat)
    rows = await runner.run([(ex, p.messages) for ex, p in zip(ws.eval_set, prompts)], rung=plan.name)
    result = rung_result(plan.name, rows, ws.scenario, ws.labels, recalls, time.perf_counter() - started)
    if ws.params.structure is not None:
        result.structure, result.constrained = ws.params.structure.kind, constrained_share(rows)
    if tuned is not None:
        result.training, result.forgetting = tuned.training, tuned.forgetting
    if found is not None:
        from .prompt_search import close

        result.search = close(found.search, float(rows[rows["repeat"] == 0]["score"].mean()))
    _save_samples(opts.out_dir, plan.name, rows, {ex.key: p for ex, p in zip(ws.eval_set, prompts)})
    return result, rows


def _save_samples(out_dir: Path, rung: str, rows, prompts: dict) -> None:
    """Per-item samples (advisor.samples.Sample): the prompt, what the model said and how it was graded."""
    from . import samples

    def sample(row: dict):
        prompt = prompts.get(row["id"])
        return samples.from_row(row, prompt.messages if prompt else None, prompt.context if prompt else None)

    samples.write(out_dir, rung, [sample(row) for row in rows.to_dict("records")])


def raise_on_backend_failure(record: RunRecord) -> None:
    if record.backend_failure:
        raise BackendError(record.backend_failure)
