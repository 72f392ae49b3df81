"""`advisor export`: the fine-tuned rung of a run as a merged model folder, for vLLM, TGI or transformers."""

from __future__ import annotations

from pathlib import Path

import click

from evals.errors import InputError, Problem

from . import output


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--merged",
    "merged_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write: base weights with the adapter folded in (safetensors) and the tokenizer.",
)
@click.option("--force", is_flag=True, help="Replace --merged if it exists.")
def export(run_dir: Path, merged_dir: Path, force: bool) -> None:
    """Merge the LoRA adapter of RUN_DIR (what `advisor run --out RUN_DIR` trained) into its base model.

    To serve the adapter as it is instead: `advisor serve --model NAME --adapter RUN_DIR/finetune/adapter`.
    """
    from advisor.record.run import load_record
    from evals.backends.spec import ModelSpec
    from trainers import merge_adapter

    record = load_record(run_dir / "run.json")
    adapter = run_dir / "finetune" / "adapter"
    whole = run_dir / "finetune" / "model"
    if (whole / "config.json").is_file() and not (adapter / "adapter_config.json").is_file():
        raise InputError(
            Problem(
                f"{run_dir} holds a full fine-tune: {whole} is already a whole safetensors model, nothing to merge",
                file=whole,
                fix=f"serve or copy it as it is: `vllm serve {whole}` or `advisor serve --model {whole}`",
            )
        )
    spec = ModelSpec.parse(record.model)
    if not spec.is_local or not (adapter / "adapter_config.json").is_file():
        raise InputError(
            Problem(
                f"{run_dir} holds no LoRA adapter (model {record.model})",
                file=adapter,
                fix="run the ladder with a local model until it fine-tunes (e.g. `advisor run SCENARIO --rungs finetune --out RUN_DIR`)",
            )
        )
    base = spec.local_model
    out = merge_adapter(base, adapter, merged_dir, force=force)
    output.console.print(
        f"Wrote {out}: {base} with the adapter folded in. Serve it with `vllm serve {out}` or `advisor serve --model {out}`."
    )
