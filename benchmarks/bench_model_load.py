"""Load time of the embedded model: cold (GGUF conversion into an empty cache) vs cached, side by side.

    python benchmarks/bench_model_load.py [--model smollm2-135m] [--cached-runs 3]

Each run is a fresh process with ADVISOR_CACHE pointing at one new temporary folder, so the first
run really converts. A fresh process first pays for importing torch and transformers (reported apart)
and for the transformers modules that loading imports lazily; the "again" figure loads a second
time in the same process, which is the cost of the files alone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from _report import emit  # benchmarks/_report.py


def child(model: str) -> None:
    """Resolve (convert if needed) and load the model in this process; print timings as JSON."""
    start = time.perf_counter()
    import torch  # noqa: F401
    import transformers  # noqa: F401

    from evals.models import load_model, resolve_model

    imported = time.perf_counter()
    ref = resolve_model(model)
    resolved = time.perf_counter()
    load_model(ref, device="cpu")
    done = time.perf_counter()
    load_model(resolve_model(model), device="cpu")
    again = time.perf_counter() - done
    print(
        json.dumps(
            {
                "imports_s": imported - start,
                "resolve_s": resolved - imported,
                "load_s": done - resolved,
                "total_s": done - imported,
                "again_s": again,
            }
        )
    )


def timed_load(model: str, cache: str) -> dict:
    env = {**os.environ, "ADVISOR_CACHE": cache}
    out = subprocess.run([sys.executable, __file__, "--child", "--model", model], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--cached-runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.model)
    print("$ python " + " ".join(sys.argv))
    with tempfile.TemporaryDirectory(prefix="advisor-cache-") as cache:
        cold = timed_load(args.model, cache)
        cached = [timed_load(args.model, cache) for _ in range(args.cached_runs)]
    warm = statistics.median(c["total_s"] for c in cached)
    again = statistics.median(c["again_s"] for c in cached)
    print(
        f"cold   (convert GGUF + load):        {cold['total_s']:6.2f} s  (conversion {cold['resolve_s']:.2f} s, then load {cold['load_s']:.2f} s)"
    )
    print(
        f"cached (fresh process, first load): {warm:6.2f} s  (median of {len(cached)}: "
        + ", ".join(f"{c['total_s']:.2f}" for c in cached)
        + ")"
    )
    print(f"cached (same process, load again):  {again:6.2f} s  (the files alone)")
    print(
        f"ratio cold / cached: {cold['total_s'] / warm:.1f}x first load, {cold['total_s'] / again:.0f}x files alone;"
        f" importing torch + transformers takes {cached[-1]['imports_s']:.2f} s on top of either"
    )
    emit(
        "cached model load vs GGUF conversion",
        ours=round(warm, 2),
        peer=round(cold["total_s"], 2),
        unit="s",
        lower_is_better=True,
        peer_name="cold: convert GGUF + load",
        goal_ratio=1.0,
        note=f"fresh process, median of {len(cached)}; files alone {again:.2f} s",
    )


if __name__ == "__main__":
    main()
