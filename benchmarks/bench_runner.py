"""Runner throughput against a bare `asyncio.gather` of AsyncOpenAI calls, same server, same concurrency.

    python benchmarks/bench_runner.py [--requests 2000] [--concurrency 32] [--rounds 3]

The loopback server answers instantly and runs in its own process, so the client side is what is
measured. Rounds alternate the variants (reversing the order each round) and the best round of each
is compared, both in wall time and in this process's CPU time, which a busy machine disturbs less.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _report import emit  # noqa: E402  (benchmarks/_report.py)
from fakes.graders import exact_match  # noqa: E402
from fakes.items import make_items  # noqa: E402
from loopback import serve_in_process  # noqa: E402  (benchmarks/loopback.py)

from evals.backends import GenerationParams, get_backend  # noqa: E402
from evals.runner import Cache, Journal, Runner  # noqa: E402

PARAMS = GenerationParams(max_tokens=16)


class Clock:
    """Wall and CPU seconds of this process over a block."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


async def bare(base_url: str, items, concurrency: int) -> Clock:
    """The floor: the SDK alone, a semaphore, and gather."""
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0, timeout=60)
    slots = asyncio.Semaphore(concurrency)

    async def one(messages):
        async with slots:
            response = await client.chat.completions.create(model="fake-model", messages=messages, max_tokens=16, temperature=0.0)
            return response.choices[0].message.content

    with Clock() as clock:
        outputs = await asyncio.gather(*(one(messages) for _, messages in items))
    assert len(outputs) == len(items)
    await client.close()
    return clock


async def runner(base_url: str, items, concurrency: int, *, folder: Path | None = None) -> Clock:
    """The same calls through the openai backend and the runner (grading, rows, DataFrame)."""
    backend = get_backend(f"openai:{base_url}#fake-model", concurrency=concurrency)
    cache = Cache(folder / "cache.sqlite") if folder else None
    journal = Journal.in_folder(folder) if folder else None
    with Clock() as clock:
        rows = await Runner(backend, exact_match, params=PARAMS, concurrency=concurrency, cache=cache, journal=journal).run(items, "bench")
    assert len(rows) == len(items) and rows["error"].isna().all()
    return clock


async def with_cache_and_journal(base_url: str, items, concurrency: int) -> Clock:
    """A first run that also fills a cache and writes a journal."""
    with tempfile.TemporaryDirectory() as folder:
        return await runner(base_url, items, concurrency, folder=Path(folder))


VARIANTS = {"bare gather": bare, "runner": runner, "runner+cache+journal": with_cache_and_journal}


async def measure(base_url: str, n: int, concurrency: int, rounds: int) -> dict[str, list[Clock]]:
    items = make_items(n)
    await bare(base_url, items[:100], concurrency)  # warm the imports and the server
    await runner(base_url, items[:100], concurrency)
    clocks: dict[str, list[Clock]] = {name: [] for name in VARIANTS}
    order = list(VARIANTS)
    for _ in range(rounds):
        for name in order:
            clocks[name].append(await VARIANTS[name](base_url, items, concurrency))
        order.reverse()
    return clocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with serve_in_process(delay_s=0.0) as base_url:
        clocks = asyncio.run(measure(base_url, args.requests, args.concurrency, args.rounds))
    print(f"{args.requests} requests, concurrency {args.concurrency}, best of {args.rounds} rounds")
    wall = {name: min(c.wall for c in runs) for name, runs in clocks.items()}
    cpu = {name: min(c.cpu for c in runs) for name, runs in clocks.items()}
    for name in clocks:
        print(
            f"  {name:<22} wall {wall[name]:6.2f} s {args.requests / wall[name]:6.0f} req/s (x{wall['bare gather'] / wall[name]:.2f})"
            f"   cpu {cpu[name] * 1e6 / args.requests:5.0f} us/req (x{cpu['bare gather'] / cpu[name]:.2f})"
        )
    print(
        f"runner / bare throughput: {wall['bare gather'] / wall['runner']:.2f} wall, "
        f"{cpu['bare gather'] / cpu['runner']:.2f} cpu (goal >= 0.90)"
    )
    emit(
        "runner vs bare gather",
        ours=round(args.requests / wall["runner"]),
        peer=round(args.requests / wall["bare gather"]),
        unit="req/s",
        peer_name="AsyncOpenAI + gather",
        goal_ratio=0.9,
        note=f"{args.requests} requests, concurrency {args.concurrency}, loopback",
    )


if __name__ == "__main__":
    main()
