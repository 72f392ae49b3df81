"""`advisor validate` and `advisor schema`."""

from __future__ import annotations

import json

import click

from ..scenario_file import scenario_schema
from .output import console


@click.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(scenarios: tuple[str, ...]) -> None:
    """Check scenario files and all their data; report every problem at once."""
    from ..checks import check_scenario_file

    for path in scenarios:
        summary = check_scenario_file(path)
        console.print(f"[green]✓[/] {path}: {summary}")


@click.command()
def schema() -> None:
    """Print the JSON Schema of scenario.yaml (for editors)."""
    click.echo(json.dumps(scenario_schema(), indent=2))
