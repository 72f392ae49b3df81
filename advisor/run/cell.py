"""One cell of the contest: a rung of one model measured on the eval set, with what the run needs to plan it (options, estimate)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from advisor.decide.targets import check_all, sample_size_warnings
from advisor.measure import events as ev
from advisor.measure.latency import PROBE_ITEMS, probe
from advisor.measure.results import backend_share, rung_result
from advisor.measure.sequential import Stopper
from advisor.record.run import RungResult, RunRecord, Stopping
from advisor.run.plans import RungPlan
from advisor.scenario.workspace import Workspace
from evals.backends.base import Backend
from evals.errors import BackendError
from evals.strategies import Rag

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
    """Also fine-tune on 25/50/100% of train and forecast the data the target needs (`advisor.rungs.finetune.curve`)."""
    curve_max_steps: int | None = None
    """Cap on optimizer steps per learning-curve point (tests and quick looks)."""
    sequential: bool = True
    """Stop each rung once its verdict on the targets is settled (`advisor.measure.sequential`)."""
    timeout: float | None = None
    """Seconds per request (--timeout); None: the scenario's model_options.timeout or the backend's default."""
    backend: Backend | None = None
    """A ready backend to use instead of building one from the scenario's model (tests, embedding apps)."""


def estimate(ws: Workspace, plans: list[RungPlan]) -> ev.Estimate:
    """Calls, tokens and cost if every applicable rung is measured (an upper bound: the ladder may stop early)."""
    from advisor.decide.cost import per_call

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


async def measure_cell(ws: Workspace, plan: RungPlan, base: Backend, opts: RunOptions, on_event: ev.OnEvent) -> tuple[RungResult, Any]:
    """Measure one rung of the workspace's model (each `finetune.compare` variant too) and return its result and rows.

    A distillation whose teacher misses its own targets comes back skipped, with no rows."""
    if plan.name == "distill":
        from advisor.rungs.distill import student_workspace, teach

        teaching = await teach(ws, opts.out_dir / "distill", opts.concurrency, opts.use_cache, opts.timeout, on_event)
        if teaching.skip_reason is not None:
            return RungResult(name="distill", status="skipped", skip_reason=teaching.skip_reason, distill=teaching.details), None
        result, rows = await _measure(student_workspace(ws, teaching), plan, base, opts, on_event, ws.scenario.ladder.finetune, "distill")
        result.distill = teaching.details
        return result, rows
    result, rows = await _measure(ws, plan, base, opts, on_event)
    if plan.trains and ws.scenario.ladder.finetune and ws.scenario.ladder.finetune.compare:
        from advisor.rungs.finetune.variants import measure_variants

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
    from advisor.rungs.rag.measure import rag_outcome
    from evals.runner import Cache, Journal, Runner, prompt_parts
    from evals.strategies import grade_answer_only

    backend, tuned, label = base, None, label or plan.name
    if plan.trains:
        from advisor.rungs.finetune.train import train_rung

        _release(base)  # one base model in memory at a time: the trainer loads its own
        tuned = await train_rung(ws, plan.strategy, opts.out_dir / label, on_event, config)
        backend = tuned.backend
    strategy, found = plan.strategy, None
    assert strategy is not None  # the ladder measures only rungs with a strategy
    if plan.searches:
        from advisor.rungs.prompt_search.search import search_prompts

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
        from advisor.rungs.prompt_search.search import close

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
    """Per-item samples (advisor.record.samples.Sample): the prompt, what the model said and how it was graded."""
    from advisor.record import samples

    def sample(row: dict):
        prompt = prompts.get(row["id"])
        return samples.from_row(row, prompt.messages if prompt else None, prompt.context if prompt else None)

    samples.write(out_dir, rung, [sample(row) for row in rows.to_dict("records")])


def raise_on_backend_failure(record: RunRecord) -> None:
    if record.backend_failure:
        raise BackendError(record.backend_failure)
