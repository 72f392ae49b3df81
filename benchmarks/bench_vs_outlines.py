"""Constrained decoding: our engine (llguidance inside the local backend's batches) vs outlines, side by side.

    python benchmarks/bench_vs_outlines.py [--n 32] [--batch-size 16] [--rounds 1] [--threads 2]

Both sides use the same loaded model object, the same chat-templated prompts, greedy decoding, the
same max tokens and the same batch size, on two tasks: a label (one of five) and a JSON object with
a schema (an enum and a boolean). Ours submits every request to the local backend at once (its
micro-batcher forms the batches); outlines (`outlines.Generator` on `outlines.from_transformers`,
its default outlines_core backend) gets the prompts in batches of the same size through
`Generator.batch`. Each side's grammar is compiled before timing (both cache it per schema).
Reported: seconds per example and validity (label in the set; JSON that parses and meets the schema).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from _report import emit, set_threads
from bench_local_batching import MESSAGES  # the same support messages in every local-model benchmark

LABELS = ("billing", "shipping", "refund", "account", "other")
SCHEMA = {
    "type": "object",
    "properties": {"intent": {"enum": list(LABELS)}, "urgent": {"type": "boolean"}},
    "required": ["intent", "urgent"],
    "additionalProperties": False,
}
TASKS = {
    "label": (f"Classify the customer message as {', '.join(LABELS)}. Answer with the label only.", 8),
    "json": ("Read the customer message. Answer with JSON: the intent (" + ", ".join(LABELS) + ") and whether it is urgent.", 32),
}


def chats(task: str, n: int) -> list[list[dict]]:
    system = TASKS[task][0]
    return [[{"role": "system", "content": system}, {"role": "user", "content": MESSAGES[i % len(MESSAGES)]}] for i in range(n)]


def valid(task: str, text: str) -> bool:
    """The answer is one of the labels, or JSON that meets the schema."""
    if task == "label":
        return text in LABELS
    import jsonschema

    try:
        jsonschema.validate(json.loads(text), SCHEMA)
    except (ValueError, jsonschema.ValidationError):
        return False
    return True


def answer(task: str, text: str):
    """What an answer says: the label, or the parsed JSON (outlines puts spaces where ours writes compact JSON)."""
    try:
        return json.loads(text) if task == "json" else text
    except ValueError:
        return text


def structure(task: str):
    from evals.backends.base import Structure

    return Structure("choice", choices=LABELS) if task == "label" else Structure("json", schema=json.dumps(SCHEMA))


def run_ours(backend, task: str, conversations: list[list[dict]]) -> tuple[float, list[str]]:
    from evals.backends.base import GenerationParams

    params = GenerationParams(max_tokens=TASKS[task][1], structure=structure(task))

    async def all_at_once():
        return await asyncio.gather(*[backend.complete(c, params) for c in conversations])

    start = time.perf_counter()
    done = asyncio.run(all_at_once())
    return time.perf_counter() - start, [c.text for c in done]


def outlines_generator(model, tokenizer, task: str):
    """outlines' generator for the task, its grammar compiled now (as ours is, by the warm-up)."""
    from typing import Literal

    import outlines
    from outlines.types import JsonSchema

    output_type = Literal[LABELS] if task == "label" else JsonSchema(json.dumps(SCHEMA))
    return outlines.Generator(outlines.from_transformers(model, tokenizer), output_type)


def run_outlines(generator, task: str, conversations: list[list[dict]], batch_size: int) -> tuple[float, list[str]]:
    from outlines.inputs import Chat

    prompts = [Chat(c) for c in conversations]  # a plain string would be wrapped in the chat template a second time
    start, texts = time.perf_counter(), []
    for i in range(0, len(prompts), batch_size):
        texts += generator.batch(prompts[i : i + batch_size], max_new_tokens=TASKS[task][1], do_sample=False)
    return time.perf_counter() - start, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=32, help="examples per task")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (see benchmarks/RESULTS.md on why 1 on a shared machine)")
    parser.add_argument("--model", default="smollm2-135m")
    args = parser.parse_args()
    print("$ python " + " ".join(sys.argv))
    try:
        from importlib.metadata import version

        peer = f"outlines {version('outlines')}"
    except ImportError:
        print("outlines is not installed: pip install -e '.[bench]'")
        sys.exit(2)
    threads = set_threads(args.threads)
    from evals.backends.local import LocalBackend
    from evals.models import load_model, resolve_model

    tokenizer, model = load_model(resolve_model(args.model))
    backend = LocalBackend(args.model, model_obj=model, tokenizer=tokenizer, max_batch_size=args.batch_size, identity="bench")
    print(f"{args.n} examples per task, greedy, batch size {args.batch_size}, torch threads {threads}, {args.rounds} round(s)")
    totals = {"ours": 0.0, "outlines": 0.0}
    validity = {"ours": [], "outlines": []}
    for task in TASKS:
        conversations = chats(task, args.n)
        generator = outlines_generator(model, tokenizer, task)
        run_ours(backend, task, conversations[:2])  # compile the grammar, warm up
        run_outlines(generator, task, conversations[:2], args.batch_size)
        for r in range(args.rounds):
            order = ["ours", "outlines"] if r % 2 == 0 else ["outlines", "ours"]
            got = {}
            for side in order:
                got[side] = (
                    run_ours(backend, task, conversations)
                    if side == "ours"
                    else run_outlines(generator, task, conversations, args.batch_size)
                )
            for side, (seconds, texts) in got.items():
                totals[side] += seconds
                validity[side] += [valid(task, t) for t in texts]
            same = sum(answer(task, a) == answer(task, b) for a, b in zip(got["ours"][1], got["outlines"][1]))
            print(
                f"  {task:5} round {r + 1}: ours {got['ours'][0] / args.n * 1000:7.0f} ms/ex, "
                f"{sum(valid(task, t) for t in got['ours'][1])}/{args.n} valid | outlines {got['outlines'][0] / args.n * 1000:7.0f} ms/ex, "
                f"{sum(valid(task, t) for t in got['outlines'][1])}/{args.n} valid | same answer (parsed) {same}/{args.n}"
                f" | e.g. ours {got['ours'][1][0]!r}, outlines {got['outlines'][1][0]!r}"
            )
    count = args.n * args.rounds * len(TASKS)
    per = {side: totals[side] / count * 1000 for side in totals}
    rate = {side: sum(v) / len(v) for side, v in validity.items()}
    print(f"ours:     {per['ours']:7.1f} ms/example, validity {rate['ours']:.0%}")
    print(f"outlines: {per['outlines']:7.1f} ms/example, validity {rate['outlines']:.0%}")
    print(f"ratio outlines / ours time: {per['outlines'] / per['ours']:.2f}x  (goal >= 1.0, 100% validity on both sides)")
    emit(
        "constrained decoding vs outlines",
        ours=round(per["ours"], 1),
        peer=round(per["outlines"], 1),
        unit="ms/example",
        lower_is_better=True,
        peer_name=f"{peer} Generator.batch",
        goal=">= 1.0x, 100% valid on both sides",
        also_holds=rate["ours"] == 1.0 and rate["outlines"] == 1.0,
        note=f"label + JSON schema, validity ours {rate['ours']:.0%}, outlines {rate['outlines']:.0%}, batch {args.batch_size}, {threads} threads",
    )


if __name__ == "__main__":
    main()
