"""Checkpoints of a run: resume only the same run, start clean otherwise."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from evals.data import write_atomic
from evals.errors import InputError, Problem

from ._config import LoraSettings


def fingerprint(settings: LoraSettings, model: str, train: list[dict], val: list[dict]) -> str:
    """What makes two runs the same run (epochs and patience may change between a stop and its resume)."""
    kept = {k: v for k, v in settings.as_dict().items() if k not in ("epochs", "early_stopping_patience")}
    payload = json.dumps([kept, model, [f["input_ids"] for f in train], [f["input_ids"] for f in val]])
    return hashlib.sha256(payload.encode()).hexdigest()


def resume_point(out_dir: Path, stamp_text: str, resume: bool) -> str | None:
    """The checkpoint to resume from, or None after clearing out_dir/checkpoints for a fresh start."""
    from transformers.trainer_utils import get_last_checkpoint

    folder = out_dir / "checkpoints"
    stamp = folder / "fingerprint.txt"
    last = get_last_checkpoint(str(folder)) if folder.is_dir() else None
    if resume and last:
        if not stamp.is_file() or stamp.read_text() != stamp_text:
            raise InputError(
                Problem(
                    f"{folder} holds checkpoints of a different run (other data, model or settings)",
                    fix="delete this folder to train from the start (resume=False from Python), or write the run to another "
                    "output folder (--out)",
                    file=folder,
                )
            )
        return last
    if int(os.environ.get("LOCAL_RANK", 0)) == 0:  # one process clears, under accelerate launch too
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        write_atomic(stamp, stamp_text)
    return None
