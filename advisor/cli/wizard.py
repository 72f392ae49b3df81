"""`advisor wizard` (and `advisor` alone): the interactive wizard."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.argument("scenario_path", metavar="SCENARIO", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Evaluate only the first N eval examples.")
def wizard(scenario_path: Path | None, limit: int | None) -> None:
    """Interview, first opinion, live measurement and recommendation, in the terminal.

    Starts blank or from a shipped scenario, or prefilled from SCENARIO.
    """
    from advisor.scenario.file import load_scenario
    from evals.errors import InputError, Problem

    if scenario_path is not None:
        load_scenario(scenario_path)  # a file that is no scenario says so, even where there is no terminal to open it in
    if not (sys.stdin.isatty() and sys.stdout.isatty()):  # without one the app would wait for keys that never come
        raise InputError(
            Problem(
                "the wizard needs a terminal, and stdin or stdout is not one",
                fix="run it in a terminal; in scripts and CI use `advisor validate SCENARIO` and `advisor run SCENARIO`",
            ),
            title="Cannot open the wizard",
        )
    from ..tui import create_app

    app = create_app(scenario_path, limit=limit)
    app.run()
    if app.return_code:  # the app failed: not a success for a script that launched it
        sys.exit(app.return_code)
