"""The ladder with each rung's default settings on public tasks nobody here wrote, structured output on vs off.

    python benchmarks/bench_real_tasks.py [--data ../shared/data] [--tasks banking77,clinc150_bank_oos,snips_slots_json]
                                          [--limit 100] [--train-limit 0] [--out runs/real-tasks]

Reads the chat-JSONL copies of banking77 (Casanueva et al. 2020, CC BY 4.0), CLINC150's banking and
credit-card intents plus out-of-scope (Larson et al. 2019, CC BY 3.0) and SNIPS slots as JSON
(Coucke et al. 2018, CC0) from `--data` (default ../shared/data beside the repository). A checkout
without that folder has nothing to measure: the script says so and exits 0.

For each task it writes a scenario (the data's own system prompt, label or JSON-Schema grader),
runs `advisor run --full --no-sequential` with `generation.structured: auto`, then again with `off`
into the same folder (the fine-tune's adapter is reused, so only generation differs; on SNIPS, whose JSON
answers the constrained run writes in the schema's order, `off` trains its own on the answers as written;
prompt search runs only in the first), and prints per rung accuracy
[interval], format_valid, macro-F1 (labels) and field_accuracy (JSON) side by side. `--limit` caps the eval items, `--train-limit`
the train examples (0: all), to keep one task within minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TASKS = ("banking77", "clinc150_bank_oos", "snips_slots_json")
# The search is run once, constrained: `off` shows what the constraint buys the fixed prompts and the adapter.
RUNGS = {"auto": ("zero_shot", "few_shot", "prompt_search", "finetune"), "off": ("zero_shot", "few_shot", "finetune")}


def snips_schema(train: Path) -> dict:
    """One object per intent with only its own slot names, as the data's system prompt lists them."""
    system = json.loads(train.open(encoding="utf-8").readline())["messages"][0]["content"]
    value = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 2}]}
    variants = []
    for intent, slots in re.findall(r"^(\w+): (.+)$", system, flags=re.M):
        names = [s.strip() for s in slots.split(",")]
        variants.append(
            {
                "type": "object",
                "properties": {
                    "intent": {"const": intent},
                    "slots": {"type": "object", "properties": {n: value for n in names}, "additionalProperties": False},
                },
                "required": ["intent", "slots"],
                "additionalProperties": False,
            }
        )
    return {"anyOf": variants}


def subset(source: Path, dest: Path, limit: int) -> Path:
    lines = source.read_text(encoding="utf-8").splitlines()
    dest.write_text("\n".join(lines[:limit] if limit else lines) + "\n", encoding="utf-8")
    return dest


def scenario(task: str, data: Path, folder: Path, train_limit: int, structured: str, search_budget: int | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    train = subset(data / task / "train.jsonl", folder / "train.jsonl", train_limit)
    (folder / "eval.jsonl").write_text((data / task / "eval.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    if task == "snips_slots_json":
        (folder / "schema.json").write_text(json.dumps(snips_schema(train), indent=1), encoding="utf-8")
        kind, grader, targets = "extraction", {"kind": "json", "schema": "schema.json"}, [{"metric": "accuracy", "min": 0.8}]
    else:
        kind, grader, targets = "classification", {"kind": "label"}, [{"metric": "accuracy", "min": 0.8}]
    spec = {
        "name": task.replace("_", "-"),
        "task": {"kind": kind},
        "grader": grader,
        "targets": targets,
        "data": {"train": "train.jsonl", "eval": "eval.jsonl"},
        "model": "local:smollm2-135m",
        "pricing": {"hardware_per_hour": 0.05},
        "generation": {"structured": structured},
    }
    if search_budget is not None:
        spec["ladder"] = {"prompt_search": {"budget_calls": search_budget}}
    path = folder / f"scenario-{structured}.yaml"
    path.write_text(json.dumps(spec, indent=1), encoding="utf-8")  # JSON is YAML
    return path


def run(path: Path, out: Path, limit: int, rungs: tuple[str, ...]) -> dict:
    # Every item of every rung (no sequential stopping), so that on and off are compared on the same items;
    # no latency probe: latency is not what this table reports.
    cmd = [sys.executable, "-m", "advisor", "run", str(path), "--out", str(out), "--full", "--ci", "--limit", str(limit)]
    cmd += ["--no-sequential", "--latency-probe", "0", "--rungs", ",".join(rungs)]
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    record["_seconds"] = time.perf_counter() - started
    return record


def cell(rung: dict, metric: str) -> str:
    m = rung.get("metrics", {}).get(metric)
    if m is None:
        return "—"
    return f"{m['value']:.3f} [{m['lower']:.3f}, {m['upper']:.3f}]" if metric == "accuracy" else f"{m['value']:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--train-limit", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "real-tasks")
    parser.add_argument("--search-budget", type=int, default=None, help="prompt_search budget_calls (default: the rung's own)")
    args = parser.parse_args()
    print("$ python " + " ".join(sys.argv))
    if not args.data.is_dir():
        print(
            f"{args.data} is not here: this benchmark needs the public task data (shared/data beside the repository); nothing to measure."
        )
        return
    print("| task | rung | structured | accuracy [95% interval] | format_valid | macro-F1 | field_accuracy | constrained |")
    print("|---|---|---|---|---|---|---|---|")
    for task in args.tasks.split(","):
        folder = args.out / task
        # `off` reuses the adapter `auto` trained where the training data are the same. JSON answers are written in the
        # schema's property order for constrained generation only, so on the JSON task `off` trains on them as written.
        outs = {"auto": folder / "run", "off": folder / ("run-off" if task == "snips_slots_json" else "run")}
        records = {
            s: run(scenario(task, args.data, folder, args.train_limit, s, args.search_budget), outs[s], args.limit, RUNGS[s])
            for s in ("auto", "off")
        }
        for rung in RUNGS["auto"]:
            for structured, record in records.items():
                r = next((x for x in record["rungs"] if x["name"] == rung), None)
                if r is None or r["status"] != "measured":
                    continue
                print(
                    f"| {task} | {rung} | {structured} | {cell(r, 'accuracy')} | {cell(r, 'format_valid')} | "
                    f"{cell(r, 'macro_f1')} | {cell(r, 'field_accuracy')} | {r.get('constrained') if r.get('constrained') is not None else '—'} |",
                    flush=True,
                )
        ft = next(x for x in records["auto"]["rungs"] if x["name"] == "finetune")
        if ft.get("training"):
            t = ft["training"]
            print(
                f"|   | fine-tune training | | {t.get('seconds', 0):.0f} s, final train loss {t.get('final_train_loss')}, "
                f"{records['auto']['_seconds']:.0f} s for the structured run | | | |",
                flush=True,
            )


if __name__ == "__main__":
    main()
