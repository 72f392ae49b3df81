"""Eval calls spent with and without sequential stopping, and whether the decisions agree.

    python benchmarks/bench_sequential.py [--limit 60] [--rungs zero_shot,few_shot,rag] [--shared ../shared/data]

For the shipped scenarios, and for the real tasks under --shared when that folder is there (skipped
otherwise), it measures every prompting rung (--full) twice on the first --limit eval items: once
scoring every item, which fills the run cache, then with sequential stopping, which reads the same
answers back from the cache (so the second pass costs no model time). It prints, per scenario, the
items each rung used, the calls a live run would have made (used items plus the calls still in
flight when the verdict settled: at most concurrency - 1 more per stopped rung), and whether every
rung's pass/fail and the recommendation came out the same. The goal: at most 60% of the calls.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's advisor, not an installed one
SHIPPED = ["support-intents", "product-faq", "invoice-extraction"]
# The real tasks as scenarios: what each is graded by and what it must reach.
SHARED = {
    "banking77": {"task": {"kind": "classification"}, "grader": {"kind": "label"}, "targets": [{"metric": "accuracy", "min": 0.8}]},
    "clinc150_bank_oos": {"task": {"kind": "classification"}, "grader": {"kind": "label"}, "targets": [{"metric": "accuracy", "min": 0.8}]},
    "snips_slots_json": {
        "task": {"kind": "extraction"},
        "grader": {"kind": "json"},
        "targets": [{"metric": "field_accuracy", "min": 0.8}, {"metric": "format_valid", "min": 0.9}],
    },
    "squadshifts_wiki_rag": {
        "task": {"kind": "qa"},
        "grader": {"kind": "contains"},
        "targets": [{"metric": "accuracy", "min": 0.6}],
        "knowledge": "kb",
    },
}


def shared_scenario(folder: Path, name: str, spec: dict, out: Path) -> Path:
    data = {"train": str(folder / "train.jsonl"), "eval": str(folder / "eval.jsonl")}
    if "knowledge" in spec:
        data["knowledge"] = str(folder / spec["knowledge"])
    scenario = {
        "name": name,
        "task": spec["task"],
        "data": data,
        "grader": spec["grader"],
        "targets": spec["targets"],
        "ladder": {"finetune": None},
    }
    path = out / f"{name}.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path


def measure(path: Path, out: Path, limit: int, rungs: list[str], sequential: bool, concurrency: int):
    from advisor.run import RunOptions, climb
    from advisor.scenario.workspace import prepare

    ws = prepare(path, limit)
    opts = RunOptions(out, full=True, rungs=rungs, concurrency=concurrency, sequential=sequential, latency_probe=0)
    return asyncio.run(climb(ws, opts))


def compare(name: str, full, quick, concurrency: int) -> tuple[int, int, bool]:
    """Print one scenario's line per rung; return (calls without, calls with, same decisions)."""
    spent = saved = 0
    same = full.recommendation.rung == quick.recommendation.rung
    for a, b in zip(full.measured, quick.measured):
        s = b.stopping
        live = s.used + (min(concurrency - 1, s.available - s.used) if s.used < s.available else 0)
        spent, saved = spent + a.n, saved + live
        agree = a.meets_targets == b.meets_targets
        same = same and agree
        print(
            f"  {name:<22} {a.name:<10} {s.used:>4} of {s.available:<4} used, {live:>4} calls live   "
            f"pass: {a.meets_targets!s:<5} -> {b.meets_targets!s:<5} {'' if agree else 'DIFFERENT'}  {', '.join(s.decided_by)}"
        )
    return spent, saved, same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=60, help="eval items per scenario")
    parser.add_argument("--rungs", default="zero_shot,few_shot,rag")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--only", default=None, help="comma-separated scenario names")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    paths = {name: ROOT / "scenarios" / f"{name}.yaml" for name in SHIPPED}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.shared.is_dir():
            paths |= {
                name: shared_scenario(args.shared / name, name, spec, tmp)
                for name, spec in SHARED.items()
                if (args.shared / name / "eval.jsonl").is_file()
            }
        else:
            print(f"({args.shared} not found: the shipped scenarios only)")
        if args.only:
            paths = {k: v for k, v in paths.items() if k in args.only.split(",")}
        totals = [0, 0]
        all_same = True
        for name, path in paths.items():
            full = measure(path, tmp / name / "full", args.limit, args.rungs.split(","), False, args.concurrency)
            quick = measure(path, tmp / name / "quick", args.limit, args.rungs.split(","), True, args.concurrency)
            spent, live, same = compare(name, full, quick, args.concurrency)
            totals = [totals[0] + spent, totals[1] + live]
            all_same = all_same and same
            print(
                f"  {name:<22} recommendation {full.recommendation.rung} -> {quick.recommendation.rung}; "
                f"calls {spent} -> {live} ({live / spent:.0%})\n"
            )
    print(
        f"all scenarios: {totals[0]} calls without sequential stopping, {totals[1]} with "
        f"({totals[1] / totals[0]:.0%}; goal <= 60%); same decisions: {'yes' if all_same else 'NO'}"
    )


if __name__ == "__main__":
    main()
