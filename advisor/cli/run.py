"""`advisor run`: the ladder in batch, with progress bars, reports on disk and the gate as exit status."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from evals.errors import InputError, Problem

from . import output
from .compare import MARGIN_HELP, check_baseline, finish
from .params import FiniteRange

if TYPE_CHECKING:
    from advisor.record.run import RunRecord
    from advisor.run import RunOptions
    from advisor.scenario.workspace import Workspace


@click.command()
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for run.json and the reports (default: runs/NAME).",
)
@click.option("--ci", is_flag=True, help="No colours or prompts; the exit status is the gate.")
@click.option("--full", is_flag=True, help="Measure every rung, even after one meets the targets.")
@click.option("--rungs", default=None, help="Comma-separated rungs to measure: zero_shot,few_shot,prompt_search,rag,finetune,distill.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Evaluate only the first N eval examples.")
@click.option("--max-cost", type=FiniteRange(min=0), default=None, help="Refuse to start if the estimate exceeds USD.")
@click.option("--no-cache", is_flag=True, help="Ask the backend again instead of reusing cached answers.")
@click.option("--repeat", type=click.IntRange(min=1), default=1, help="Independent samples per example (bypasses the cache).")
@click.option("--concurrency", type=click.IntRange(min=1), default=8, help="Requests in flight at once.")
@click.option("--force", is_flag=True, help="Write into --out even if it holds the run of another scenario.")
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    default=None,
    help="An earlier run (folder or run.json) to compare with; a regression fails the run (see `advisor compare`).",
)
@click.option("--margin", type=click.FloatRange(0, 1), default=0.02, show_default=True, help="With --baseline: " + MARGIN_HELP)
@click.option(
    "--latency-probe",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="Items sent one at a time after a warm-up to measure latency as served (0: use the run's own latencies).",
)
@click.option(
    "--learning-curve",
    is_flag=True,
    help="Also fine-tune on 25%, 50% and 100% of train, score each on the same eval items and forecast how many examples the target needs.",
)
@click.option(
    "--drop-leaks",
    is_flag=True,
    help="Leave out eval examples that train holds exactly or nearly (similarity >= 90); the record lists them.",
)
@click.option(
    "--sequential/--no-sequential",
    default=True,
    show_default=True,
    help="Stop scoring a rung once its verdict on the targets is settled at the scenario's confidence; "
    "--no-sequential scores every eval item.",
)
@click.option(
    "--top-up",
    "top_up",
    type=click.IntRange(min=0),
    default=500,
    show_default=True,
    help="Calls the rungs that stopped early may be asked afterwards, the recommended rung's items they did not "
    "answer, so that the paired tests run on its items (0: off).",
)
@click.option(
    "--timeout",
    type=FiniteRange(min=0, min_open=True),
    default=None,
    help="Seconds per request to an openai: model (default: model_options.timeout, else 60).",
)
def run(
    scenario_path: Path,
    out_dir: Path | None,
    ci: bool,
    full: bool,
    rungs: str | None,
    limit: int | None,
    max_cost: float | None,
    no_cache: bool,
    repeat: int,
    concurrency: int,
    force: bool,
    baseline: Path | None,
    margin: float,
    latency_probe: int,
    learning_curve: bool,
    drop_leaks: bool,
    sequential: bool,
    top_up: int,
    timeout: float | None,
) -> None:
    """Climb the ladder for SCENARIO and recommend prompt, few-shot, RAG or fine-tune.

    With --baseline the run is also compared with an earlier one item by item (compare.md, .json, -junit.xml
    in --out) and fails when a rung is significantly worse by more than --margin; it then scores every item
    (no sequential stopping), as should the baseline's run (--no-sequential).

    Exit status: 0 targets met (and no regression), 1 missed or regressed, 2 bad input, 3 backend failure.
    """
    from advisor.registry import rung_order
    from advisor.run import RunOptions, raise_on_backend_failure
    from advisor.scenario.workspace import prepare

    output.set_plain(ci)
    ws = prepare(scenario_path, limit, drop_leaks=drop_leaks)
    scenario = ws.scenario
    selected = _parse_rungs(rungs, rung_order() + tuple(c.name for c in scenario.ladder.custom))
    out_dir = out_dir or Path("runs") / scenario.name
    _check_out_dir(out_dir, scenario.name, force)
    if baseline is not None:
        check_baseline(baseline)
    opts = RunOptions(
        out_dir,
        full=full,
        rungs=selected,
        use_cache=not no_cache and repeat == 1,
        concurrency=concurrency,
        repeat=repeat,
        sequential=sequential and repeat == 1 and baseline is None,
        latency_probe=latency_probe,
        learning_curve=learning_curve,
        timeout=timeout,
        top_up=top_up,
    )
    _announce(ws, selected, max_cost, top_up)
    record = _climb(ws, opts)
    raise_on_backend_failure(record)
    regressed = baseline is not None and _compare(baseline, out_dir, margin)
    sys.exit(0 if record.passed and not regressed else 1)


def _announce(ws: Workspace, selected: list[str] | None, max_cost: float | None, top_up: int) -> None:
    """What the run measures and its estimate, and the warnings; an estimate above --max-cost stops it here."""
    from advisor.run import estimate_cells, warnings_before

    console, scenario = output.console, ws.scenario
    est = estimate_cells(ws, selected, top_up)
    models = ", ".join(c.model for c in scenario.candidates)
    console.print(
        f"[bold]{scenario.name}[/]: {len(ws.eval_set)} eval, {len(ws.train_set)} train, model{'s' * (len(scenario.candidates) > 1)} {models}"
    )
    console.print(
        f"Estimate (every rung): {est.calls} calls, {est.input_tokens:,} input + {est.output_tokens:,} output tokens, "
        f"{est.train_tokens:,} training tokens, ${est.cost_usd:.4f}"
    )
    console.print(
        f"Top-up: at most {est.top_up_calls} calls after the ladder, asking the rungs that stopped early the "
        "recommended rung's items for the paired tests (--top-up)"
        if est.top_up_calls
        else "Top-up: off (--top-up 0); paired tests run on the items both rungs answered"
    )
    for warning in warnings_before(ws):
        console.print(f"[yellow]warning:[/] {warning}")
    if max_cost is not None and est.cost_usd > max_cost:
        raise InputError(
            Problem(
                f"the run is estimated at ${est.cost_usd:.4f}, above --max-cost ${max_cost:g}",
                fix="raise --max-cost, use --limit N or --rungs to measure less",
                field="--max-cost",
            )
        )


def _climb(ws: Workspace, opts: RunOptions) -> RunRecord:
    """Climb the ladder with progress bars, save run.json and the reports in the run folder, and print the summary."""
    from advisor.run import climb
    from advisor.run.lock import run_lock

    from ..reports import print_summary, write_reports
    from .progress import LadderProgress

    console = output.console
    with run_lock(opts.out_dir):
        with LadderProgress(console) as progress:
            record = asyncio.run(climb(ws, opts, progress))
        record.save(opts.out_dir / "run.json")
        paths = write_reports(record, opts.out_dir)
    print_summary(record, console)
    console.print(f"Wrote {opts.out_dir / 'run.json'}, " + ", ".join(str(p) for p in paths.values()))
    return record


def _compare(baseline: Path, out_dir: Path, margin: float) -> bool:
    """Compare the run with the baseline (compare.md, compare.json, compare-junit.xml); True when a rung regressed."""
    from advisor.compare.runs import compare_runs

    comparison = compare_runs(baseline, out_dir, margin)
    finish(comparison, out_dir / "compare.md", out_dir / "compare.json", out_dir / "compare-junit.xml")
    return comparison.regressed


def _check_out_dir(out_dir: Path, name: str, force: bool) -> None:
    """A folder holding another scenario's run is not ours to overwrite; the same scenario's is resumed."""
    import json

    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(Problem(f"{out_dir} is a file, not a folder", fix="choose another --out", field="--out"))
    stored = out_dir / "run.json"
    if force or not stored.is_file():
        return
    try:
        previous = json.loads(stored.read_text(encoding="utf-8")).get("scenario")
    except (OSError, ValueError, AttributeError):
        previous = None
    if previous != name:
        raise InputError(
            Problem(
                f"{out_dir} holds the run of {previous or 'something else'!s}, not of {name}; its reports would be overwritten",
                fix="choose another --out, or pass --force to replace it",
                file=stored,
                field="--out",
            )
        )


def _parse_rungs(value: str | None, known: Sequence[str]) -> list[str] | None:
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    bad = [n for n in names if n not in known]
    if bad or not names:
        raise InputError(
            Problem(f"unknown rung {', '.join(bad) or '(none given)'}", fix=f"use names from {', '.join(known)}", field="--rungs")
        )
    return names
