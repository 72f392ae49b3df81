"""RAG + fine-tune (RAFT) against RAG on a real task, and what a knowledge update does to each rung.

    python benchmarks/bench_rag_finetune.py [--data DIR] [--eval N] [--train N] [--epochs E] [--out FOLDER]

DIR is the shared data folder (default: $ADVISOR_BENCH_DATA, else ../shared/data from the repository
root) holding squadshifts_wiki_rag/ (300 Wikipedia paragraphs as kb/*.txt, 399 train and 200 eval
questions). Without it the benchmark says so and exits 0.

It writes a scenario into FOLDER and measures it with the ladder itself (`advisor run`'s code), the
embedded SmolLM2-135M, `--rungs rag,finetune,rag_finetune`, every item (no sequential stopping):
- train: the first N train questions, each given the `meta.source` of the one document that holds its
  answer (the shipped file names none; questions whose answer is in no document or in several are
  left out), so that RAFT can put the answering passage among distractors;
- the update: kb_v2/ is a copy of kb/ in which each eval question's answer span is swapped with the answer
  of another eval question (a derangement, so every answer moves), and eval_v2.jsonl asks the same
  questions (same ids) expecting the swapped-in span. A system that reads the documents follows; one
  that learned the old answers does not.

It prints rag and rag_finetune side by side on the same eval items with the paired test the ladder
runs (exact McNemar), the training loss and validation curves, the share of answers found word for word
in the retrieved passage, and every rung's accuracy before and after the update.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from advisor.run import RunOptions, climb  # noqa: E402
from advisor.scenario.workspace import prepare  # noqa: E402
from evals.graders import normalize  # noqa: E402

TASK = "squadshifts_wiki_rag"
RUNGS = ["rag", "finetune", "rag_finetune"]


def data_folder(arg: str | None) -> Path:
    return Path(arg or os.environ.get("ADVISOR_BENCH_DATA") or ROOT.parent / "shared" / "data") / TASK


def _answer(row: dict) -> str:
    return row["messages"][-1]["content"]


def with_sources(rows: list[dict], docs: dict[str, str]) -> list[dict]:
    """Train rows whose answer is in exactly one document, each naming that document in meta.source."""
    out = []
    for row in rows:
        holding = [name for name, text in docs.items() if _answer(row).lower() in text.lower()]
        if len(holding) == 1:
            out.append({**row, "meta": {**row.get("meta", {}), "source": holding[0], "answers": [_answer(row)]}})
    return out


def swapped(rows: list[dict], docs: dict[str, str], seed: int = 0) -> tuple[dict[str, str], list[dict]]:
    """kb_v2 (the documents with each question's answer replaced by another question's) and the questions asked again.

    A question is updated only when its answer occurs in its source document, no other updated question
    shares that document, and the new span is not already there; each gets a different question's answer."""
    usable, taken = [], set()
    for row in rows:
        source, answer = row["meta"]["source"], _answer(row)
        if source in docs and answer in docs[source] and source not in taken:
            usable.append(row)
            taken.add(source)
    new = [_answer(r) for r in usable]
    rng = random.Random(seed)
    while True:  # a derangement whose every new span is new to its document
        rng.shuffle(new)
        if all(n != _answer(r) and n not in docs[r["meta"]["source"]] for r, n in zip(usable, new)):
            break
    changed, asked = dict(docs), []
    for row, span in zip(usable, new):
        source = row["meta"]["source"]
        changed[source] = changed[source].replace(_answer(row), span)
        messages = [*row["messages"][:-1], {"role": "assistant", "content": span}]
        asked.append({**row, "messages": messages, "meta": {**row["meta"], "answers": [span]}})
    return changed, asked


def write_scenario(folder: Path, data: Path, n_eval: int, n_train: int, epochs: float) -> Path:
    """The scenario, its data and both knowledge folders under `folder`."""
    docs = {p.name: p.read_text(encoding="utf-8") for p in sorted((data / "kb").iterdir())}
    eval_rows = [json.loads(line) for line in (data / "eval.jsonl").read_text().splitlines()][:n_eval]
    train_rows = with_sources([json.loads(line) for line in (data / "train.jsonl").read_text().splitlines()], docs)[:n_train]
    changed, asked = swapped(eval_rows, docs)
    shutil.rmtree(folder, ignore_errors=True)
    for name, texts in (("kb", docs), ("kb_v2", changed)):
        (folder / name).mkdir(parents=True)
        for file, text in texts.items():
            (folder / name / file).write_text(text, encoding="utf-8")
    for name, rows in (("train", train_rows), ("eval", eval_rows), ("eval_v2", asked)):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    system = eval_rows[0]["messages"][0]["content"]
    scenario = {
        "name": "squadshifts-rag-finetune",
        "task": {"kind": "qa", "system_prompt": system},
        "data": {
            "train": "train.jsonl",
            "eval": "eval.jsonl",
            "knowledge": "kb",
            "knowledge_update": {"knowledge": "kb_v2", "eval": "eval_v2.jsonl"},
        },
        "grader": {"kind": "contains"},
        "targets": [{"metric": "accuracy", "min": 0.5}],
        "profile": {"must_change": ["knowledge", "format"], "knowledge_changes": "monthly"},
        "model": "local:smollm2-135m",
        "generation": {"max_tokens": 24, "stop": ["\n"]},
        "ladder": {
            "zero_shot": None,
            "few_shot": None,
            "prompt_search": None,
            "rag": {"top_k": 1, "retriever": "hybrid"},  # the rung's settings measured in bench_rag.py
            "finetune": {"method": "lora", "epochs": epochs},
            "rag_finetune": {},
        },
    }
    path = folder / "scenario.yaml"
    path.write_text(json.dumps(scenario, indent=2), encoding="utf-8")
    return path


def from_context(out: Path, rung: str) -> float | None:
    """Share of answers whose normalized text occurs in the retrieved passage shown (copied rather than recalled)."""
    samples = out / "samples" / f"{rung}.jsonl"
    if not samples.is_file():
        return None
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    found = [normalize(r["output"] or "") in normalize(r["messages"][-1]["content"]) for r in rows if (r.get("output") or "").strip()]
    return sum(found) / len(rows) if rows else None


def table(record, out: Path) -> str:
    lines = [
        "| rung | n | accuracy [95% CI] | answers found in the passage | after the update [95% CI] | before → after (same ids) |",
        "|---|---|---|---|---|---|",
    ]
    for name in RUNGS:
        rung = record.rung(name)
        if rung is None or rung.status != "measured":
            lines.append(f"| {name} | skipped: {rung.skip_reason if rung else 'not run'} | | | | |")
            continue
        acc, update = rung.metrics["accuracy"], rung.update
        after = update.metrics.get("accuracy") if update else None
        change = update.change if update else None
        copied = from_context(out, name)
        lines.append(
            f"| {name} | {rung.n} | {acc.value:.3f} [{acc.lower:.3f}, {acc.upper:.3f}] | "
            + (f"{copied:.2f}" if copied is not None and name != "finetune" else "—")
            + " | "
            + (f"{after.value:.3f} [{after.lower:.3f}, {after.upper:.3f}]" if after else "—")
            + " | "
            + (
                f"{update.before:.3f} → {update.paired_after:.3f} (n={change.n}, p={change.p_value:.3g})"
                if change and update.before is not None and update.paired_after is not None
                else "—"
            )
            + " |"
        )
    return "\n".join(lines)


def training_lines(record) -> list[str]:
    out = []
    for name in ("finetune", "rag_finetune"):
        rung = record.rung(name)
        t = rung.training if rung else None
        if t is None:
            continue
        losses = [f"{p['loss']:.3f}" for p in t.curve if p.get("loss") is not None]
        vals = [f"{p['val_score']:.3f}" for p in t.curve if p.get("val_score") is not None]
        out.append(
            f"{name}: {t.epochs} epochs, {t.seconds:.0f} s, {t.train_tokens} train tokens, final train loss {t.final_train_loss}, "
            f"val loss {t.final_val_loss}, best val score {t.best_val_score} at step {t.best_step}; train loss by log step {losses}; "
            f"val scores {vals}"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--eval", type=int, default=100, help="eval questions (the first N)")
    parser.add_argument("--train", type=int, default=160, help="train questions (the first N that name one document)")
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--out", type=Path, default=Path("bench-rag-finetune"))
    args = parser.parse_args(argv)
    data = data_folder(args.data)
    if not (data / "eval.jsonl").is_file():
        print(f"skipped: {data} not found (set --data or ADVISOR_BENCH_DATA to the shared data folder)")
        return 0
    started = time.perf_counter()
    path = write_scenario(args.out / "scenario", data, args.eval, args.train, args.epochs)
    ws = prepare(path)
    print(f"{len(ws.eval_set)} eval, {len(ws.train_set)} train, {len(ws.update_set)} asked again after the update; {args.epochs:g} epochs")
    out = args.out / "run"
    record = asyncio.run(climb(ws, RunOptions(out, rungs=RUNGS, sequential=False, full=True, latency_probe=0)))
    (args.out / "run.json").write_text(record.model_dump_json(indent=2))
    print(table(record, out))
    rf = record.rung("rag_finetune")
    for c in rf.comparisons if rf else []:
        print(
            f"rag_finetune vs {c.against}: {c.diff * 100:+.1f} points on {c.n} items, {c.test} p = {c.p_value:.3g} ({c.this_only} vs {c.other_only})"
        )
    print("\n".join(training_lines(record)))
    print(f"wall {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
