"""Examples per second of the local backend's micro-batching vs one `model.generate` call per example.

    python benchmarks/bench_local_batching.py [--n 64] [--max-tokens 8] [--data FILE.jsonl] [--rounds 2]

Both sides use the same loaded model, greedy decoding and the same chat-templated prompts; rounds
alternate (one-by-one, then batched) so that load from other processes hits both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

from _report import emit  # benchmarks/_report.py

from evals.backends.base import GenerationParams
from evals.backends.local import LocalBackend

LABELS = "billing, shipping, refund, account or other"
MESSAGES = [
    "I was charged twice for my order this month.",
    "Where is my package? It has been ten days.",
    "Please send my money back, the blender arrived broken.",
    "I can't log in after resetting my password.",
    "Do you sell gift cards?",
    "My invoice shows the wrong VAT number.",
    "The courier left the parcel at the wrong door.",
    "I returned the shoes two weeks ago and have no refund yet.",
    "How do I change the email on my profile?",
    "What are your opening hours on Sunday?",
    "Why did my card get declined at checkout?",
    "Tracking says delivered but nothing arrived.",
    "Can I get a refund for a cancelled subscription?",
    "Delete my account and all my data, please.",
    "Is the red jacket available in size M?",
    "You billed me after I cancelled.",
]


def prompts(n: int, data: str | None) -> list[list[dict]]:
    """n chat prompts: the built-in support messages, or the prompts of a chat JSONL file."""
    if data:
        from evals.data import load_jsonl

        pool = [[m.model_dump(include={"role", "content"}) for m in ex.prompt] for ex in load_jsonl(data)]
    else:
        system = f"Classify the customer message as {LABELS}. Answer with the label only."
        pool = [[{"role": "system", "content": system}, {"role": "user", "content": m}] for m in MESSAGES]
    return [pool[i % len(pool)] for i in range(n)]


def one_by_one(backend: LocalBackend, chats: list[list[dict]], max_tokens: int) -> tuple[float, list[str]]:
    """One plain generate call per example, as a loop over a dataset would do it."""
    import torch

    model, tokenizer = backend._model, backend.tokenizer
    start, texts = time.perf_counter(), []
    for chat in chats:
        ids = torch.tensor([backend.encode(chat)], device=model.device)
        with torch.inference_mode():
            out = model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=max_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
        texts.append(tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True))
    return time.perf_counter() - start, texts


def batched(backend: LocalBackend, chats: list[list[dict]], max_tokens: int) -> tuple[float, list[str]]:
    """Every example submitted at once; the micro-batcher forms the generate batches."""
    params = GenerationParams(max_tokens=max_tokens)

    async def all_at_once():
        return await asyncio.gather(*[backend.complete(chat, params) for chat in chats])

    start = time.perf_counter()
    completions = asyncio.run(all_at_once())
    return time.perf_counter() - start, [c.text for c in completions]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=8)
    parser.add_argument("--max-batch-size", type=int, default=16)
    parser.add_argument("--data", help="chat JSONL whose prompts to use instead of the built-in ones")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model", default="smollm2-135m")
    args = parser.parse_args()
    print("$ python " + " ".join(sys.argv))
    import torch

    backend = LocalBackend(args.model, max_batch_size=args.max_batch_size)
    backend.load()
    chats = prompts(args.n, args.data)
    print(
        f"{args.n} examples, greedy, max_tokens {args.max_tokens}, max_batch_size {args.max_batch_size}, torch threads {torch.get_num_threads()}"
    )
    batched(backend, chats[:2], 2)  # warm up both paths once
    one_by_one(backend, chats[:2], 2)
    backend.stats.update(batches=0, requests=0)
    singles, batches = [], []
    for r in range(args.rounds):
        t1, texts1 = one_by_one(backend, chats, args.max_tokens)
        tb, textsb = batched(backend, chats, args.max_tokens)
        same = sum(a == b for a, b in zip(texts1, textsb))
        print(
            f"round {r + 1}: one-by-one {args.n / t1:6.2f} ex/s ({t1:.1f} s) | batched {args.n / tb:6.2f} ex/s ({tb:.1f} s)"
            f" | ratio {t1 / tb:.2f}x | identical outputs {same}/{args.n}"
        )
        singles.append(t1)
        batches.append(tb)
    t1, tb = statistics.median(singles), statistics.median(batches)
    print(
        f"median: one-by-one {args.n / t1:.2f} ex/s, batched {args.n / tb:.2f} ex/s, speed-up {t1 / tb:.2f}x"
        f" ({backend.stats['batches'] // args.rounds} generate calls per batched round)"
    )
    emit(
        "local micro-batching vs one generate per example",
        ours=round(args.n / tb, 2),
        peer=round(args.n / t1, 2),
        unit="ex/s",
        peer_name="one model.generate per example",
        goal_ratio=3.0,
        note=f"{args.n} examples, max_tokens {args.max_tokens}, torch threads {torch.get_num_threads()}",
    )


if __name__ == "__main__":
    main()
