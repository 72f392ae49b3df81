"""Our prompt-search rung against few-shot and against DSPy's BootstrapFewShotWithRandomSearch, on real intent data.

    python benchmarks/bench_prompt_search.py [--data ../shared/data] [--tasks banking77,clinc150_bank_oos]
        [--limit 60] [--budget 120] [--no-dspy]

Ours: few_shot and prompt_search measured by the ladder with the embedded model (constrained to the
labels), the eval set cut to `--limit`, the search spending at most `--budget` calls on a dev split
of 40 carved from train, over 5 instructions x (similar, bootstrapped) demonstrations at k = 8. The
defaults fit 2 CPU cores (a banking77 call with 8 shots takes seconds there). DSPy (pip install -e '.[bench]'): the same dev split and budget, its optimizer
talking to `advisor serve` as an OpenAI-compatible LM on 127.0.0.1; its compiled program is scored
on the same eval items. Without the data folder (a user's checkout has none) it says so and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def scenario(folder: Path, data: Path, budget: int, dev_size: int = 40) -> Path:
    """A classification scenario over a data folder; the data's own system message lists the labels."""
    raw = {
        "name": data.name,
        "task": {"kind": "classification"},
        "data": {"train": str(data / "train.jsonl"), "eval": str(data / "eval.jsonl")},
        "grader": {"kind": "label"},
        "targets": [{"metric": "accuracy", "min": 0.5}],
        "ladder": {
            "zero_shot": None,
            "few_shot": {"k": 8},
            "rag": None,
            "finetune": None,
            "prompt_search": {"budget_calls": budget, "dev_size": dev_size, "ks": [8], "demos": ["similar", "bootstrapped"]},
        },
    }
    path = folder / f"{data.name}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def ours(path: Path, limit: int, out: Path) -> dict:
    from advisor.run import RunOptions, climb
    from advisor.scenario.workspace import prepare

    ws = prepare(path, limit=limit)
    started = time.perf_counter()
    record = asyncio.run(climb(ws, RunOptions(out, full=True, rungs=["few_shot", "prompt_search"])))
    few, found = record.rung("few_shot"), record.rung("prompt_search")
    return {"ws": ws, "few": few, "search": found, "seconds": time.perf_counter() - started}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def advisor_serve():
    """`advisor serve` in its own process; yields its base URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "advisor", "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(240):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{url}/models", timeout=2)
                break
            if process.poll() is not None:
                raise RuntimeError(f"advisor serve exited: {process.stderr.read()[-500:]}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:  # mid-batch on a busy machine: do not let it mask the run's own outcome
            process.kill()
            process.wait()


def dspy_side(ws, budget: int, limit: int, train_cap: int) -> dict:
    """BootstrapFewShotWithRandomSearch on our dev split and budget, through advisor serve; eval accuracy and calls."""
    import dspy

    from advisor.rungs.prompt_search.search import carve_dev
    from advisor.rungs.prompt_search.settings import PromptSearchSettings as PromptSearch

    config = ws.scenario.ladder.prompt_search or PromptSearch()
    pool, dev = carve_dev(ws.train_set, config.dev_size, config.seed)
    instructions = ws.train_set[0].system or "Classify the message."
    signature = dspy.Signature("message -> intent", instructions)

    def example(ex):
        return dspy.Example(message=ex.user_text, intent=ex.expected.strip()).with_inputs("message")

    def metric(gold, pred, trace=None) -> bool:
        return str(getattr(pred, "intent", "")).strip() == gold.intent

    with advisor_serve() as url:
        lm = dspy.LM("openai/smollm2-135m", api_base=url, api_key="local", cache=False, temperature=0.0, max_tokens=64)
        dspy.configure(lm=lm)
        # Its calls: bootstrapping on the train pool plus one pass of dev per candidate program (and 3 baselines).
        programs = max(1, budget // len(dev) - 3)
        optimizer = dspy.BootstrapFewShotWithRandomSearch(
            metric=metric,
            max_bootstrapped_demos=4,
            max_labeled_demos=8,
            num_candidate_programs=programs,
            num_threads=4,
            # An answer its adapters cannot parse is an error to DSPy, and 10 of them cancel the search; here it is
            # a wrong answer, as in our grader.
            max_errors=1_000_000,
        )
        # BootstrapFewShot walks the train set until it holds max_bootstrapped_demos traces the model got right; a
        # weak model fails most, so the walk is capped at train_cap examples (each is one call).
        trainset = [example(e) for e in pool[:train_cap]]
        compiled = optimizer.compile(dspy.Predict(signature), trainset=trainset, valset=[example(e) for e in dev])
        calls = len(lm.history)
        right = sum(metric(example(e), _safe(compiled, e.user_text)) for e in ws.eval_set[:limit])
    return {"accuracy": right / len(ws.eval_set[:limit]), "calls": calls, "programs": programs}


def _safe(program, text: str):
    try:
        return program(message=text)
    except Exception:  # noqa: BLE001 - an unparseable answer is a wrong answer, as in our grader
        return None


def row(task: str, result: dict, limit: int, budget: int) -> str:
    few, found = result["few"], result["search"]
    s = found.search
    acc, facc = found.metrics["accuracy"], few.metrics["accuracy"]
    return (
        f"| {task} | {limit} | {budget} | {facc.value:.3f} [{facc.lower:.3f}, {facc.upper:.3f}] "
        f"| {s.dev_score:.3f} (n={next(c.dev_n for c in s.candidates if c.name == s.winner)}) "
        f"| {acc.value:.3f} [{acc.lower:.3f}, {acc.upper:.3f}] | {s.calls_spent} "
        f"| {few.tokens_per_call['input']:.0f} → {found.tokens_per_call['input']:.0f} | {s.winner} |"
        + (" overfit |" if s.overfit else " |")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--tasks", default="banking77,clinc150_bank_oos")
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--budget", type=int, default=120)
    parser.add_argument("--dev-size", type=int, default=40, help="the dev split carved from train, for both searches")
    parser.add_argument("--dspy-train", type=int, default=32, help="train examples DSPy may bootstrap from (one call each)")
    parser.add_argument("--no-dspy", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="keep the run folders here")
    args = parser.parse_args()
    args.data = args.data.resolve()  # the scenario files it writes live elsewhere
    missing = [t for t in args.tasks.split(",") if not (args.data / t / "train.jsonl").is_file()]
    if missing:
        print(f"skipped: no {', '.join(missing)} under {args.data} (the shared data sits beside the checkout; pass --data DIR)")
        return 0
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-prompt-search-"))
    out.mkdir(parents=True, exist_ok=True)
    header = (
        "| task | eval items | budget | few-shot eval | search dev (winner) | prompt search eval | calls spent "
        "| input tokens/call few-shot → search | winner | |"
    )
    lines = [header, "|---|---|---|---|---|---|---|---|---|---|"]
    dspy_lines = []
    for task in args.tasks.split(","):
        result = ours(scenario(out, args.data / task, args.budget, args.dev_size), args.limit, out / task)
        lines.append(row(task, result, args.limit, args.budget))
        print(lines[-1], flush=True)
        (out / f"{task}-search.json").write_text(json.dumps(result["search"].search.model_dump(), indent=1))
        if not args.no_dspy:
            dspy_lines.append(_dspy_line(task, result, args.budget, args.limit, args.dspy_train))
            print(dspy_lines[-1], flush=True)
    print("\n".join(lines))
    if dspy_lines:
        print("\n| task | ours eval | DSPy BootstrapFewShotWithRandomSearch eval | DSPy calls |\n|---|---|---|---|")
        print("\n".join(dspy_lines))
    return 0


def _dspy_line(task: str, result: dict, budget: int, limit: int, train_cap: int) -> str:
    ours_acc = result["search"].metrics["accuracy"].value
    try:
        import dspy  # noqa: F401
    except ImportError:
        return f"| {task} | {ours_acc:.3f} | not run: dspy is not installed (pip install -e '.[bench]') | |"
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # litellm would fetch its price list
    try:
        got = dspy_side(result["ws"], budget, limit, train_cap)
    except Exception as exc:  # noqa: BLE001 - the reason it cannot run offline is the result
        return f"| {task} | {ours_acc:.3f} | not run: {type(exc).__name__}: {str(exc)[:300]} | |"
    return f"| {task} | {ours_acc:.3f} | {got['accuracy']:.3f} ({got['programs']} candidate programs) | {got['calls']} |"


if __name__ == "__main__":
    sys.exit(main())
