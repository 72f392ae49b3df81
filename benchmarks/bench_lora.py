"""Tokens/s of the LoRA recipe vs a plain transformers Trainer + peft baseline, side by side.

    python benchmarks/bench_lora.py [--steps 6] [--batch-size 8] [--data FILE.jsonl] [--rounds 1] [--threads N]

Both sides train the same LoRA settings on the same chat examples (assistant-only labels) for the same
number of steps at the same batch size. The baseline is the textbook setup: random batches padded to
their longest example by DataCollatorForSeq2Seq, full logits. Tokens/s counts non-pad tokens per second
of `trainer.train()`. Rounds alternate the order so that load from other processes hits both alike.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _report import emit  # benchmarks/_report.py

from evals.example import Example
from trainers import LoraSettings, lora_config, train_lora
from trainers._data import encode_all, padding_waste

SYSTEM = "You are the support assistant of Pinecrest Goods. Route each message to billing, shipping, refund, account or product, and answer in one short sentence."
OPENERS = ["", "Hi, ", "Hello team, ", "Good morning. ", "hey - ", "Dear Pinecrest support,\n"]
ASKS = [
    ("shipping", "where is my order {o}?"),
    ("shipping", "the tracking for order {o} has not moved since {d} and the courier does not answer the phone."),
    ("refund", "I want to return the {p} and get my money back."),
    (
        "refund",
        "the {p} arrived with a cracked handle, the box was soaked and the manual was missing. I would like a refund, not a replacement.",
    ),
    ("billing", "I was charged twice for order {o}."),
    (
        "billing",
        "my invoice for order {o} shows the wrong VAT number and the wrong company name; our accounts team needs a corrected copy before {d}.",
    ),
    ("account", "I cannot log in."),
    ("account", "the password reset email never arrives, I checked spam, tried two browsers and my phone, and my account is still locked."),
    ("product", "is the {p} dishwasher safe?"),
    ("product", "what is the {p} made of, how heavy is it, does it come in another colour, and is it covered by the two-year warranty?"),
]
STORY = [
    "I ordered it as a birthday present for my sister, so timing really matters to me.",
    "This is the second time this has happened with your shop this year, which is disappointing.",
    "I have attached photos and the packing slip to my earlier email but nobody replied.",
    "Your chatbot sent me in circles and the phone line closes before I get home from work.",
    "I have been a customer for six years and have always recommended you to friends.",
    "My neighbour received the same parcel without problems, so I do not understand the difference.",
]
REPLIES = {
    "shipping": "shipping - I have asked the carrier for an update on order {o} and will email you the new delivery date.",
    "refund": "refund - I have sent you a prepaid return label; the refund reaches your card within five days of arrival.",
    "billing": "billing - I have reversed the duplicate charge on order {o} and sent a corrected invoice.",
    "account": "account - I have unlocked your account and sent a new reset link that works for 24 hours.",
    "product": "product - the {p} is dishwasher safe, weighs 1.2 kg, comes in three colours and has a two-year warranty.",
}
PRODUCTS = ["pour-over kettle", "wool throw blanket", "cast iron skillet", "trail backpack", "oak desk lamp", "rain jacket"]
DAYS = ["Monday", "Tuesday", "last week", "the 14th", "Friday"]


def support_chats(n: int, seed: int = 0) -> list[Example]:
    """n support conversations from a one-line question to a long complaint, some with a follow-up turn."""
    rng = random.Random(seed)
    chats = []
    for _ in range(n):
        label, ask = rng.choice(ASKS)
        fill = {"o": rng.randint(100000, 999999), "p": rng.choice(PRODUCTS), "d": rng.choice(DAYS)}
        user = rng.choice(OPENERS) + ask.format(**fill) + "".join(" " + s for s in rng.sample(STORY, rng.choice([0, 0, 1, 2, 4, 6])))
        messages = ([{"role": "system", "content": SYSTEM}] if rng.random() < 0.7 else []) + [
            {"role": "user", "content": user},
            {"role": "assistant", "content": REPLIES[label].format(**fill)},
        ]
        if rng.random() < 0.25:
            messages += [
                {"role": "user", "content": "Thanks. And how long will that take?"},
                {"role": "assistant", "content": "Usually two to three working days."},
            ]
        chats.append(Example(messages=messages))
    return chats


def run_ours(examples, settings, steps, model, tmp) -> dict:
    """The recipe itself: length-grouped batches, logits only where labels are."""
    result = train_lora(examples, settings, tmp / "ours", model=model, resume=False, max_steps=steps)
    return {"tokens": result.train_tokens, "seconds": result.seconds, "waste": result.padding_waste, "loss": result.final_train_loss}


def run_baseline(examples, settings, steps, model, tmp) -> dict:
    """A plain Trainer + peft: random batches padded to their longest, full logits, default collator."""
    import torch
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, DataCollatorForSeq2Seq, PrinterCallback, Trainer, TrainingArguments

    from evals.models import resolve_model

    path = resolve_model(model).path
    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    tokenizer.padding_side = "right"
    features = [{**f, "attention_mask": [1] * len(f["input_ids"])} for f in encode_all(examples, tokenizer, settings.max_seq_len)[0]]
    torch.manual_seed(settings.seed)
    peft_model = get_peft_model(AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32), lora_config(settings))
    pad = DataCollatorForSeq2Seq(tokenizer, padding="longest", label_pad_token_id=-100)
    batches = []

    def collate(batch):
        out = pad(batch)
        batches.append((int(out["attention_mask"].sum()), out["attention_mask"].numel()))
        return out

    args = TrainingArguments(
        output_dir=str(tmp / "baseline"),
        per_device_train_batch_size=settings.batch_size,
        max_steps=steps,
        learning_rate=settings.lr,
        seed=settings.seed,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        use_cpu=not torch.cuda.is_available(),
        bf16=torch.cuda.is_available(),
        include_num_input_tokens_seen="non_padding",
        remove_unused_columns=False,
        label_names=["labels"],
    )
    trainer = Trainer(model=peft_model, args=args, train_dataset=features, data_collator=collate)
    trainer.remove_callback(PrinterCallback)
    started = time.perf_counter()
    output = trainer.train()
    seconds = time.perf_counter() - started
    return {
        "tokens": trainer.state.num_input_tokens_seen,
        "seconds": seconds,
        "waste": padding_waste(batches[:steps]),
        "loss": output.training_loss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--n", type=int, default=400, help="built-in chats to draw batches from")
    parser.add_argument("--data", help="a chat JSONL file instead of the built-in chats")
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--max-seq-len", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    print("$ python " + " ".join(sys.argv))
    import torch

    from evals.models import set_offline_env

    set_offline_env()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.data:
        from evals.data import load_jsonl

        examples = load_jsonl(args.data)
    else:
        examples = support_chats(args.n)
    settings = LoraSettings(
        r=16, alpha=32, dropout=0.05, epochs=1, batch_size=args.batch_size, max_seq_len=args.max_seq_len, val_fraction=0
    )
    device = "cuda" if torch.cuda.is_available() else f"cpu ({torch.get_num_threads()} threads)"
    print(
        f"{len(examples)} chats, {args.steps} steps x batch {args.batch_size}, r={settings.r} all-linear, {device}, {args.rounds} round(s)"
    )
    totals = {"baseline": [], "ours": []}
    tmp = Path(tempfile.mkdtemp(prefix="bench-lora-"))
    try:
        for round_ in range(args.rounds):
            order = ["baseline", "ours"] if round_ % 2 == 0 else ["ours", "baseline"]
            for name in order:
                run = run_baseline if name == "baseline" else run_ours
                row = run(examples, settings, args.steps, args.model, tmp)
                totals[name].append(row)
                print(
                    f"  round {round_ + 1} {name:8}: {row['tokens']:>7,} tokens in {row['seconds']:6.1f} s = {row['tokens'] / row['seconds']:7.1f} tok/s, padding waste {row['waste']:.1%}, loss {row['loss']:.3f}"
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rate = {name: sum(r["tokens"] for r in rows) / sum(r["seconds"] for r in rows) for name, rows in totals.items()}
    waste = {name: sum(r["waste"] for r in rows) / len(rows) for name, rows in totals.items()}
    print(f"baseline (Trainer, random batches, full logits): {rate['baseline']:8.1f} tok/s  padding waste {waste['baseline']:.1%}")
    print(f"ours (length-grouped, logits on labels only):    {rate['ours']:8.1f} tok/s  padding waste {waste['ours']:.1%}  (goal <= 10%)")
    print(f"ratio ours / baseline: {rate['ours'] / rate['baseline']:.2f}x  (goal >= 1.0)")
    emit(
        "LoRA recipe vs plain Trainer + peft",
        ours=round(rate["ours"], 1),
        peer=round(rate["baseline"], 1),
        unit="tokens/s",
        peer_name="Trainer, random batches, full logits",
        goal=">= 1.0x, padding <= 10%",
        also_holds=waste["ours"] <= 0.10,
        note=f"{args.steps} steps x batch {args.batch_size}, torch threads {torch.get_num_threads()}; padding ours {waste['ours']:.0%}, baseline {waste['baseline']:.0%}",
    )


if __name__ == "__main__":
    main()
