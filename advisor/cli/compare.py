"""`advisor compare BASE NEW`: per rung, on the items both runs answered, is the new run worse?"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from evals.errors import InputError, Problem

if TYPE_CHECKING:
    from advisor.compare.runs import RunComparison

_RUN = click.Path(path_type=Path)
_FILE = click.Path(dir_okay=False, path_type=Path)
MARGIN_HELP = "Drop (0.02 = 2 points) a rung may show before it counts as a regression."


@click.command()
@click.argument("base", type=_RUN)
@click.argument("new", type=_RUN)
@click.option("--gate", is_flag=True, help="Exit 1 when a rung regresses (see below).")
@click.option("--margin", type=click.FloatRange(0, 1), default=0.02, show_default=True, help=MARGIN_HELP)
@click.option(
    "--confidence",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=None,
    help="Confidence of the paired intervals (default: the new run's scenario's).",
)
@click.option("--md", "md_path", type=_FILE, default=None, help="Also write the comparison as Markdown (a pull-request comment).")
@click.option("--json", "json_path", type=_FILE, default=None, help="Also write the comparison as JSON.")
@click.option("--junit", "junit_path", type=_FILE, default=None, help="Also write a JUnit test case per rung and metric.")
def compare(
    base: Path,
    new: Path,
    gate: bool,
    margin: float,
    confidence: float | None,
    md_path: Path | None,
    json_path: Path | None,
    junit_path: Path | None,
) -> None:
    """Compare two runs (run folders or their run.json) item by item, rung by rung.

    For each rung measured in both, on the items they share by id: the change in accuracy (mean score)
    and format validity with paired intervals, the items that flipped each way, and the items added or
    dropped. The test is paired non-inferiority: a rung regresses when the upper bound of the paired
    interval of new - base (two-sided at the confidence) lies below -margin. For 0/1 scores the interval
    and the p-value come from the exact binomial test on the discordant items (McNemar's conditioning);
    for other scores from the paired bootstrap.

    Exit status: 0 (with --gate: no rung regressed), 1 with --gate when one did, 2 bad input.
    """
    from advisor.compare.runs import compare_runs

    comparison = compare_runs(base, new, margin, confidence)
    finish(comparison, md_path, json_path, junit_path)
    sys.exit(1 if gate and comparison.regressed else 0)


def finish(comparison: RunComparison, md_path: Path | None = None, json_path: Path | None = None, junit_path: Path | None = None) -> None:
    """Print the comparison and write the files asked for."""
    from advisor.reports import comparison_junit, comparison_markdown, comparison_text
    from evals.data import write_atomic

    click.echo(comparison_text(comparison), nl=False)
    for path, text in ((md_path, comparison_markdown), (json_path, lambda c: c.model_dump_json(indent=2)), (junit_path, comparison_junit)):
        if path is not None:
            write_atomic(path, text(comparison))
            click.echo(f"Wrote {path}")


def check_baseline(path: Path) -> None:
    """Fail before a run, not after it, when --baseline names no run."""
    from advisor.record.samples import run_folder

    if not (run_folder(path) / "run.json").is_file():
        raise InputError(
            Problem(
                "baseline run not found",
                file=path,
                field="--baseline",
                fix="pass the run folder (or its run.json) of an earlier `advisor run --out DIR`",
            )
        )
