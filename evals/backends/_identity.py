"""What makes a local model's outputs what they are: hashes of adapter files and in-memory weights."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, Problem

if TYPE_CHECKING:
    from ..models import CausalLM

ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")


def adapter_weights(folder: str | Path) -> Path:
    """The weights file of a peft adapter folder, or an InputError saying what is missing."""
    folder = Path(folder).expanduser()
    for name in ADAPTER_WEIGHTS:
        if (folder / name).is_file() and (folder / "adapter_config.json").is_file():
            return folder / name
    fix = "point to a folder written by save_pretrained (adapter_config.json + adapter_model.safetensors)"
    raise InputError(Problem(f"{folder} is not a peft adapter folder", fix=fix, field="adapter"))


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_sha256(model: CausalLM) -> str:
    """Fingerprint an in-memory model by its adapter weights (a PeftModel) or all its weights."""
    try:
        from peft import PeftModel, get_peft_model_state_dict

        state = get_peft_model_state_dict(model) if isinstance(model, PeftModel) else model.state_dict()
    except ImportError:
        state = model.state_dict()
    digest = hashlib.sha256()
    for name in sorted(state):
        digest.update(name.encode())
        digest.update(state[name].detach().float().cpu().numpy().tobytes())
    return digest.hexdigest()
