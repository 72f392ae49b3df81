"""Latency as a user would see it: a probe of one call at a time, apart from the concurrent run.

During the run, calls queue behind each other for one batched model, so their latencies are mostly
waiting in our own queue (and the first batch pays the warm-up). The probe sends one warm-up call,
then `PROBE_ITEMS` items one after another, each alone; p50/p95 come from those, with a percentile
bootstrap interval, and latency targets are checked on the interval's bound. The run itself gives
the throughput (items per second at its concurrency). Probe answers are cached like any other, keyed
apart from the run's, so a rerun from the cache reports the same latencies without a model call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from evals.errors import BackendError
from evals.stats import bootstrap_stat, percentile

if TYPE_CHECKING:
    from evals.backends import Backend, Completion, GenerationParams
    from evals.runner import Cache

PROBE_ITEMS = 20


def _percentile(values: np.ndarray, q: int) -> float:
    return float(np.percentile(values, q))


@dataclass
class Probe:
    seconds: list[float]
    """Latency of each probed call, in item order."""

    def summary(self, confidence: float) -> dict[str, float]:
        """p50/p95 in ms with the bounds of their bootstrap intervals (`p95_low`, `p95_high`), and `n`."""
        out: dict[str, float] = {"n": float(len(self.seconds))}
        for q in (50, 95):
            spread = bootstrap_stat(self.seconds, partial(_percentile, q=q), confidence, resamples=1000)
            out[f"p{q}"] = percentile(self.seconds, q) * 1000.0
            out[f"p{q}_low"], out[f"p{q}_high"] = spread.lower * 1000.0, spread.upper * 1000.0
        return out


async def probe(
    backend: Backend, prompts: list[list[dict]], params: GenerationParams, cache: Cache | None = None, items: int = PROBE_ITEMS
) -> Probe | None:
    """A warm-up call, then up to `items` prompts one at a time; None when no call succeeded."""
    from evals.runner import request_key

    keys = [request_key(backend.identity, m, params) + ":latency-probe" for m in prompts[:items]]
    hits = cache.get_many(keys) if cache is not None else {}
    if len(hits) < len(keys):
        await _quietly(backend, prompts[0], params)  # warm-up: loads the model, fills its caches; not counted
    seconds = []
    for messages, key in zip(prompts[:items], keys):
        completion = hits.get(key) or await _quietly(backend, messages, params)
        if completion is None or math.isnan(completion.latency_s):
            continue
        if cache is not None and key not in hits:
            cache.put(key, completion, backend.identity)
        seconds.append(completion.latency_s)
    return Probe(seconds) if seconds else None


async def _quietly(backend: Backend, messages: list[dict], params: GenerationParams) -> Completion | None:
    try:
        return await backend.complete(messages, params)
    except BackendError:
        return None  # the run's error budget speaks for failures; a probe just has one point fewer
