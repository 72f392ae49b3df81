"""Evaluation throughput: our runner + local backend vs lm-eval's HF backend (`generate_until`), side by side.

    python benchmarks/bench_vs_lmeval.py [--n 64] [--max-tokens 8] [--batch-size 16] [--rounds 1] [--threads 2]

Both sides evaluate the same items (a system and a user turn, graded as a label) with the same model
object, chat template, greedy decoding, max tokens and batch size. lm-eval runs the items as a
`generate_until` task through `simple_evaluate` with `HFLM(batch_size=N)` (the bridge in evals.lmeval,
offline, grading with the same grader); ours runs them through `Runner` and `LocalBackend` with every
request in flight at once. Items/s counts the whole call on each side, prompts to grades; lm-eval's
time inside `generate_until` alone is printed too. Outputs are compared item by item.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from unittest import mock

from _report import emit, set_threads

LABELS = ("billing", "shipping", "refund", "account", "other")
SYSTEM = f"Classify the customer message as {', '.join(LABELS)}. Answer with the label only."
MESSAGES = [
    ("I was charged twice for my order this month.", "billing"),
    ("Where is my package? It has been ten days.", "shipping"),
    ("Please send my money back, the blender arrived broken.", "refund"),
    ("I can't log in after resetting my password.", "account"),
    ("Do you sell gift cards?", "other"),
    ("My invoice shows the wrong VAT number.", "billing"),
    ("The courier left the parcel at the wrong door.", "shipping"),
    ("I returned the shoes two weeks ago and have no refund yet.", "refund"),
    ("How do I change the email on my profile?", "account"),
    ("What are your opening hours on Sunday?", "other"),
    ("Why did my card get declined at checkout?", "billing"),
    ("Tracking says delivered but nothing arrived.", "shipping"),
    ("Can I get a refund for a cancelled subscription?", "refund"),
    ("Delete my account and all my data, please.", "account"),
    ("Is the red jacket available in size M?", "other"),
    ("You billed me after I cancelled.", "billing"),
]
OPENERS = ["", "Hi, ", "Hello team. ", "Quick question: "]


def items(n: int):
    """n distinct label items: each message with a different opener."""
    from evals.example import Example

    out = []
    for i in range(n):
        text, label = MESSAGES[i % len(MESSAGES)]
        user = OPENERS[(i // len(MESSAGES)) % len(OPENERS)] + text
        out.append(
            Example(
                id=f"item-{i}",
                messages=[
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": user},
                    {"role": "assistant", "content": label},
                ],
            )
        )
    return out


def run_ours(backend, examples, max_tokens: int) -> tuple[float, dict[str, str]]:
    """The runner with the label grader, every item in flight (the local backend batches them)."""
    from evals.backends.base import GenerationParams
    from evals.graders import make_grader
    from evals.runner import Runner

    runner = Runner(
        backend, make_grader("label", labels=list(LABELS)), params=GenerationParams(max_tokens=max_tokens), concurrency=len(examples)
    )
    start = time.perf_counter()
    rows = runner.run_sync([(ex, [m.model_dump(include={"role", "content"}) for m in ex.prompt]) for ex in examples], "bench")
    return time.perf_counter() - start, dict(zip(rows["id"], rows["output"]))


def run_lmeval(model, tokenizer, examples, max_tokens: int, batch_size: int, folder: str) -> tuple[float, float, dict[str, str]]:
    """lm-eval's simple_evaluate on the same items as a generate_until task; also the seconds inside generate_until."""
    from lm_eval.models.huggingface import HFLM

    from evals.backends.base import GenerationParams
    from evals.lmeval import evaluate_tasks, generation_task, grading_of

    config = generation_task(examples, "bench", grading_of("label", labels=list(LABELS)), folder, GenerationParams(max_tokens=max_tokens))
    inside = [0.0]
    original = HFLM.generate_until

    def timed(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            inside[0] += time.perf_counter() - started

    start = time.perf_counter()
    with mock.patch.object(HFLM, "generate_until", timed):
        result = evaluate_tasks([config], peft_model=model, tokenizer=tokenizer, batch_size=batch_size)["bench"]
    return time.perf_counter() - start, inside[0], dict(zip(result.ids, result.outputs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (see benchmarks/RESULTS.md on why 1 on a shared machine)")
    parser.add_argument("--model", default="smollm2-135m")
    args = parser.parse_args()
    print("$ python " + " ".join(sys.argv))
    from importlib.metadata import version

    threads = set_threads(args.threads)
    from evals.backends.local import LocalBackend
    from evals.models import load_model, resolve_model

    tokenizer, model = load_model(resolve_model(args.model))
    backend = LocalBackend(args.model, model_obj=model, tokenizer=tokenizer, max_batch_size=args.batch_size, identity="bench")
    examples = items(args.n)
    print(
        f"{args.n} items, greedy, max_tokens {args.max_tokens}, batch size {args.batch_size} on both sides, torch threads {threads}, "
        f"lm-eval {version('lm_eval')}"
    )
    seconds = {"ours": 0.0, "lm-eval": 0.0, "generate_until": 0.0}
    with tempfile.TemporaryDirectory(prefix="bench-lmeval-") as folder:
        run_ours(backend, examples[:2], 2)  # warm up both paths once
        run_lmeval(model, tokenizer, examples[:2], 2, args.batch_size, folder)
        for r in range(args.rounds):
            order = ["ours", "lm-eval"] if r % 2 == 0 else ["lm-eval", "ours"]
            for side in order:
                if side == "ours":
                    t, ours = run_ours(backend, examples, args.max_tokens)
                else:
                    t, inside, peer = run_lmeval(model, tokenizer, examples, args.max_tokens, args.batch_size, folder)
                    seconds["generate_until"] += inside
                seconds[side] += t
            differ = [k for k in ours if ours[k] != peer.get(k)]
            print(
                f"  round {r + 1}: ours {args.n / seconds['ours'] * (r + 1):6.2f} items/s | lm-eval {args.n / seconds['lm-eval'] * (r + 1):6.2f} items/s"
                f" (generate_until alone {args.n / seconds['generate_until'] * (r + 1):6.2f}) | identical outputs {args.n - len(differ)}/{args.n}"
            )
            for key in differ[:3]:
                print(f"    {key}: ours {ours[key]!r} vs lm-eval {peer.get(key)!r}")
    rate = {side: args.n * args.rounds / s for side, s in seconds.items()}
    print(f"ours (Runner + LocalBackend):          {rate['ours']:6.2f} items/s")
    print(f"lm-eval (simple_evaluate, HFLM):       {rate['lm-eval']:6.2f} items/s  (generate_until alone {rate['generate_until']:.2f})")
    print(
        f"ratio ours / lm-eval: {rate['ours'] / rate['lm-eval']:.2f}x end to end, {rate['ours'] / rate['generate_until']:.2f}x against generate_until alone (goal >= 1.0)"
    )
    emit(
        "eval throughput vs lm-eval",
        ours=round(rate["ours"], 2),
        peer=round(rate["lm-eval"], 2),
        unit="items/s",
        peer_name=f"lm-eval {version('lm_eval')} HFLM generate_until",
        note=f"{args.n} items, max_tokens {args.max_tokens}, batch {args.batch_size}, {threads} threads; identical outputs "
        f"{args.n - len(differ)}/{args.n}; vs generate_until alone {rate['ours'] / rate['generate_until']:.2f}x",
    )


if __name__ == "__main__":
    main()
