"""Fine-tuning: one plain LoRA/QLoRA recipe on chat examples, and adapter export.

Heavy libraries (torch, transformers, peft) load only when a function runs.
"""

from ._config import LoraSettings, lora_config
from ._epochs import auto_epochs, planned_epochs, resolve_epochs
from ._export import merge_adapter
from ._hosted import hosted_backend_spec, train_openai
from ._hosted_result import HostedJobPending, HostedProgress, HostedResult
from ._result import TrainProgress, TrainResult
from ._score import ValScorer, grader_scorer
from .lora import train_lora

__all__ = [
    "HostedJobPending",
    "HostedProgress",
    "HostedResult",
    "LoraSettings",
    "TrainProgress",
    "TrainResult",
    "ValScorer",
    "auto_epochs",
    "grader_scorer",
    "hosted_backend_spec",
    "lora_config",
    "merge_adapter",
    "planned_epochs",
    "resolve_epochs",
    "train_lora",
    "train_openai",
]
