"""Run every benchmark with a small budget and write benchmarks/RESULTS.md (ours, peer, ratio, goal per benchmark).

    python benchmarks/run_all.py [--threads 1] [--only NAME ...] [--out benchmarks/RESULTS.md]

Each benchmark runs in its own process with the arguments below and ends with a `RESULT {json}` line
(benchmarks/_report.py); one that prints none gets its last line as the note. A benchmark whose
script is missing, or whose data is missing, is listed as skipped with the reason. Text after the
`<!-- notes -->` line of an existing RESULTS.md is kept, so explanations survive a rerun.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _report import PREFIX

HERE = Path(__file__).resolve().parent
NOTES_MARK = "<!-- notes -->"
# script, small-budget arguments, takes --threads (bench_structured sets its own)
BENCHMARKS = [
    ("bench_vs_lmeval.py", ["--n", "64", "--rounds", "1"], True),
    ("bench_vs_trl.py", ["--steps", "2", "--batch-size", "4", "--max-seq-len", "256", "--n", "200"], True),
    ("bench_vs_outlines.py", ["--n", "16", "--batch-size", "8"], True),
    ("bench_local_batching.py", ["--n", "16", "--rounds", "1"], False),
    ("bench_lora.py", ["--steps", "2", "--batch-size", "4"], True),
    ("bench_model_load.py", ["--cached-runs", "1"], False),
    ("bench_cache.py", ["--items", "200"], False),
    ("bench_runner.py", ["--requests", "500", "--rounds", "1"], False),
    ("bench_review_page.py", ["--items", "500", "--out", str(Path(tempfile.gettempdir()) / "review-bench.html")], False),
    ("bench_structured.py", ["--n", "32", "--rounds", "1", "--threads", "1"], False),
    ("bench_memory.py", ["--limit", "40", "--epochs", "1"], True),
]


def run_one(script: str, args: list[str], threads: int, timeout: float) -> dict:
    """Run one benchmark script; its RESULT row, or a row that says why there is none."""
    command = [sys.executable, str(HERE / script), *args]
    shown = "python benchmarks/" + " ".join([script, *args])
    if not (HERE / script).is_file():
        return {"script": script, "command": shown, "skipped": "not in this checkout"}
    # The checkout's own packages, not whichever copy is installed: a benchmark measures the code beside it.
    path = os.pathsep.join(p for p in [str(HERE.parent), os.environ.get("PYTHONPATH", "")] if p)
    env = {**os.environ, "ADVISOR_THREADS": str(threads), "PYTHONWARNINGS": "ignore", "PYTHONPATH": path}
    started = time.perf_counter()
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout, env=env, cwd=HERE.parent)
    except subprocess.TimeoutExpired:
        return {"script": script, "command": shown, "skipped": f"timed out after {timeout:.0f} s"}
    seconds = time.perf_counter() - started
    print(done.stdout, end="", flush=True)
    lines = done.stdout.strip().splitlines()
    rows = [json.loads(line[len(PREFIX) :]) for line in lines if line.startswith(PREFIX)]
    row = {"script": script, "command": shown, "seconds": round(seconds, 1)}
    if done.returncode:
        return {**row, "skipped": f"exit {done.returncode}: " + (done.stderr.strip().splitlines() or lines or ["no output"])[-1][:300]}
    return {**row, **rows[-1]} if rows else {**row, "note": lines[-1] if lines else ""}


def machine() -> str:
    cpu = (
        next(
            (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").is_file()
        else platform.processor()
    )
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU cores ({cpu}), Python {platform.python_version()}"


def figure(value) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def render(rows: list[dict], header: dict, notes: str) -> str:
    """RESULTS.md: when and where, the table, then the kept notes."""
    lines = [
        "# Benchmark results",
        "",
        f"- date: {header['date']}",
        f"- machine: {header['machine']}",
        f"- command: `{header['command']}` ({header['minutes']:.1f} min in all)",
        f"- torch threads: {header['threads']} in every benchmark",
        f"- load average (1 min) at start / end: {header['load'][0]:.1f} / {header['load'][1]:.1f} on {os.cpu_count()} cores"
        + (
            " — the machine was shared with other work, so absolute figures are noisy; each ratio compares"
            " both sides measured in the same run"
            if max(header["load"]) > (os.cpu_count() or 1)
            else ""
        ),
        "",
        "| benchmark | command | ours | peer | ratio | goal | met | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "skipped" in r:
            lines.append(f"| {r['script']} | `{r['command']}` | | | | | skipped | {r['skipped']} |")
            continue
        unit = f" {r['unit']}" if r.get("unit") else ""
        met = {True: "yes", False: "**no**"}.get(r.get("met"), "")
        peer = f"{figure(r.get('peer'))}{unit} ({r['peer_name']})" if r.get("peer_name") else figure(r.get("peer"))
        lines.append(
            f"| {r.get('name', r['script'])} | `{r['command']}` | {figure(r.get('ours'))}{unit if 'ours' in r else ''} | {peer} | "
            f"{figure(r.get('ratio'))}{'x' if 'ratio' in r else ''} | {r.get('goal', '')} | {met} | {r.get('note', '')} |"
        )
    return "\n".join(lines) + "\n\n" + NOTES_MARK + "\n" + notes.lstrip("\n")


def kept_notes(path: Path) -> str:
    if not path.is_file():
        return "\n"
    text = path.read_text(encoding="utf-8")
    return text.split(NOTES_MARK, 1)[1] if NOTES_MARK in text else "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads for every benchmark")
    parser.add_argument("--only", nargs="*", help="script names to run (default: all)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds one benchmark may take")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    started, load = time.perf_counter(), os.getloadavg()[0]
    rows = []
    for script, extra, takes_threads in BENCHMARKS:
        if args.only and script not in args.only and script.removesuffix(".py") not in args.only:
            continue
        print(f"== {script}", flush=True)
        rows.append(run_one(script, extra + (["--threads", str(args.threads)] if takes_threads else []), args.threads, args.timeout))
    header = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "command": "python " + " ".join(["benchmarks/run_all.py", *sys.argv[1:]]),
        "threads": args.threads,
        "minutes": (time.perf_counter() - started) / 60,
        "load": (load, os.getloadavg()[0]),
    }
    args.out.write_text(render(rows, header, kept_notes(args.out)), encoding="utf-8")
    print(f"wrote {args.out} ({header['minutes']:.1f} min)")


if __name__ == "__main__":
    main()
