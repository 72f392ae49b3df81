"""The size of report.html's review section at 2,000 items x 4 rungs, and how long Chromium takes to filter it.

    python benchmarks/bench_review_page.py [--items 2000] [--out review.html]

Synthetic samples built from the support-intents data: zero-shot and fine-tune prompts (system + input),
few-shot with 8 random train shots, RAG with 3 chunks of 80 words each that are different for every item
(the worst case: real retrievers return the same chunks for many questions, and those are stored once).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from advisor.record.samples import Retrieved, Sample  # noqa: E402
from advisor.reports._review import section  # noqa: E402  (after the path set-up)

LABELS = ["refund", "shipping", "account", "billing", "product_question"]


def synthetic(items: int) -> list[Sample]:
    rng = random.Random(0)
    train = [json.loads(line) for line in (ROOT / "scenarios/support-intents/train.jsonl").read_text().splitlines()]
    system = next(m["content"] for m in train[0]["messages"] if m["role"] == "system")
    words = " ".join(m["content"] for ex in train for m in ex["messages"] if m["role"] == "user").split()
    samples = []
    for i in range(items):
        question, expected = " ".join(rng.choices(words, k=18)), rng.choice(LABELS)
        for rung in ("zero_shot", "few_shot", "rag", "finetune"):
            messages, shots, retrieved = [{"role": "system", "content": system}], None, None
            if rung == "few_shot":
                picks = rng.sample(train, 8)
                shots = [p["id"] for p in picks]
                messages += [m for p in picks for m in p["messages"] if m["role"] != "system"]
            if rung == "rag":
                context = "\n\n".join(f"[doc{j}]\n" + " ".join(rng.choices(words, k=80)) for j in range(3))
                messages[0] = {"role": "system", "content": f"{system}\n\nContext:\n{context}"}
                retrieved = [Retrieved(id=f"doc{j}", score=1 / (j + 1)) for j in range(3)]
            output = expected if rng.random() < 0.7 else rng.choice(["billing", "I'm sorry to hear that, let me help"])
            samples.append(
                Sample(
                    id=f"e{i}",
                    rung=rung,
                    input=question,
                    expected=expected,
                    shots=shots,
                    retrieved=retrieved,
                    messages=messages + [{"role": "user", "content": question}],
                    output=output,
                    answer=output,
                    score=float(output == expected),
                    format_valid=True,
                    reason="read label",
                    latency_s=0.12,
                    input_tokens=300,
                    output_tokens=3,
                )
            )
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("review-bench.html"))
    args = parser.parse_args()
    started = time.perf_counter()
    html = section(synthetic(args.items))
    args.out.write_text(f"<!doctype html><html><head><meta charset=utf-8></head><body>{html}</body></html>", encoding="utf-8")
    print(f"{args.items} items x 4 rungs: {len(html.encode()) / 1e6:.2f} MB, rendered in {time.perf_counter() - started:.1f} s")
    chromium = shutil.which("chromium")
    if chromium:
        started = time.perf_counter()
        dom = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--virtual-time-budget=10000",
                "--dump-dom",
                f"{args.out.resolve().as_uri()}#filter=failed_all",
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        count = dom.split('id="review-count"', 1)[1].split(">", 1)[1].split("<", 1)[0]
        print(f"chromium: 'failed in every rung' shows {count} in {time.perf_counter() - started:.1f} s (browser start included)")


if __name__ == "__main__":
    main()
