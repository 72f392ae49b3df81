"""Time per example and per generated token of constrained (structured) vs free generation on the embedded model.

    python benchmarks/bench_structured.py [--n 48] [--rounds 2] [--threads 2]

Both sides run the same prompts through the same loaded local backend, batched as the ladder runs
them, with the same max_tokens; rounds alternate (free, then constrained) so that load from other
processes hits both alike. Two tasks: a label (choice of 5) and a JSON object with a schema. A
constrained answer usually ends sooner (at the end of the label or object), so the time per example
flatters it; the time per generated token is the engine's real overhead. Goal: constrained/free at
most 1.3x per example.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time

from _report import emit  # benchmarks/_report.py
from bench_local_batching import MESSAGES  # the same support messages in every local-model benchmark

from evals.backends.base import GenerationParams, Structure
from evals.backends.local import LocalBackend

LABELS = ("billing", "shipping", "refund", "account", "other")
SCHEMA = {
    "type": "object",
    "properties": {"intent": {"enum": list(LABELS)}, "urgent": {"type": "boolean"}, "summary": {"type": "string", "maxLength": 40}},
    "required": ["intent", "urgent", "summary"],
    "additionalProperties": False,
}
TASKS = {
    "label": (
        f"Classify the customer message as one of: {', '.join(LABELS)}. Answer with the label only.",
        Structure("choice", choices=LABELS),
        8,
    ),
    "json": (
        "Reply with a JSON object: the intent (" + ", ".join(LABELS) + "), whether it is urgent, and a short summary.",
        Structure("json", schema=json.dumps(SCHEMA)),
        48,
    ),
}


def run(backend: LocalBackend, chats: list[list[dict]], params: GenerationParams) -> tuple[float, int, list]:
    async def all_at_once():
        return await asyncio.gather(*[backend.complete(chat, params) for chat in chats])

    start = time.perf_counter()
    outs = asyncio.run(all_at_once())
    return time.perf_counter() - start, sum(o.output_tokens for o in outs), outs


def valid(task: str, text: str) -> bool:
    if task == "label":
        return text in LABELS
    try:
        import jsonschema

        jsonschema.validate(json.loads(text), SCHEMA)
        return True
    except (ValueError, jsonschema.ValidationError):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print("$ python " + " ".join(sys.argv))
    import torch

    torch.set_num_threads(args.threads)
    backend = LocalBackend("smollm2-135m")
    backend.load()
    print(f"{args.n} examples a side per round, greedy, batched (max 16), torch threads {torch.get_num_threads()}")
    worst, worst_ms = 0.0, (0.0, 0.0)
    for task, (system, structure, max_tokens) in TASKS.items():
        chats = [[{"role": "system", "content": system}, {"role": "user", "content": MESSAGES[i % len(MESSAGES)]}] for i in range(args.n)]
        free, constrained = GenerationParams(max_tokens=max_tokens), GenerationParams(max_tokens=max_tokens, structure=structure)
        run(backend, chats[:2], constrained)  # warm up: grammar compiled, tokenizer wrapped
        times: dict[str, list[tuple[float, int]]] = {"free": [], "constrained": []}
        outs = {}
        for _ in range(args.rounds):
            for side, params in (("free", free), ("constrained", constrained)):
                seconds, tokens, outs[side] = run(backend, chats, params)
                times[side].append((seconds, tokens))
        per_ex = {s: statistics.median(t / args.n for t, _ in v) for s, v in times.items()}
        per_tok = {s: statistics.median(t / max(k, 1) for t, k in v) for s, v in times.items()}
        ok = {s: sum(valid(task, o.text) for o in outs[s]) for s in outs}
        ratio = per_ex["constrained"] / per_ex["free"]
        if ratio >= worst:
            worst, worst_ms = ratio, (per_ex["constrained"] * 1e3, per_ex["free"] * 1e3)
        print(
            f"{task:5s} free {per_ex['free'] * 1e3:7.1f} ms/example {per_tok['free'] * 1e3:6.1f} ms/token valid {ok['free']}/{args.n} | "
            f"constrained {per_ex['constrained'] * 1e3:7.1f} ms/example {per_tok['constrained'] * 1e3:6.1f} ms/token valid "
            f"{ok['constrained']}/{args.n} | ratio per example {ratio:.2f}x, per token {per_tok['constrained'] / per_tok['free']:.2f}x"
        )
    print(f"worst ratio per example {worst:.2f}x (goal <= 1.3x): {'met' if worst <= 1.3 else 'MISSED'}")
    emit(
        "constrained vs free generation (worst task)",
        ours=round(worst_ms[0], 1),
        peer=round(worst_ms[1], 1),
        unit="ms/example",
        peer_name="free generation, same model and inputs",
        goal_ratio=round(1 / 1.3, 3),
        lower_is_better=True,
        goal="constrained <= 1.3x free per example",
    )


if __name__ == "__main__":
    main()
