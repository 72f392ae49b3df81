"""Export: fold a LoRA adapter into its base weights, for servers that take plain model folders."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

from evals.errors import InputError, Problem
from evals.models import quiet_transformers, resolve_model, set_offline_env


def merge_adapter(base_model: str, adapter_dir: str | Path, out_dir: str | Path, *, force: bool = False) -> Path:
    """Write base + adapter as one safetensors model folder (with tokenizer) that AutoModelForCausalLM loads."""
    adapter_dir, out_dir = Path(adapter_dir), Path(out_dir)
    if not (adapter_dir / "adapter_config.json").is_file():
        raise InputError(
            Problem(
                f"{adapter_dir} is not a peft adapter folder (no adapter_config.json)",
                fix="point to the adapter folder a LoRA run wrote (its out_dir/adapter)",
                file=adapter_dir,
            )
        )
    if out_dir.exists() and not force:
        raise InputError(
            Problem(f"{out_dir} already exists", fix="choose another folder, or pass --force (force=True) to replace it", file=out_dir)
        )
    set_offline_env()
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_transformers()
    ref = resolve_model(base_model)
    # Merge in float32 so the folded weights lose nothing to rounding.
    base = AutoModelForCausalLM.from_pretrained(ref.path, dtype=torch.float32)
    with warnings.catch_warnings():  # peft calls a transformers API deprecated in v5; not the user's concern
        warnings.simplefilter("ignore", FutureWarning)
        merged = PeftModel.from_pretrained(base, adapter_dir).merge_and_unload()
    merged.config.use_cache = True
    partial = out_dir.with_name(out_dir.name + f".partial-{os.getpid()}")
    merged.save_pretrained(partial)
    AutoTokenizer.from_pretrained(ref.path).save_pretrained(partial)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    partial.rename(out_dir)
    return out_dir
