"""Peak resident memory of the quick start, phase by phase, against the goal of 2.5 GB for the whole run.

    python benchmarks/bench_memory.py [--scenario scenarios/support-intents.yaml] [--limit N] [--epochs E] [--threads N]

Runs what `make demo` runs (`advisor run SCENARIO --full`), in this process, with an empty ADVISOR_CACHE
(so the embedded model is converted and no answer comes from a cache) and a fresh output folder. At each
phase boundary it reads the kernel's high-water mark of this process's resident memory (VmHWM) and resets it
(writing 5 to /proc/self/clear_refs), so each phase's peak is exact and includes whatever earlier phases left
behind. `--limit` and `--epochs` shorten the run (fewer eval items, fewer training steps) without changing the
size of a generate call or of a training step.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from _report import emit, set_threads  # benchmarks/_report.py

GOAL_GB = 2.5
STATUS, CLEAR_REFS = Path("/proc/self/status"), Path("/proc/self/clear_refs")
FORGETTING_NOTE = "fine-tune: forgetting check"  # advisor.rungs.finetune.train's note as the check starts


def status_gb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmHWM: peak since the last reset, VmRSS: now), in GB."""
    line = next(line for line in STATUS.read_text().splitlines() if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024 / 1e9


def reset_high_water() -> bool:
    """Start a new peak from the current resident memory; False where the kernel does not allow it."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Phases:
    """The peak and duration of each phase, closed one after the other and named as they close."""

    started: float = field(default_factory=time.perf_counter)
    rows: list[tuple[str, float, float, float]] = field(default_factory=list)
    """(phase, peak GB, GB still resident when it ended, seconds)."""
    resets: bool = True

    def close(self, name: str) -> None:
        now = time.perf_counter()
        peak, left = status_gb("VmHWM"), status_gb("VmRSS")
        self.rows.append((name, peak, left, now - self.started))
        print(f"{name:<30} peak {peak:5.2f} GB, {left:5.2f} GB resident at its end, {now - self.started:6.1f} s", flush=True)
        self.resets = reset_high_water() and self.resets
        self.started = now

    def on_event(self, event) -> None:
        """Close a phase at the ladder's events: a rung finished, the forgetting check or the adapter's eval began."""
        from advisor.measure import events as ev

        if isinstance(event, ev.RungFinished) and event.result.status != "skipped":
            self.close("fine-tune: eval of the adapter" if event.result.name == "finetune" else event.result.name)
        elif isinstance(event, ev.Note) and event.text.startswith(FORGETTING_NOTE):
            self.close("fine-tune: training")
        elif isinstance(event, ev.RungStarted) and event.rung == "finetune":
            self.close("fine-tune: forgetting check")


def run(scenario: Path, out_dir: Path, limit: int | None, epochs: float | None) -> Phases:
    """The quick start in this process, phase by phase: conversion, each rung, the fine-tune's parts, the report."""
    phases = Phases()
    from advisor.reports import write_reports
    from advisor.run import RunOptions, climb
    from advisor.scenario.workspace import prepare
    from evals.models import resolve_model

    ws = prepare(scenario, limit)
    if epochs is not None and ws.scenario.ladder.finetune is not None:
        ws.scenario.ladder.finetune.epochs = epochs
    phases.close("imports, data checks")
    resolve_model(ws.scenario.model_spec.local_model)
    phases.close("model conversion")
    record = asyncio.run(climb(ws, RunOptions(out_dir, full=True), phases.on_event))
    record.save(out_dir / "run.json")
    write_reports(record, out_dir)
    phases.close("report")
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=Path("scenarios/support-intents.yaml"))
    parser.add_argument("--limit", type=int, default=None, help="eval examples (default: all)")
    parser.add_argument("--epochs", type=float, default=None, help="fine-tune epochs (default: the scenario's)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args()
    print("$ python " + " ".join(sys.argv))
    if not STATUS.is_file():
        print("no /proc/self/status here (Linux only): nothing measured")
        return
    from evals.memory import limit_malloc_arenas

    limit_malloc_arenas()  # first, as `advisor`'s entry point does
    if args.threads:
        set_threads(args.threads)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="advisor-memory-") as tmp:
        os.environ["ADVISOR_CACHE"] = str(Path(tmp) / "cache")  # empty: convert the model, answer every item
        phases = run(args.scenario, Path(tmp) / "run", args.limit, args.epochs)
    seconds = time.perf_counter() - started
    peak = max(row[1] for row in phases.rows)
    kind = "per phase" if phases.resets else "running maximum (clear_refs refused)"
    print(f"whole run: peak {peak:.2f} GB in {seconds:.0f} s; goal <= {GOAL_GB} GB")
    worst = max(phases.rows, key=lambda r: r[1])[0]
    emit(
        "quick start peak resident memory",
        ours=round(peak, 3),
        peer=GOAL_GB,
        unit="GB",
        peer_name="goal",
        lower_is_better=True,
        goal=f"<= {GOAL_GB} GB",
        note=f"peaks {kind}; highest in {worst}; {seconds:.0f} s",
    )


if __name__ == "__main__":
    main()
