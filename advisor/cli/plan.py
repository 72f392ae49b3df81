"""`advisor plan`: how many eval examples a target needs before any run is worth it."""

from __future__ import annotations

import click

from . import output
from .params import FiniteRange

MAX_FAILURES = 10_000


@click.command()
@click.argument("target", type=FiniteRange(0, 1, min_open=True, max_open=True))
@click.option("--confidence", type=FiniteRange(0.5, 1, max_open=True), default=0.95, show_default=True)
@click.option("--metric", default="accuracy", show_default=True, help="Name shown in the sentence (any rate).")
@click.option("--failures", default="0,1,2,5", show_default=True, help="Allowed failures to plan for, comma-separated.")
@click.option("--have", type=click.IntRange(min=1), help="Your eval set's size: also say the best it can show.")
def plan(target: float, confidence: float, metric: str, failures: str, have: int | None) -> None:
    """Eval examples needed to show METRIC >= TARGET (a Wilson lower bound), e.g. `advisor plan 0.999`."""
    from evals.stats import max_demonstrable, min_examples, plan_text

    try:
        allowed = sorted({int(v) for v in failures.split(",") if v.strip()})
    except ValueError:
        raise click.BadParameter("give whole numbers, e.g. 0,1,2", param_hint="--failures") from None
    if not allowed or allowed[0] < 0 or allowed[-1] > MAX_FAILURES:
        raise click.BadParameter(f"give whole numbers from 0 to {MAX_FAILURES}, e.g. 0,1,2", param_hint="--failures")
    output.console.print(plan_text(target, confidence, metric, allowed) + ".", soft_wrap=True)
    if have:
        best = max_demonstrable(have, confidence)
        verdict = "enough" if best >= target else f"not enough: {min_examples(target, confidence)} needed even with no failures"
        output.console.print(
            f"Your {have} eval examples can show at most {metric} >= {best:.3f} at {confidence:.0%} confidence: {verdict}.", soft_wrap=True
        )
