"""Fine-tuning settings and the one place they turn into peft and transformers objects."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from evals.errors import InputError, Problem

if TYPE_CHECKING:  # peft and transformers are imported when a run trains
    from peft import LoraConfig
    from transformers import BitsAndBytesConfig, TrainingArguments

FIELD = "ladder.finetune"
BEST_SO_FAR = "eval_best_so_far"


class LoraSettings(BaseModel):
    """How a fine-tune trains. The one definition of these fields: the scenario's `ladder.finetune` block is this
    model plus the fields only the ladder reads."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    method: Literal["lora", "qlora", "full", "openai"] = "lora"
    """lora: local LoRA with peft; qlora: 4-bit base (CUDA only); full: every weight trained (same recipe, `full_lr`,
    exported as a whole safetensors model); openai: hosted fine-tuning job."""
    r: int = Field(default=16, ge=1)
    """LoRA rank."""
    alpha: int = Field(default=32, ge=1)
    """LoRA scaling numerator (scale = alpha / r)."""
    dropout: float = Field(default=0.0, ge=0, lt=1)
    """LoRA dropout (peft's default, 0: a dropout layer keeps a copy of each adapted layer's input for the backward
    pass, 0.18 GB at the quick start's peak; the kept weights are the best validation score's either way)."""
    target_modules: list[str] | Literal["all-linear"] = "all-linear"
    """Which projections get adapters."""
    epochs: Annotated[float, Field(gt=0)] | Literal["auto"] = "auto"
    """Passes over the train set. auto: hosted fine-tuning's rule (OpenAI cookbook, Chat_finetuning_data_prep):
    3 epochs, raised so the model sees at least 100 examples in all and lowered so it sees at most 25,000
    (1 to 25 epochs), then raised to make at least 100 optimizer steps (at most 25 epochs). The weights kept
    are the best validation score's, and early stopping follows that score."""
    lr: float = Field(default=2e-4, gt=0)
    """Peak learning rate of lora and qlora (reached after a 10% warmup, then decayed on a cosine)."""
    full_lr: float = Field(default=2e-5, gt=0)
    """Peak learning rate of method full: ten times lower than LoRA's, as every weight moves (2e-5 is also TRL's
    SFT default)."""
    max_memory_gb: float | None = Field(default=None, gt=0)
    """method full: refuse to start when the estimated memory (weights, gradients, AdamW states, activations)
    exceeds this many GB (default: the memory available when it starts)."""
    batch_size: int = Field(default=2, ge=1)
    """Examples per forward pass (micro-batch) per device."""
    grad_accum: int = Field(default=4, ge=1)
    """Micro-batches accumulated per optimizer update: each update sees batch_size x grad_accum examples (8 by
    default; four micro-batches of 2 hold a quarter of the activations of one of 8, for the same updates)."""
    activation_checkpointing: bool | Literal["auto"] = "auto"
    """Recompute each layer's activations in the backward pass instead of keeping them: far less memory for more time
    per step (see CHECKPOINT_TOKENS). auto: only when the widest micro-batch holds more than CHECKPOINT_TOKENS tokens."""
    max_seq_len: int = Field(default=512, ge=16)
    """Longer examples are truncated."""
    val_fraction: float = Field(default=0.1, ge=0, lt=0.5)
    """Share of train held out for validation (scored by the scenario's grader, and its loss)."""
    early_stopping_patience: int = Field(default=2, ge=0)
    """Evaluations without a better validation score before stopping (0: never stop early)."""
    seed: int = 0
    """Seed of the split, the adapter init and the data order."""

    @classmethod
    def from_obj(cls, obj: Any) -> LoraSettings:
        """These settings out of any object with the same-named attributes (or dict keys); missing ones keep their default."""
        get = obj.get if isinstance(obj, dict) else lambda name, default: getattr(obj, name, default)
        return cls(**{name: get(name, field.default) for name, field in cls.model_fields.items()})

    def as_dict(self) -> dict[str, Any]:
        """The training settings alone (a subclass's other fields left out), as JSON values."""
        return self.model_dump(mode="json", include=set(LoraSettings.model_fields))


def check_method(settings: LoraSettings, cuda: bool) -> None:
    """Refuse what this recipe cannot do here, with the fix."""
    if settings.method == "openai":
        raise InputError(
            Problem(
                "method 'openai' is a hosted fine-tuning job, not a local LoRA run",
                fix="use the hosted fine-tuning path, or set method: lora",
                field=f"{FIELD}.method",
            )
        )
    if settings.method not in ("lora", "qlora", "full"):
        raise InputError(
            Problem(f"unknown fine-tuning method '{settings.method}'", fix="use lora, qlora, full or openai", field=f"{FIELD}.method")
        )
    if settings.method == "qlora" and not cuda:
        raise InputError(
            Problem(
                "QLoRA loads the base model in 4-bit with bitsandbytes, which needs a CUDA GPU",
                fix="set method: lora to train in full precision here, or run on a machine with an NVIDIA GPU",
                field=f"{FIELD}.method",
            )
        )


def lora_config(settings: LoraSettings) -> LoraConfig:
    """The peft LoraConfig for these settings ("all-linear": every linear projection, not the LM head)."""
    from peft import LoraConfig

    # peft resolves "all-linear" per architecture: q/k/v/o and gate/up/down on Llama-style models.
    targets = settings.target_modules if isinstance(settings.target_modules, str) else list(settings.target_modules)
    return LoraConfig(
        r=settings.r, lora_alpha=settings.alpha, lora_dropout=settings.dropout, target_modules=targets, bias="none", task_type="CAUSAL_LM"
    )


def quantization_config(settings: LoraSettings) -> BitsAndBytesConfig | None:
    """4-bit NF4 loading for QLoRA, or None for plain LoRA."""
    if settings.method != "qlora":
        return None
    import importlib.util

    if importlib.util.find_spec("bitsandbytes") is None:
        raise InputError(
            Problem(
                "QLoRA needs the bitsandbytes package", fix="run `pip install bitsandbytes`, or set method: lora", field=f"{FIELD}.method"
            )
        )
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=torch.bfloat16
    )


CHECKPOINT_TOKENS = 384
"""Tokens in the widest micro-batch above which `activation_checkpointing: auto` recomputes activations. Measured on
the embedded model (LoRA on every linear layer, CPU, fp32, an epoch of the quick start's inputs, updates of 8):
micro-batches of 2 (the widest 168 tokens) peaked at 1.64 GB resident and took 2.23 s an update without
recomputing; micro-batches of 4 at 2.06 GB (1.62 s); one batch of 8 recomputed at 1.99 GB but 3.11 s an update
(that one with LoRA dropout 0.05 and over the first 12 updates, the others with dropout 0 over the epoch).
About 2.7 MB a token without recomputing: 384 tokens keep about 1 GB."""


def checkpointing_needed(settings: LoraSettings, longest: int) -> bool:
    """Whether a run whose longest example has `longest` tokens recomputes activations (see CHECKPOINT_TOKENS)."""
    if settings.activation_checkpointing != "auto":
        return settings.activation_checkpointing
    return settings.batch_size * longest > CHECKPOINT_TOKENS


WARMUP = 0.1
"""Share of the optimizer steps over which the learning rate climbs to `lr`, before its cosine decay."""


def training_args(
    settings: LoraSettings,
    out_dir: Path,
    *,
    epochs: float,
    cuda: bool,
    has_val: bool,
    max_steps: int | None,
    eval_steps: int | None,
    checkpointing: bool,
) -> TrainingArguments:
    """Trainer arguments: checkpoints each epoch (or every `eval_steps`), evaluation at the same moments."""
    from transformers import TrainingArguments

    every = "steps" if eval_steps else "epoch"
    return TrainingArguments(
        output_dir=str(out_dir / "checkpoints"),
        per_device_train_batch_size=settings.batch_size,
        per_device_eval_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.grad_accum,
        num_train_epochs=epochs,
        max_steps=max_steps or -1,
        learning_rate=settings.full_lr if settings.method == "full" else settings.lr,
        lr_scheduler_type="cosine",
        warmup_steps=WARMUP,
        seed=settings.seed,
        data_seed=settings.seed,
        eval_strategy=every if has_val else "no",
        save_strategy=every,
        eval_steps=eval_steps,
        save_steps=eval_steps,  # type: ignore[arg-type]  # None with save_strategy 'epoch', which ignores it
        save_total_limit=2,
        # The adapter kept is the best evaluation's, as TrainWatch ranks them (validation score, then loss):
        # it reports the number of the best evaluation so far, which rises exactly when a new best appears.
        load_best_model_at_end=has_val,
        metric_for_best_model=BEST_SO_FAR,
        greater_is_better=True,
        logging_steps=1,
        report_to="none",
        disable_tqdm=True,
        **(_checkpointing(TrainingArguments) if checkpointing else {}),
        bf16=cuda,
        use_cpu=not cuda,
        dataloader_pin_memory=cuda,
        # The length-grouped order lives in the dataset itself (reshuffled per epoch).
        train_sampling_strategy="sequential",
        include_num_input_tokens_seen="non_padding",
        prediction_loss_only=True,
        remove_unused_columns=False,
        label_names=["labels"],
    )


def _checkpointing(arguments: type) -> dict[str, Any]:
    """The Trainer's option to recompute activations. Later transformers 5 releases renamed it and warn on the old name."""
    name = (
        "activation_checkpointing"
        if "activation_checkpointing" in getattr(arguments, "__dataclass_fields__", {})
        else "gradient_checkpointing"
    )
    return {name: True, f"{name}_kwargs": {"use_reentrant": False}}
