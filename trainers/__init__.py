"""Fine-tuning: one plain LoRA/QLoRA recipe on chat examples, and adapter export.

Heavy libraries (torch, transformers, peft) load only when a function runs.
"""

from ._config import LoraSettings, lora_config
from ._export import merge_adapter
from ._result import TrainProgress, TrainResult
from .lora import train_lora

__all__ = ["LoraSettings", "TrainProgress", "TrainResult", "lora_config", "merge_adapter", "train_lora"]
