"""Climbing the ladder: measure each rung cheapest first, stop at the first that meets every target."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from evals.backends.base import Backend
from evals.errors import BackendError
from evals.strategies import Rag

from . import events as ev
from .decision import prefers_retrieval, recommend
from .latency import PROBE_ITEMS, probe
from .measure import backend_share, comparisons, rung_result
from .record import RunRecord, RungName, RungResult, Stopping
from .repeats import item_scores
from .rungs import RungPlan, plan_rungs
from .sequential import Stopper
from .targets import check_all, sample_size_warnings
from .workspace import Workspace, open_backend

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
    latency_probe: int = PROBE_ITEMS
    """Items sent one at a time after the run to measure latency as it would be served (0: the run's latencies)."""
    learning_curve: bool = False
    """Also fine-tune on 25/50/100% of train and forecast the data the target needs (`advisor.learning_curve`)."""
    curve_max_steps: int | None = None
    """Cap on optimizer steps per learning-curve point (tests and quick looks)."""
    sequential: bool = True
    """Stop each rung once its verdict on the targets is settled (`advisor.sequential`)."""
    timeout: float | None = None
    """Seconds per request (--timeout); None: the scenario's model_options.timeout or the backend's default."""
    backend: Backend | None = None
    """A ready backend to use instead of building one from the scenario's model (tests, embedding apps)."""


def estimate(ws: Workspace, plans: list[RungPlan]) -> ev.Estimate:
    """Calls, tokens and cost if every applicable rung is measured (an upper bound: the ladder may stop early)."""
    from .cost import per_call

    n, per_rung, calls, tokens_in, tokens_out = len(ws.eval_set), {}, 0, 0, 0
    for plan in plans:
        if plan.strategy is None or not ws.eval_set:
            continue
        search = ws.scenario.ladder.prompt_search
        rung_calls = n + (search.budget_calls if plan.searches and search else 0)  # the search's at most
        rung_in, rung_out = int(prompt_tokens(ws, plan) * rung_calls), ws.params.max_tokens * rung_calls
        per_rung[plan.name] = {"calls": rung_calls, "input_tokens": rung_in, "output_tokens": rung_out}
        calls, tokens_in, tokens_out = calls + rung_calls, tokens_in + rung_in, tokens_out + rung_out
    from trainers import planned_epochs

    train_tokens = 0
    tuned = next((p for p in plans if p.trains and p.strategy is not None), None)
    settings = ws.scenario.ladder.finetune
    if tuned is not None and tuned.strategy is not None and settings is not None:  # the train set as the rung trains on it
        strategy = tuned.strategy
        chars = sum(len(m["content"]) for ex in ws.train_set for m in strategy(ex).messages)
        chars += sum(len(ex.expected) for ex in ws.train_set)
        train_tokens = int(chars / 4 * planned_epochs(settings, len(ws.train_set)))
    cost = per_call(ws.scenario.pricing, tokens_in, tokens_out, 0).total
    if ws.scenario.pricing:
        cost += ws.scenario.pricing.training_per_1m * train_tokens / 1e6
    return ev.Estimate(calls, tokens_in, tokens_out, train_tokens, cost, per_rung)


def prompt_tokens(ws: Workspace, plan: RungPlan) -> float:
    """Estimated input tokens of one call of a rung (four characters a token, over the first 20 eval items)."""
    sample = ws.eval_set[:20]
    if plan.strategy is None or not sample:
        return 0.0
    return sum(len(m["content"]) for ex in sample for m in plan.strategy(ex).messages) / len(sample) / 4


def warnings_before(ws: Workspace) -> list[str]:
    """What the user should know before anything is spent: sample size and leakage."""
    return sample_size_warnings(ws.scenario.targets, len(ws.eval_set), ws.scenario.confidence) + ws.warnings


async def climb(ws: Workspace, opts: RunOptions, on_event: ev.OnEvent = lambda e: None) -> RunRecord:
    """Measure the rungs in order and return the full record (reports are written by the caller)."""
    if ws.scenario.models is not None:
        from .model_axis import climb_models

        return await climb_models(ws, opts, on_event)
    started = time.perf_counter()
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    plans = plan_rungs(ws, opts.rungs)
    warnings = warnings_before(ws)
    base = opts.backend or open_backend(ws.scenario.model, ws.scenario.model_options, concurrency=opts.concurrency, timeout=opts.timeout)
    results: list[RungResult] = []
    scores: dict[RungName, dict[str, float]] = {}
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
            result, rows = await measure_cell(ws, plan, base, opts, on_event)
            if rows is not None:
                scores[plan.name] = item_scores(rows)  # averaged over --repeat samples
                result.comparisons = comparisons(plan.name, scores)
                failure = error_budget(result, opts.max_error_rate, rows)
            if result.meets_targets and passed_by is None:
                passed_by = plan.name
        results.append(result)
        on_event(ev.RungFinished(result))
    curve, curve_note = await _learning_curve(ws, opts, on_event) if opts.learning_curve and not failure else (None, None)
    warnings += [curve_note] if curve_note else []
    for result in results:
        result.model = ws.scenario.model
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
        estimate=estimate(ws, plans).as_dict(),
        rungs=results,
        recommendation=recommendation,
        seconds=time.perf_counter() - started,
        backend_failure=failure,
        learning_curve=curve,
    )
    return record


async def _learning_curve(ws: Workspace, opts: RunOptions, on_event):
    """The learning curve of the fine-tune rung, or why there is none."""
    from .learning_curve import learning_curve

    plan = next(p for p in plan_rungs(ws) if p.name == "finetune")  # also when --rungs left the rung out
    finetune = ws.scenario.ladder.finetune
    if plan.strategy is None or finetune is None or finetune.method == "openai":
        return None, f"no learning curve: {plan.skip_reason or 'it needs a local LoRA fine-tune'}"
    curve = await learning_curve(ws, plan.strategy, opts.out_dir / "learning_curve", on_event, opts.concurrency, opts.curve_max_steps)
    return curve, None


async def measure_cell(ws: Workspace, plan: RungPlan, base: Backend, opts: RunOptions, on_event: ev.OnEvent) -> tuple[RungResult, Any]:
    """Measure one rung of the workspace's model (each `finetune.compare` variant too) and return its result and rows.

    A distillation whose teacher misses its own targets comes back skipped, with no rows."""
    if plan.name == "distill":
        from .distill import student_workspace, teach

        teaching = await teach(ws, opts.out_dir / "distill", opts.concurrency, opts.use_cache, opts.timeout, on_event)
        if teaching.skip_reason is not None:
            return RungResult(name="distill", status="skipped", skip_reason=teaching.skip_reason, distill=teaching.details), None
        result, rows = await _measure(student_workspace(ws, teaching), plan, base, opts, on_event, ws.scenario.ladder.finetune, "distill")
        result.distill = teaching.details
        return result, rows
    result, rows = await _measure(ws, plan, base, opts, on_event)
    if plan.trains and ws.scenario.ladder.finetune and ws.scenario.ladder.finetune.compare:
        from .finetune_compare import measure_variants

        async def variant(config, label):
            return await _measure(ws, plan, base, opts, on_event, config, label)

        result, rows = await measure_variants(ws.scenario.ladder.finetune, (result, rows), ws.scenario.confidence, variant)
    return result, rows


def error_budget(result: RungResult, max_rate: float, rows) -> str | None:
    """Why the run stops when too many of a rung's calls failed after retries, or None."""
    if result.n and result.errors / result.n > max_rate:
        errors = rows["error"].dropna()
        cause = f"; the most common error: {errors.mode().iloc[0]}" if len(errors) else ""
        return f"{result.errors} of {result.n} {result.name} calls failed after retries (more than {max_rate:.0%}){cause}"
    return None


async def _measure(
    ws: Workspace, plan: RungPlan, base, opts: RunOptions, on_event, config=None, label: str | None = None
) -> tuple[RungResult, object]:
    """Measure one rung; a fine-tune variant (`config`) trains in and journals under its own `label`."""
    from evals.runner import Cache, Journal, Runner, prompt_parts
    from evals.strategies import grade_answer_only

    from .rag_measure import rag_outcome

    backend, tuned, label = base, None, label or plan.name
    if plan.trains:
        from .finetune_rung import train_rung

        _release(base)  # one base model in memory at a time: the trainer loads its own
        tuned = await train_rung(ws, plan.strategy, opts.out_dir / label, on_event, config)
        backend = tuned.backend
    strategy, found = plan.strategy, None
    assert strategy is not None  # the ladder measures only rungs with a strategy
    if plan.searches:
        from .prompt_search import search_prompts

        found = await search_prompts(ws, base, use_cache=opts.use_cache, concurrency=opts.concurrency, on_event=on_event)
        strategy = found.strategy
    prompts = [strategy(ex) for ex in ws.eval_set]
    on_event(ev.RungStarted(plan.name, len(prompts) * opts.repeat))
    started = time.perf_counter()

    def progress(p) -> None:
        on_event(ev.RowsDone(plan.name, p.done, p.total, p.errors, p.accuracy, p.eta_s))

    rag = plan.name == "rag"
    grader = grade_answer_only(ws.grader()) if rag else ws.grader()  # citations are not part of the answer
    cache = Cache.open_default() if opts.use_cache else None
    runner = Runner(
        backend,
        grader,
        params=ws.params,
        concurrency=opts.concurrency,
        cache=cache,
        journal=Journal(opts.out_dir / "journal.jsonl"),
        progress=progress,
        repeat=opts.repeat,
    )
    stopper = Stopper(ws.scenario.targets, ws.scenario.confidence, len(prompts)) if opts.sequential and opts.repeat == 1 else None
    rows = await runner.run([(ex, p.messages) for ex, p in zip(ws.eval_set, prompts)], rung=label, stop=stopper.add if stopper else None)
    rag_config = ws.scenario.ladder.rag
    outcome = (
        rag_outcome(cast(Rag, strategy), rag_config.retriever, ws.eval_set, prompts, rows, ws.scenario.confidence)
        if rag and rag_config is not None
        else None
    )  # a rag plan always has a Rag strategy and settings
    result = rung_result(plan.name, rows, ws.scenario, ws.labels, [], time.perf_counter() - started, outcome.metrics if outcome else None)
    await _latency(result, rows, backend, [prompt_parts(p)[0] for p in prompts], ws, opts, cache)
    if stopper is not None:
        result.stopping = Stopping(
            used=len(rows), available=len(prompts), calls=runner.rows_made, decided_by=stopper.deciding if stopper.decided else []
        )
    if ws.params.structure is not None:
        result.structure, result.constrained = ws.params.structure.kind, backend_share(rows)
        if ws.params.structure.kind == "json":
            result.closed_at_budget = backend_share(rows, "closed_at_budget")
    if outcome is not None:
        result.rag = outcome.details
        for ex, prompt in zip(ws.eval_set, prompts):  # the samples read what a prompt used from its context
            prompt.context["cited"] = outcome.cited.get(ex.key, [])
    if tuned is not None:
        result.training, result.forgetting = tuned.training, tuned.forgetting
        check_all(result, ws.scenario.targets, ws.scenario.confidence)  # forgetting_change needs the canary
    if found is not None:
        from .prompt_search import close

        result.search = close(found.search, float(rows[rows["repeat"] == 0]["score"].mean()))
    _save_samples(opts.out_dir, label, rows, {ex.key: p for ex, p in zip(ws.eval_set, prompts)})
    return result, rows


def _release(backend: Backend) -> None:
    """Give back the memory of a local model that no later step needs (it loads again if one does)."""
    from evals.backends.local import LocalBackend

    if isinstance(backend, LocalBackend):
        backend.release()


async def _latency(result: RungResult, rows, backend, prompts: list, ws: Workspace, opts: RunOptions, cache) -> None:
    """Latency from the one-at-a-time probe (targets re-checked on it), throughput from the run."""
    fresh = int((~rows["cached"].astype(bool)).sum()) if len(rows) else 0
    if fresh and result.seconds > 0:
        result.throughput = {"items_per_s": fresh / result.seconds, "concurrency": float(opts.concurrency)}
    if not opts.latency_probe or not prompts:
        return
    found = await probe(backend, prompts, ws.params, cache, opts.latency_probe)
    if found is not None:
        result.latency_ms, result.latency_from = found.summary(ws.scenario.confidence), "probe"
        check_all(result, ws.scenario.targets, ws.scenario.confidence)


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
