"""The ladder across candidate models (`models:`).

Every (model, rung) cell is measured on the same eval items, in order of its expected cost at the profile's
volume. A cell that meets every target does not stop the cells that might still be cheaper: a cell is skipped
(unless --full) only when even its floor, one always-on replica and the tokens of its prompt, costs more over
the horizon than a cell that already passed.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, replace

from advisor.decide.cells import allowed_by, recommend_cells
from advisor.decide.cost import cell_price
from advisor.decide.decision import prefers_retrieval
from advisor.decide.frontier import build_frontier
from advisor.measure import events as ev
from advisor.measure.cell import TOP_UP_CALLS, Cell, RungPlan, RunOptions, measure_cell
from advisor.measure.repeats import item_scores
from advisor.record.frontier import CellPrice, Frontier
from advisor.record.run import RungResult, RunRecord
from advisor.registry import rung_title
from advisor.run.plans import plan_rungs
from advisor.run.preflight import error_budget, estimate, prompt_tokens, warnings_before
from advisor.run.topup import Answered, compare_rungs
from advisor.scenario.schema import Candidate
from advisor.scenario.workspace import Workspace, open_backend
from evals.backends.base import Backend

Key = tuple[str, str]
"""A cell: (model, rung)."""


@dataclass
class PlannedCell:
    """A (model, rung) cell of the matrix, before it is measured."""

    candidate: Candidate
    ws: Workspace
    """The candidate's one-model workspace: its model, prices and options, only its rungs on."""
    plan: RungPlan

    @property
    def key(self) -> Key:
        return self.candidate.model, self.plan.name

    def floor(self) -> CellPrice:
        """The least this cell can cost: the tokens of its prompt with no answer, one replica, no training."""
        return cell_price(self.ws.scenario.pricing, prompt_tokens(self.ws, self.plan), 0.0, 0.0, 0.0)


def candidate_workspaces(ws: Workspace) -> list[tuple[Candidate, Workspace]]:
    """Each candidate with its one-model workspace (the scenario's own for a one-model scenario)."""
    if ws.scenario.models is None:
        return [(ws.scenario.candidates[0], ws)]
    return [(c, replace(ws, scenario=ws.scenario.for_candidate(c))) for c in ws.scenario.candidates]


def tuned_workspace(ws: Workspace) -> Workspace:
    """The workspace whose model the fine-tune rung trains: the scenario's own, or the first candidate that climbs it."""
    for candidate, sub in candidate_workspaces(ws):
        finetune = sub.scenario.ladder.finetune
        if finetune is not None and finetune.method != "openai" and candidate.spec.is_local:
            return sub
    return candidate_workspaces(ws)[0][1]


def plan_cells(ws: Workspace, selected: list[str] | None = None) -> list[PlannedCell]:
    """Every (model, rung) cell in matrix order: candidates as given, rungs cheapest first."""
    finetune = ws.scenario.ladder.finetune
    cells = []
    for candidate, sub in candidate_workspaces(ws):
        allowed = candidate.allowed_rungs(finetune.method if finetune else None)
        for plan in plan_rungs(sub, selected):
            if plan.name not in allowed and getattr(ws.scenario.ladder, plan.name) is not None:
                why = "its rungs list" if candidate.rungs is not None else "a hosted chat model climbs only the prompting rungs"
                plan = RungPlan(plan.name, skip_reason=f"not a rung of {candidate.model} ({why})")
            cells.append(PlannedCell(candidate, sub, plan))
    return cells


def estimate_cells(ws: Workspace, selected: list[str] | None = None, top_up: int = TOP_UP_CALLS) -> ev.Estimate:
    """Calls, tokens and cost if every applicable cell is measured, each candidate at its own prices; the top-up's budget."""
    parts = [(c.model, estimate(sub, plan_rungs(sub, selected), top_up)) for c, sub in candidate_workspaces(ws)]
    if len(parts) == 1:
        return parts[0][1]
    per_rung = {f"{model} {rung}": v for model, part in parts for rung, v in part.per_rung.items()}
    return ev.Estimate(
        sum(p.calls for _, p in parts),
        sum(p.input_tokens for _, p in parts),
        sum(p.output_tokens for _, p in parts),
        sum(p.train_tokens for _, p in parts),
        sum(p.cost_usd for _, p in parts),
        per_rung,
        top_up,
    )


def slug(model: str) -> str:
    """A folder name for a model's samples, journal and adapters."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", model).strip("_") or "model"


async def climb_models(ws: Workspace, opts: RunOptions, on_event: ev.OnEvent = lambda e: None) -> RunRecord:
    """Measure the cells cheapest first, price each at the profile's volume and recommend the cheapest that passes."""
    started = time.perf_counter()
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    profile, cells = ws.scenario.profile, plan_cells(ws, opts.rungs)
    eligible = allowed_by(profile)
    volume, days = profile.calls_per_day, profile.horizon_days
    floors = {cell.key: cell.floor().total(volume, days) for cell in cells if cell.plan.strategy is not None}
    order = sorted(range(len(cells)), key=lambda i: floors.get(cells[i].key, math.inf))
    results: dict[int, RungResult] = {}
    answered: dict[Key, Answered[Key]] = {}
    prices: dict[Key, CellPrice] = {}
    backends: dict[str, Backend] = {}
    best, failure = math.inf, None
    for i in order:
        cell = cells[i]
        model, name = cell.key
        reason = _skip_reason(cell, opts, floors.get(cell.key, math.inf), best, failure, eligible(model))
        if reason is not None:
            result = RungResult(name=cell.plan.name, status="skipped", skip_reason=reason)
        else:
            if model not in backends:
                options = cell.ws.scenario.model_options
                backends[model] = open_backend(model, options, concurrency=opts.concurrency, timeout=opts.timeout)
            on_event(ev.Note(f"{model}: {rung_title(name)}"))
            cell_opts = replace(opts, out_dir=opts.out_dir / "models" / slug(model), learning_curve=False, backend=None)
            measured = Cell(cell.ws, name, backends[model], cell_opts, on_event)
            result, rows = await measure_cell(measured, cell.plan)
            measured.set_aside()
            if rows is not None:
                answered[cell.key] = Answered(result, measured, rows, item_scores(rows))
                prices[cell.key] = _price(cell, result)
                failure = error_budget(cell.plan, result, opts.max_error_rate, rows)
            if result.meets_targets and eligible(model):
                best = min(best, prices[cell.key].total(volume, days))
        result.model = model
        results[i] = result
        on_event(ev.RungFinished(result))
    rungs = [results[i] for i in range(len(cells))]
    frontier = build_frontier(rungs, prices, profile, ws.scenario.targets, eligible)
    in_matrix = {c.key: answered[c.key] for c in cells if c.key in answered}  # the comparisons' order
    # The choice reads no paired test, its rationale does: choose, top up, compare, then write the rationale.
    chosen = recommend_cells(rungs, frontier, profile, ws.scenario.confidence)
    key = (chosen.model, chosen.rung) if chosen.model and chosen.rung and not failure else None
    await compare_rungs(in_matrix, key, opts.top_up, on_event, lambda other: {"against": other[1], "against_model": other[0]})
    return _record(ws, opts, rungs, frontier, failure, started)


def _record(ws: Workspace, opts: RunOptions, rungs: list[RungResult], frontier: Frontier, failure: str | None, started: float) -> RunRecord:
    """The record of a run across the candidate models, with its frontier and the cheapest cell that passes."""
    profile = ws.scenario.profile
    return RunRecord(
        scenario=ws.scenario.name,
        description=ws.scenario.description,
        scenario_path=str(ws.scenario_path) if ws.scenario_path else None,
        data_sha256=ws.hashes(),
        model=ws.scenario.candidates[0].model,
        models=[c.model for c in ws.scenario.candidates],
        grader=ws.scenario.grader.kind,
        targets=ws.scenario.targets,
        confidence=ws.scenario.confidence,
        profile=profile,
        limit=ws.limit,
        dropped_leaks=ws.dropped_leaks,
        warnings=warnings_before(ws)
        + [w for r in rungs if r.rag for w in r.rag.warnings]
        + (["no learning curve: --learning-curve runs with one model (drop models:)"] if opts.learning_curve else [])
        + ([f"backend failure: {failure}"] if failure else []),
        estimate=estimate_cells(ws, opts.rungs, opts.top_up).as_dict(),
        rungs=rungs,
        recommendation=recommend_cells(rungs, frontier, profile, ws.scenario.confidence),
        seconds=time.perf_counter() - started,
        backend_failure=failure,
        frontier=frontier,
    )


def _skip_reason(cell: PlannedCell, opts: RunOptions, floor: float, best: float, failure: str | None, eligible: bool) -> str | None:
    profile = cell.ws.scenario.profile
    if cell.plan.strategy is None:
        return cell.plan.skip_reason
    if failure:
        return f"stopped: {failure}"
    if not eligible:
        return f"the profile says data must stay local, and {cell.candidate.model} is hosted"
    if not opts.full and floor >= best and not prefers_retrieval(profile, cell.plan.name):
        return (
            f"cannot be cheaper: at {profile.calls_per_day:,} calls/day over {profile.horizon_days} days it costs at least "
            f"${floor:,.2f}, and a measured cell meets every target for ${best:,.2f} (--full measures every cell)"
        )
    return None


def _price(cell: PlannedCell, result: RungResult) -> CellPrice:
    tokens, training = result.tokens_per_call, result.training
    return cell_price(
        cell.ws.scenario.pricing,
        tokens.get("input", 0.0),
        tokens.get("output", 0.0),
        result.machine_s_per_call or 0.0,
        training.cost_usd if training else 0.0,
    )
