"""Latency as a user would see it: a probe of one call at a time, apart from the concurrent run.

During the run, calls queue behind each other for one batched model, so their latencies are mostly
waiting in our own queue (and the first batch pays the warm-up). The probe sends one warm-up call,
then `PROBE_ITEMS` items one after another, each alone; p50/p95 come from those, with a percentile
bootstrap interval, and latency targets are checked on the interval's bound. The run itself gives
the throughput (items per second at its concurrency). Probe answers are cached like any other, keyed
apart from the run's, so a rerun from the cache reports the same latencies without a model call.

A backend that streams (`StreamingBackend`: an OpenAI-compatible server) is probed with streamed calls, which
also give the time to the first token (TTFT, p50/p95 with the same intervals) and the output tokens a second
after it. The run's own calls are not streamed. Where the server refuses to stream, the probe times whole answers.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from evals.backends import StreamingBackend
from evals.errors import BackendError
from evals.stats import bootstrap_stat, percentile

if TYPE_CHECKING:
    from evals.backends import Backend, Completion, GenerationParams
    from evals.runner import Cache

    Ask = Callable[[list[dict], GenerationParams], Awaitable[Completion]]

PROBE_ITEMS = 20


def _percentile(values: np.ndarray, q: int) -> float:
    return float(np.percentile(values, q))


@dataclass
class Probe:
    seconds: list[float]
    """Latency of each probed call, in item order."""
    ttft: list[float] = field(default_factory=list)
    """Time to the first token of each call that streamed text (empty when the backend does not stream)."""
    tokens_per_s: list[float] = field(default_factory=list)
    """Output tokens a second after the first, for each streamed call of two tokens or more."""

    def summary(self, confidence: float) -> dict[str, float]:
        """p50/p95 in ms with the bounds of their bootstrap intervals (`p95_low`, `p95_high`), and `n`; for streamed
        calls the same for the time to the first token (`ttft_p50`, `ttft_p95_high`...) and the median
        `output_tokens_per_s`."""
        out: dict[str, float] = {"n": float(len(self.seconds)), **_percentiles(self.seconds, "", confidence)}
        if self.ttft:
            out.update(_percentiles(self.ttft, "ttft_", confidence))
        if self.tokens_per_s:
            out["output_tokens_per_s"] = percentile(self.tokens_per_s, 50)
        return out

    def add(self, completion: Completion) -> None:
        self.seconds.append(completion.latency_s)
        first = completion.ttft_s
        if first is None or math.isnan(first):
            return
        self.ttft.append(first)
        after = completion.latency_s - first
        if completion.output_tokens > 1 and after > 0:
            self.tokens_per_s.append((completion.output_tokens - 1) / after)


def _percentiles(seconds: list[float], prefix: str, confidence: float) -> dict[str, float]:
    """p50 and p95 of `seconds` in ms, each with its bootstrap interval's bounds (`{prefix}p95_low`...)."""
    out = {}
    for q in (50, 95):
        spread = bootstrap_stat(seconds, partial(_percentile, q=q), confidence, resamples=1000)
        out[f"{prefix}p{q}"] = percentile(seconds, q) * 1000.0
        out[f"{prefix}p{q}_low"], out[f"{prefix}p{q}_high"] = spread.lower * 1000.0, spread.upper * 1000.0
    return out


async def probe(
    backend: Backend, prompts: list[list[dict]], params: GenerationParams, cache: Cache | None = None, items: int = PROBE_ITEMS
) -> Probe | None:
    """A warm-up call, then up to `items` prompts one at a time; None when no call succeeded."""
    from evals.runner import request_key

    keys = [request_key(backend.identity, m, params) + ":latency-probe" for m in prompts[:items]]
    hits = cache.get_many(keys) if cache is not None else {}
    streams = isinstance(backend, StreamingBackend)
    ask: Ask = backend.complete_streamed if isinstance(backend, StreamingBackend) else backend.complete
    # The warm-up loads the model and fills its caches (not counted); a streamed one that fails falls back to whole answers.
    if len(hits) < len(keys) and await _quietly(ask, prompts[0], params) is None and streams:
        ask = backend.complete
        await _quietly(ask, prompts[0], params)
    found = Probe([])
    for messages, key in zip(prompts[:items], keys):
        completion = hits.get(key) or await _quietly(ask, messages, params)
        if completion is None or math.isnan(completion.latency_s):
            continue
        if cache is not None and key not in hits:
            cache.put(key, completion, backend.identity)
        found.add(completion)
    return found if found.seconds else None


async def _quietly(ask: Ask, messages: list[dict], params: GenerationParams) -> Completion | None:
    try:
        return await ask(messages, params)
    except BackendError:
        return None  # the run's error budget speaks for failures; a probe just has one point fewer
