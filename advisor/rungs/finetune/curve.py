"""Learning curve: fine-tune on 25%, 50% and 100% of train, score each on the same eval items, and
forecast how much data the target would take.

The fit is a saturating power law of the error, error(n) = a·n^-b + c (c: the error no amount of data
removes). Three points fix three parameters, so the interval comes from the points' own uncertainty:
each point's rate is redrawn from a normal with its interval's spread, the curve refitted, and the
forecast's percentiles taken over those refits.
"""

from __future__ import annotations

import asyncio
import gc
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from advisor.measure import events as ev
from advisor.measure.results import rung_result
from advisor.record.run import CurvePoint, LearningCurve
from advisor.rungs.finetune.train import training_examples
from advisor.rungs.finetune.tuned import finetune_settings
from advisor.scenario.metrics import RATE_METRICS
from advisor.scenario.workspace import Workspace
from evals.example import Example

if TYPE_CHECKING:
    from advisor.measure.cell import Strategy
    from trainers import LoraSettings

FRACTIONS = (0.25, 0.5, 1.0)
_B_GRID = np.linspace(0.01, 3.0, 600)
REFITS = 400
HORIZON = 1_000_000
"""Forecasts past this many examples are reported as 'more than'."""


def power_law(n: float, a: float, b: float, c: float) -> float:
    return a * np.power(n, -b) + c


def fit(ns: Sequence[float], errors: Sequence[float]) -> tuple[float, float, float] | None:
    """Least-squares (a, b, c) of error = a·n^-b + c, with a >= 0, 0 < b <= 3, 0 <= c <= 1.

    For a fixed b the model is linear in a and c, so b is searched on a fine grid and a, c solved in
    closed form for each: no iterative optimizer to fail to converge, and fast enough to refit hundreds of times."""
    n, e = np.asarray(ns, float), np.asarray(errors, float)
    if len(n) < 3 or not np.all(np.isfinite(e)):
        return None
    x = n[None, :] ** -_B_GRID[:, None]  # one row per b
    xm, em = x.mean(axis=1), e.mean()
    var = ((x - xm[:, None]) ** 2).sum(axis=1)
    a = np.where(var > 0, ((x - xm[:, None]) * (e - em)).sum(axis=1) / np.where(var > 0, var, 1.0), 0.0)
    a = np.maximum(a, 0.0)
    c = np.clip(em - a * xm, 0.0, 1.0)
    a = np.maximum(((x * (e - c[:, None])).sum(axis=1)) / (x * x).sum(axis=1), 0.0)  # refit a with c held
    residual = ((a[:, None] * x + c[:, None] - e) ** 2).sum(axis=1)
    best = int(residual.argmin())
    return float(a[best]), float(_B_GRID[best]), float(c[best])


def examples_needed(params: tuple[float, float, float], max_error: float) -> float:
    """The n at which the fitted error reaches max_error (inf when the curve flattens above it)."""
    a, b, c = params
    if c >= max_error or b <= 0:
        return math.inf
    if a <= 0:
        return 1.0
    return (a / (max_error - c)) ** (1.0 / b)


def forecast(
    points: list[CurvePoint], metric: str, target: float | None, confidence: float, seed: int = 0
) -> tuple[tuple[float, float, float] | None, list[float] | None, str]:
    """The fit, [n, lower, upper] examples needed, and the sentence the reports print."""
    ns = [p.n for p in points]
    errors = [1.0 - p.value for p in points]
    params = fit(ns, errors)
    if params is None:
        return None, None, "the learning curve could not be fitted"
    if target is None:
        return params, None, f"no {metric} target with a minimum to forecast"
    if points[-1].lower >= target:
        return params, None, f"{points[-1].n} examples already reach {metric} >= {target:g}"
    rng = random.Random(seed)
    spreads = [max((p.upper - p.lower) / (2 * _z(confidence)), 1e-6) for p in points]
    needed = []
    for _ in range(REFITS):
        drawn = [min(1.0, max(0.0, rng.gauss(1.0 - p.value, s))) for p, s in zip(points, spreads)]
        refit = fit(ns, drawn)
        needed.append(examples_needed(refit, 1.0 - target) if refit else math.inf)
    point = examples_needed(params, 1.0 - target)
    alpha = (1.0 - confidence) / 2
    capped = np.minimum(np.asarray(needed), HORIZON * 10.0)  # "never" sorts last without NaN arithmetic
    low, high = (float(np.quantile(capped, q)) for q in (alpha, 1 - alpha))
    if not math.isfinite(point) or point > HORIZON:
        return (
            params,
            None,
            (
                f"the curve flattens below the target ({metric} levels off near {1 - params[2]:.3f}): "
                "more data will not get there; try a larger model"
            ),
        )
    return (
        params,
        [point, low, high],
        (f"about {_count(point)} examples would reach {metric} >= {target:g} ({confidence:.0%} interval {_count(low)} to {_count(high)})"),
    )


def _count(n: float) -> str:
    return f"more than {HORIZON:,}" if not math.isfinite(n) or n > HORIZON else f"{math.ceil(n):,}"


def _z(confidence: float) -> float:
    from evals.stats import z_value

    return z_value(confidence)


def curve_target(ws: Workspace) -> tuple[str, float | None]:
    """The metric the curve follows: the first rate target with a minimum (accuracy when there is none)."""
    target = next((t for t in ws.scenario.targets if t.metric in RATE_METRICS and t.min is not None), None)
    return (target.metric, target.min) if target else ("accuracy", None)


async def learning_curve(
    ws: Workspace, strategy: Strategy, out_dir: Path, on_event: ev.OnEvent, concurrency: int = 8, max_steps: int | None = None
) -> LearningCurve:
    """Train on nested 25/50/100% subsets of train (seeded), score each adapter on every eval item, fit and forecast."""
    from evals.backends.local import LocalBackend
    from evals.runner import Runner, prompt_parts

    config, model = finetune_settings(ws), ws.scenario.model.removeprefix("local:")
    metric, target = curve_target(ws)
    order = list(ws.train_set)
    random.Random(config.seed).shuffle(order)
    prompts = [prompt_parts(strategy(ex))[0] for ex in ws.eval_set]
    points = []
    for fraction in FRACTIONS:
        subset = order[: max(1, round(len(order) * fraction))]
        on_event(ev.Note(f"learning curve: LoRA on {len(subset)} of {len(order)} train examples"))
        folder = out_dir / f"n{len(subset)}"
        await asyncio.to_thread(_train, training_examples(subset, strategy), config, folder, model, max_steps)
        runner = Runner(LocalBackend(model, adapter=folder / "adapter"), ws.grader(), params=ws.params, concurrency=concurrency)
        rows = await runner.run(list(zip(ws.eval_set, prompts)), rung="finetune")
        del runner  # one model in memory at a time: the next point trains a fresh one
        gc.collect()
        value = rung_result("finetune", rows, ws.scenario, ws.labels, [], 0.0).metrics[metric]
        points.append(CurvePoint(n=len(subset), value=value.value, lower=value.lower, upper=value.upper))
    params, needed, sentence = forecast(points, metric, target, ws.scenario.confidence, config.seed)
    return LearningCurve(
        metric=metric, target=target, points=points, fit=list(params) if params else None, examples_needed=needed, forecast=sentence
    )


def _train(examples: list[Example], config: LoraSettings, folder: Path, model: str, max_steps: int | None) -> None:
    from trainers import train_lora

    train_lora(examples, config, folder, model=model, max_steps=max_steps, resume=False)  # the result holds the model: drop it
    gc.collect()
