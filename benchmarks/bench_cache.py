"""A cached rerun against the first run of the same eval, on a loopback server with a fixed delay.

    python benchmarks/bench_cache.py [--items 500] [--delay 0.05] [--concurrency 8]

Prints both wall times, their ratio, and how many requests reached the server on the rerun.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _report import emit  # noqa: E402  (benchmarks/_report.py)
from fakes.graders import exact_match  # noqa: E402
from fakes.items import make_items  # noqa: E402
from fakes.openai_server import FakeOpenAIServer  # noqa: E402

from evals.backends import GenerationParams, get_backend  # noqa: E402
from evals.runner import Cache, Runner  # noqa: E402


def timed_run(backend, items, cache_path: Path, concurrency: int):
    """One run of the eval with the on-disk cache, opened fresh as a new command would."""
    start = time.perf_counter()
    with Cache(cache_path) as cache:
        rows = Runner(backend, exact_match, params=GenerationParams(max_tokens=16), concurrency=concurrency, cache=cache).run_sync(
            items, "bench"
        )
    return time.perf_counter() - start, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds the server takes per answer")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    items = make_items(args.items)
    with FakeOpenAIServer(delay_s=args.delay) as server, tempfile.TemporaryDirectory() as folder:
        backend = get_backend(f"openai:{server.base_url}#fake-model", concurrency=args.concurrency)
        cache_path = Path(folder) / "cache.sqlite"
        first, first_rows = timed_run(backend, items, cache_path, args.concurrency)
        before = server.app.total
        rerun, rerun_rows = timed_run(backend, items, cache_path, args.concurrency)
        rerun_requests = server.app.total - before
    assert rerun_rows["cached"].all() and rerun_rows["output"].equals(first_rows["output"])
    print(f"{args.items} items, server delay {args.delay * 1000:.0f} ms, concurrency {args.concurrency}")
    print(f"  first run   {first:7.3f} s  ({before} requests)")
    print(f"  cached rerun {rerun:6.3f} s  ({rerun_requests} requests)")
    print(f"speed-up {first / rerun:.0f}x (goal >= 50x), server requests on the rerun: {rerun_requests} (goal 0)")
    emit(
        "cached rerun vs first run",
        ours=round(rerun, 3),
        peer=round(first, 3),
        unit="s",
        peer_name="first run",
        lower_is_better=True,
        goal_ratio=50,
        goal=">= 50x, 0 requests",
        also_holds=rerun_requests == 0,
        note=f"{args.items} items, {rerun_requests} requests on the rerun",
    )


if __name__ == "__main__":
    main()
