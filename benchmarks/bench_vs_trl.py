"""Fine-tuning throughput: our LoRA recipe vs TRL's SFTTrainer (assistant-only loss, with and without packing).

    python benchmarks/bench_vs_trl.py [--steps 4] [--batch-size 8] [--max-seq-len 512] [--rounds 1] [--threads 2]

All sides train the same chats (benchmarks/bench_lora.py's support conversations) with the same LoRA
settings (r=16, alpha 32, dropout 0.05, all linear projections), learning rate, linear decay, seed,
sequence length, batch size and number of steps, fp32 on CPU, gradient checkpointing off on every
side (TRL turns it on by default, which only costs time at this size). TRL gets SmolLM2's own chat
template with `{% generation %}` marks around the assistant turns, which `assistant_only_loss` needs
(the rendered text is unchanged); it trains the assistant tokens through `<|im_end|>`, as ours does.
Packing is TRL's default strategy ("bfd", padding-free).

Each side runs in its own child process (so that its peak resident memory is its own), one after
the other and in alternating order across rounds. Tokens/s counts real (non-pad) tokens per second
of `trainer.train()`; padding waste is pad tokens over all tokens in the batches trained.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _report import emit, set_threads

SIDES = ("ours", "trl", "trl-packed")
# SmolLM2-135M-Instruct's template with TRL's generation marks around what the assistant says.
TRAINING_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}"
    "{% if message['role'] == 'assistant' %}{{ '<|im_start|>assistant\n' }}{% generation %}{{ message['content'] + '<|im_end|>' }}"
    "{% endgeneration %}{{ '\n' }}{% else %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def settings_for(args):
    from trainers import LoraSettings

    return LoraSettings(r=16, alpha=32, dropout=0.05, epochs=1, batch_size=args.batch_size, max_seq_len=args.max_seq_len, val_fraction=0)


def run_ours(examples, args, tmp: Path) -> dict:
    """The recipe: length-grouped batches, logits only where labels are."""
    from trainers import train_lora

    result = train_lora(examples, settings_for(args), tmp / "ours", model=args.model, resume=False, max_steps=args.steps)
    return {"tokens": result.train_tokens, "seconds": result.seconds, "waste": result.padding_waste, "loss": result.final_train_loss}


def run_trl(examples, args, tmp: Path, packing: bool) -> dict:
    """TRL's SFTTrainer on the same chats and LoRA settings, assistant-only loss."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, PrinterCallback
    from trl import SFTConfig, SFTTrainer

    from evals.models import resolve_model
    from trainers import lora_config
    from trainers._data import padding_waste

    settings = settings_for(args)
    path = resolve_model(args.model).path
    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    tokenizer.chat_template = TRAINING_TEMPLATE
    torch.manual_seed(settings.seed)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    data = Dataset.from_list([{"messages": [m.model_dump(include={"role", "content"}) for m in ex.messages]} for ex in examples])
    config = SFTConfig(
        output_dir=str(tmp / "trl"),
        per_device_train_batch_size=settings.batch_size,
        max_steps=args.steps,
        learning_rate=settings.lr,
        lr_scheduler_type="linear",
        seed=settings.seed,
        data_seed=settings.seed,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        use_cpu=not torch.cuda.is_available(),
        bf16=False,
        gradient_checkpointing=False,
        max_length=settings.max_seq_len,
        assistant_only_loss=True,
        packing=packing,
        include_num_input_tokens_seen="non_padding",
        dataloader_num_workers=0,
    )
    trainer = SFTTrainer(model=model, args=config, train_dataset=data, processing_class=tokenizer, peft_config=lora_config(settings))
    trainer.remove_callback(PrinterCallback)
    batches = []
    collate = trainer.data_collator

    def counting(features):
        out = collate(features)
        real = int(out["attention_mask"].sum()) if "attention_mask" in out else int(out["input_ids"].numel())
        batches.append((real, out["input_ids"].numel()))
        return out

    trainer.data_collator = counting
    trainer.train_dataset  # noqa: B018  (already tokenized and packed by the constructor: not timed, as for ours)
    started = time.perf_counter()
    output = trainer.train()
    seconds = time.perf_counter() - started
    trained = batches[: args.steps]
    return {"tokens": sum(real for real, _ in trained), "seconds": seconds, "waste": padding_waste(trained), "loss": output.training_loss}


def child(side: str, args) -> None:
    """Train one side in this process and print its figures (and peak memory) as JSON."""
    from evals.models import set_offline_env

    set_offline_env()
    set_threads(args.threads)
    from bench_lora import support_chats

    examples = support_chats(args.n)
    with tempfile.TemporaryDirectory(prefix="bench-trl-") as tmp:
        row = run_ours(examples, args, Path(tmp)) if side == "ours" else run_trl(examples, args, Path(tmp), side == "trl-packed")
    row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("CHILD " + json.dumps(row), flush=True)


def in_child(side: str, argv: list[str]) -> dict:
    command = [sys.executable, __file__, *argv, "--child", side]
    done = subprocess.run(command, check=False, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    lines = [line for line in done.stdout.splitlines() if line.startswith("CHILD ")]
    if done.returncode or not lines:
        raise SystemExit(f"{side} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("CHILD ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-seq-len", type=int, default=512)
    parser.add_argument("--n", type=int, default=400, help="built-in chats to draw batches from")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (see benchmarks/RESULTS.md on why 1 on a shared machine)")
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--child", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args)
    print("$ python " + " ".join(sys.argv))
    from importlib.metadata import PackageNotFoundError, version

    try:
        peer = f"TRL {version('trl')}"
    except PackageNotFoundError:
        print("trl is not installed: pip install -e '.[bench]'")
        sys.exit(2)
    argv = [a for a in sys.argv[1:]]
    print(
        f"{args.n} chats, {args.steps} steps x batch {args.batch_size}, max_seq_len {args.max_seq_len}, r=16 all-linear, fp32 CPU, "
        f"torch threads {args.threads}, {args.rounds} round(s); {peer}"
    )
    rows: dict[str, list[dict]] = {side: [] for side in SIDES}
    for r in range(args.rounds):
        for side in SIDES if r % 2 == 0 else SIDES[::-1]:
            row = in_child(side, argv)
            rows[side].append(row)
            print(
                f"  round {r + 1} {side:10}: {row['tokens']:>6,} tokens in {row['seconds']:6.1f} s = {row['tokens'] / row['seconds']:6.1f} tok/s,"
                f" padding waste {row['waste']:5.1%}, peak RSS {row['peak_rss_mb']:6.0f} MB, loss {row['loss']:.3f}"
            )
    rate = {s: sum(r["tokens"] for r in rs) / sum(r["seconds"] for r in rs) for s, rs in rows.items()}
    best = max(("trl", "trl-packed"), key=rate.get)
    for side in SIDES:
        waste = sum(r["waste"] for r in rows[side]) / len(rows[side])
        print(
            f"{side:10}: {rate[side]:7.1f} tok/s  padding waste {waste:5.1%}  peak RSS {max(r['peak_rss_mb'] for r in rows[side]):.0f} MB"
        )
    print(
        f"ratio ours / TRL's best ({best}): {rate['ours'] / rate[best]:.2f}x  (goal >= 1.0); "
        f"ours / trl {rate['ours'] / rate['trl']:.2f}x, ours / trl-packed {rate['ours'] / rate['trl-packed']:.2f}x"
    )
    emit(
        "fine-tune throughput vs TRL",
        ours=round(rate["ours"], 1),
        peer=round(rate[best], 1),
        unit="tokens/s",
        peer_name=f"{peer} SFTTrainer {'packing' if best == 'trl-packed' else 'no packing'}",
        goal=">= 1.0x vs TRL's best",
        note=f"{args.steps} steps x batch {args.batch_size}, {args.threads} threads; ours/trl {rate['ours'] / rate['trl']:.2f}x, "
        f"ours/trl-packed {rate['ours'] / rate['trl-packed']:.2f}x; padding waste ours {rows['ours'][0]['waste']:.0%}, "
        f"trl {rows['trl'][0]['waste']:.0%}, packed {rows['trl-packed'][0]['waste']:.0%}; peak RSS MB ours "
        f"{rows['ours'][0]['peak_rss_mb']:.0f}, trl {rows['trl'][0]['peak_rss_mb']:.0f}, packed {rows['trl-packed'][0]['peak_rss_mb']:.0f}",
    )


if __name__ == "__main__":
    main()
