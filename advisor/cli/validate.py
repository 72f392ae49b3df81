"""`advisor validate` and `advisor schema`."""

from __future__ import annotations

import json

import click
from rich.markup import escape

from advisor.scenario.file import scenario_schema
from evals.errors import InputError

from . import output


@click.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(scenarios: tuple[str, ...]) -> None:
    """Check scenario files and all their data; report every problem at once."""
    from advisor.scenario.checks import check_scenario

    problems = []
    for path in scenarios:
        try:
            check = check_scenario(path)
        except InputError as exc:  # keep going: every scenario's problems in one report
            problems += exc.problems
            continue
        for warning in check.warnings:
            output.err_console.print(f"[yellow]warning:[/] {escape(str(warning))}", soft_wrap=True)
        output.console.print(f"[green]✓[/] {path}: {check.summary}")
    if problems:
        title = "Invalid scenario" + ("s" if len(scenarios) > 1 else f" {scenarios[0]}")
        raise InputError(problems, title=title)


@click.command()
def schema() -> None:
    """Print the JSON Schema of scenario.yaml (for editors)."""
    click.echo(json.dumps(scenario_schema(), indent=2))
