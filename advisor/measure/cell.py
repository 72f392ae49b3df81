"""Measuring one cell: a rung's prompts answered by a backend on the eval set, graded, and summed up.

A rung's plan (`RungPlan`) says what to send; its `measure` step, when it has one, prepares first
(trains, searches, teaches) and calls `evaluate` with what it prepared. Every rung, shipped or not,
gets the same evaluation: the runner with its cache and journal, sequential stopping, the latency
probe, structured-output shares and the per-item samples.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.decide.targets import check_all
from advisor.measure import events as ev
from advisor.measure.latency import PROBE_ITEMS, probe
from advisor.measure.results import backend_share, rung_result
from advisor.measure.sequential import Stopper
from advisor.measure.update import SUFFIX, Deployed, Strategy, against, knowledge_update
from advisor.record import samples
from advisor.record.run import MetricValue, RungResult, Stopping
from advisor.registry import RungName
from advisor.scenario.workspace import Workspace
from evals.backends.base import Backend
from evals.runner import Cache, Journal, ProgressEvent, Runner, prompt_parts
from evals.strategies import Prompt

if TYPE_CHECKING:
    import pandas as pd

MAX_ERROR_RATE = 0.1
TOP_UP_CALLS = 500
"""Calls a run may spend after the ladder so that its paired tests run on the recommended rung's items (`advisor.run.topup`)."""

Measured = tuple[RungResult, Any]
"""A rung's result and its per-item rows (a DataFrame), or None for rows when it was skipped after all."""


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
    top_up: int = TOP_UP_CALLS
    """Most calls asking rungs stopped early the recommended rung's items afterwards, for the paired tests (0: none)."""


@dataclass
class Cell:
    """What a rung's measure step works with: the workspace, the model's backend, the run's options."""

    ws: Workspace
    name: RungName
    base: Backend
    opts: RunOptions
    on_event: ev.OnEvent
    deployed: list[tuple[Any, Deployed]] = field(default_factory=list)
    """Each evaluation's rows and what answered them, to ask again after a knowledge update."""

    def answered(self, rows: Any) -> Deployed | None:
        """What produced `rows` (the rows a rung reports: its chosen variant's, when it measured several)."""
        return next((d for r, d in self.deployed if r is rows), None)

    def set_aside(self) -> None:
        """Give back the memory of the models this cell's rung loaded for itself (a tuned model), while the cell is kept
        to ask the rung more later (`advisor.run.topup`): they load again if it is."""
        for _, deployed in self.deployed:
            if deployed.backend is not self.base:
                release(deployed.backend)


Finish = Callable[[RungResult, Any, list[Prompt]], None]
"""Adds what only this rung measured to its result, given its rows and prompts (before the samples are written)."""


@dataclass
class RungPlan:
    """A rung ready to measure on a workspace (a `strategy`), or the reason it is skipped."""

    name: RungName
    strategy: Strategy | None = None
    skip_reason: str | None = None
    measure: Callable[[Cell, RungPlan], Awaitable[Measured]] | None = None
    """The rung's own measure step (train, search, teach, then `evaluate`); None: `evaluate` the strategy as it is."""
    calls_before: int = 0
    """Most calls the rung spends before the eval (a prompt search's budget), for the estimate."""
    trains_on: list[Any] = field(default_factory=list)
    """The examples it trains on, in the form it trains on them, for the estimate (empty: it does not train)."""
    epochs: float = 0.0
    """Epochs it plans to train."""
    own_failures: bool = False
    """A failed call is this rung's own wrong answer (your system failed on the item), not a backend failure that
    counts against the run's error budget."""


async def measure_cell(cell: Cell, plan: RungPlan) -> Measured:
    """Measure one rung of the cell's model: its own measure step, or the plain evaluation of its strategy.

    The caller keeps the cell, and with it what answered the rows (`Cell.answered`), to ask the rung more later.
    A rung may come back skipped after all, with no rows (a distillation whose teacher misses its own targets)."""
    if plan.measure is not None:
        result, rows = await plan.measure(cell, plan)
    else:
        assert plan.strategy is not None  # the ladder measures only rungs with a strategy
        result, rows = await evaluate(cell, plan.strategy)
    after, deployed = cell.ws.after_update(), cell.answered(rows)
    if after is not None and deployed is not None:
        await _ask_after_update(cell, deployed, result, rows, after, plan.own_failures)
    return result, rows


async def _ask_after_update(cell: Cell, deployed: Deployed, result: RungResult, rows: Any, after: Workspace, own_system: bool) -> None:
    """The rung as deployed, asked the update's eval against the changed knowledge (`advisor.measure.update`)."""
    cell.on_event(ev.Note(f"{cell.name}: asked again after the knowledge update ({len(after.eval_set)} questions, nothing retrained)"))
    asked, answers = await ask_again(cell, deployed, after, f"{cell.name}{SUFFIX}", against(deployed.strategy, after))
    result.update = knowledge_update(asked, rows, answers, after.scenario.profile, own_system)
    recheck(result, cell.ws)  # a binding update is held to the targets too


async def ask_again(
    cell: Cell, deployed: Deployed, ws: Workspace, label: str, strategy: Strategy | None = None, *, quiet: bool = False
) -> Measured:
    """The rung as it was deployed (its prompts, or `strategy`; its model; its grader) asked every item of `ws`, under
    `label`: no sequential stopping, no latency probe; `quiet` shows no progress."""
    silent: dict[str, Any] = {"on_event": lambda e: None} if quiet else {}
    every = replace(cell, opts=replace(cell.opts, sequential=False, latency_probe=0), deployed=[], **silent)
    return await evaluate(every, strategy or deployed.strategy, backend=deployed.backend, ws=ws, label=label, grader=deployed.grader)


async def evaluate(
    cell: Cell,
    strategy: Strategy,
    *,
    backend: Backend | None = None,
    ws: Workspace | None = None,
    label: str | None = None,
    grader: Callable | None = None,
    extra_metrics: Callable[[list[Prompt], Any], dict[str, MetricValue]] | None = None,
    finish: Finish | None = None,
) -> Measured:
    """Answer every eval item with `strategy`'s prompts and `backend` (the cell's model by default), graded by the
    workspace's grader (or `grader`); `label` names its journal rows and samples file (a variant's own)."""
    ws, backend, label = ws or cell.ws, backend or cell.base, label or cell.name
    opts = cell.opts
    grader = grader or ws.grader()
    prompts = [strategy(ex) for ex in ws.eval_set]
    cell.on_event(ev.RungStarted(cell.name, len(prompts) * opts.repeat))
    started = time.perf_counter()

    def progress(p: ProgressEvent) -> None:
        cell.on_event(ev.RowsDone(cell.name, p.done, p.total, p.errors, p.accuracy, p.eta_s))

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
    extra = extra_metrics(prompts, rows) if extra_metrics else None
    result = rung_result(cell.name, rows, ws.scenario, ws.labels, [], time.perf_counter() - started, extra)
    await _latency(result, rows, backend, [prompt_parts(p)[0] for p in prompts], ws, opts, cache)
    if stopper is not None:
        result.stopping = Stopping(
            used=len(rows), available=len(prompts), calls=runner.rows_made, decided_by=stopper.deciding if stopper.decided else []
        )
    if ws.params.structure is not None:
        result.structure, result.constrained = ws.params.structure.kind, backend_share(rows)
        if ws.params.structure.kind == "json":
            result.closed_at_budget = backend_share(rows, "closed_at_budget")
    if finish is not None:
        finish(result, rows, prompts)
    _save_samples(opts.out_dir, label, rows, {ex.key: p for ex, p in zip(ws.eval_set, prompts)})
    cell.deployed.append((rows, Deployed(strategy, backend, grader)))
    return result, rows


def release(backend: Backend) -> None:
    """Give back the memory of a local model that no later step needs (it loads again if one does)."""
    from evals.backends.local import LocalBackend  # imports torch: only a run that has a local model gets here

    if isinstance(backend, LocalBackend):
        backend.release()


def recheck(result: RungResult, ws: Workspace) -> None:
    """Check the targets again after the rung added a measurement of its own (e.g. forgetting_change)."""
    check_all(result, ws.scenario.targets, ws.scenario.confidence)


async def _latency(
    result: RungResult,
    rows: pd.DataFrame,
    backend: Backend,
    prompts: list[list[dict]],
    ws: Workspace,
    opts: RunOptions,
    cache: Cache | None,
) -> None:
    """Latency from the one-at-a-time probe (targets re-checked on it), throughput from the run."""
    fresh = int((~rows["cached"].astype(bool)).sum()) if len(rows) else 0
    if fresh and result.seconds > 0:
        result.throughput = {"items_per_s": fresh / result.seconds, "concurrency": float(opts.concurrency)}
    if not opts.latency_probe or not prompts:
        return
    found = await probe(backend, prompts, ws.params, cache, opts.latency_probe)
    if found is not None:
        result.latency_ms, result.latency_from = found.summary(ws.scenario.confidence), "probe"
        recheck(result, ws)


def _save_samples(out_dir: Path, rung: str, rows: pd.DataFrame, prompts: dict[str, Prompt]) -> None:
    """Per-item samples (advisor.record.samples.Sample): the prompt, what the model said and how it was graded."""

    def sample(row: dict) -> samples.Sample:
        prompt = prompts.get(row["id"])
        return samples.from_row(row, prompt.messages if prompt else None, prompt.context if prompt else None)

    samples.write(out_dir, rung, [sample(row) for row in rows.to_dict("records")])
