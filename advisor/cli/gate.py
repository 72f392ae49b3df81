"""`advisor gate` (the exit status of a stored run) and `advisor report` (render a stored run)."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from evals.errors import BackendError, InputError, Problem

from . import output

if TYPE_CHECKING:
    from advisor.record.run import RunRecord
    from advisor.scenario.schema import Target

_TARGET = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(>=|<=)\s*([-+0-9.eE]+)\s*$")
_RUN_JSON = click.Path(dir_okay=False, path_type=Path)


def parse_targets(texts: tuple[str, ...] | list[str]) -> list[Target]:
    """'accuracy>=0.95' / 'p95_latency_ms<=800' into Targets; every bad one reported at once."""
    from pydantic import ValidationError

    from advisor.scenario.schema import Target

    targets, problems = [], []
    for text in texts:
        match = _TARGET.match(text)
        try:
            if not match:
                raise ValueError("expected METRIC>=NUMBER or METRIC<=NUMBER")
            metric, op, bound = match.group(1), match.group(2), float(match.group(3))
            targets.append(Target(metric=metric, **{"min" if op == ">=" else "max": bound}))
        except (ValueError, ValidationError) as exc:
            why = exc.errors()[0]["msg"].removeprefix("Value error, ") if isinstance(exc, ValidationError) else str(exc)
            problems.append(
                Problem(
                    f"bad target {text!r}: {why}",
                    field="--target",
                    fix="write it like --target 'accuracy>=0.95' or --target 'p95_latency_ms<=800'",
                )
            )
    if problems:
        raise InputError(problems, title="Invalid --target")
    return targets


def regate(record: RunRecord, targets: Sequence[Target] | None = None) -> RunRecord:
    """The record with its measured rungs re-checked against `targets` (default: its own) and re-recommended.

    The recommendation is derived again the way `advisor run` derives it, because new targets can change
    which rung is the cheapest one that meets them.
    """
    from advisor.decide.decision import recommend
    from advisor.decide.targets import check_all

    record = record.model_copy(deep=True)
    if targets is not None:
        record.targets = list(targets)
    for rung in record.measured:
        check_all(rung, record.targets, record.confidence)
    if record.frontier is not None:  # a run across models: the cheapest passing cell at the profile's volume
        from advisor.decide.cells import redecide

        return redecide(record)
    record.recommendation = recommend(record.rungs, record.profile, record.model, record.confidence)
    return record


def summary_lines(record: RunRecord, stored_rung: str | None) -> list[str]:
    """One plain line per target check, then the verdict."""
    from ..reports.cells import target_text, title

    targets = ", ".join(target_text(t) for t in record.targets)
    lines = [f"{record.scenario} ({record.model}): targets {targets} at {record.confidence:.0%} confidence"]
    for rung in record.rungs:
        if rung.status != "measured":
            lines.append(f"  {title(rung.name):<10} skipped{': ' + rung.skip_reason if rung.skip_reason else ''}")
            continue
        for check in rung.checks:
            mark = "pass" if check.passed else "MISS"
            lines.append(f"  {title(rung.name):<10} {mark}  {target_text(check.target)}: {check.reason}")
    rec = record.recommendation
    if rec.rung != stored_rung:
        lines.append(f"Note: for these targets the recommendation is {title(rec.rung)} (the run recommended {title(stored_rung)}).")
    if record.backend_failure:
        lines.append(f"Gate ERROR: the run's backend failed ({record.backend_failure}).")
    elif record.passed:
        lines.append(f"Gate PASS: {title(rec.rung)} meets every target.")
    else:
        lines.append("Gate FAIL: " + (rec.rationale[0] if rec.rationale else "no rung meets every target."))
    return lines


@click.command()
@click.argument("run_json", metavar="RUN_JSON", type=_RUN_JSON)
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="METRIC>=X",
    help="Check these targets instead of the run's own (repeatable), e.g. 'accuracy>=0.95'.",
)
@click.option(
    "--junit",
    "junit_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the checks as JUnit XML to this file.",
)
def gate(run_json: Path, targets: tuple[str, ...], junit_path: Path | None) -> None:
    """Exit 0 if the run's recommended rung meets every target, else 1.

    The targets are re-checked against the stored metrics (no model is called). With --target they replace
    the run's targets and the recommendation is derived again for them, so the gate passes when some
    measured rung meets every given target (unless the profile rules the model out).

    Exit status: 0 pass, 1 fail, 2 missing or invalid record or --target, 3 the run's backend failed.
    """
    from advisor.record.run import load_record

    from ..reports import render, write_atomic

    parsed = parse_targets(targets) if targets else None
    stored = load_record(run_json)
    record = regate(stored, parsed)
    for line in summary_lines(record, stored.recommendation.rung):
        click.echo(line)
    if junit_path is not None:
        write_atomic(junit_path, render(record, "junit"))
        click.echo(f"Wrote {junit_path}")
    if record.backend_failure:
        raise BackendError(record.backend_failure)  # the same exit 3 as the run that wrote it
    sys.exit(0 if record.passed else 1)


@click.command()
@click.argument("run_json", metavar="RUN_JSON", type=_RUN_JSON)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "junit", "terminal", "csv", "parquet"]),
    default="terminal",
    show_default=True,
    help="Report format; csv and parquet are the per-item table (one row per item and rung) from samples/.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def report(run_json: Path, fmt: str, out_path: Path | None, force: bool) -> None:
    """Render a stored run (run.json) as a terminal summary, Markdown, HTML or JUnit XML, or export its samples."""
    from advisor.record.run import load_record

    from ..reports import print_summary, render, write_atomic

    record = load_record(run_json)
    if fmt in ("csv", "parquet"):
        return _export_samples(record, fmt, out_path, force)
    if out_path is None:
        if fmt == "terminal":
            output.set_plain(not output.console.is_terminal)  # piped: no colour codes, 120 columns
            print_summary(record, output.console)
        else:
            click.echo(render(record, fmt), nl=False)
        return
    if out_path.exists() and not force:
        raise InputError(
            Problem(
                "the output file already exists", fix="pass --force to overwrite it, or choose another --out", file=out_path, field="--out"
            )
        )
    write_atomic(out_path, render(record, fmt))
    click.echo(f"Wrote {out_path}", err=True)


def _export_samples(record: RunRecord, fmt: str, out_path: Path | None, force: bool) -> None:
    """The per-item table (advisor.record.samples.Sample columns) as CSV (to stdout without --out) or Parquet."""
    from advisor.record.run import for_record
    from advisor.record.samples import flat_frame

    if out_path is None and fmt == "parquet":
        raise InputError(Problem("parquet is binary and needs a file", fix="pass --out samples.parquet", field="--out"))
    if out_path is not None and out_path.exists() and not force:
        raise InputError(
            Problem(
                "the output file already exists", fix="pass --force to overwrite it, or choose another --out", file=out_path, field="--out"
            )
        )
    table = flat_frame(for_record(record))
    if out_path is None:
        click.echo(table.to_csv(index=False), nl=False)
        return
    temp = out_path.with_name(f".{out_path.name}.partial")  # written whole, then renamed into place
    table.to_csv(temp, index=False) if fmt == "csv" else table.to_parquet(temp, index=False)
    temp.replace(out_path)
    click.echo(f"Wrote {out_path} ({len(table)} rows)", err=True)
