"""The canary set: small general-ability tasks the base model gets right, to see what a fine-tune forgot.

Each `evals/canary/*.jsonl` file is one task, in the project's chat JSONL format
(`{"id": ..., "messages": [{"role": "user", ...}, {"role": "assistant", ...}], "meta": {...}}`):
- multiple choice when every item has `meta.choices` (the options; the final assistant turn is the
  right one): scored by lm-eval's loglikelihood `acc`;
- otherwise generation, graded by our grader named in `meta.grader` (one kind per file; default
  "normalized"), with `CANARY_PARAMS`.
Items were kept only when the base SmolLM2-135M-Instruct answers them right through this bridge.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ..backends.base import GenerationParams
from ..data import load_jsonl, write_atomic
from ..errors import InputError, Problem
from ..example import Example
from ._grading import Grading, grading_of
from ._task import choice_task, generation_task

CANARY_DIR = Path(__file__).resolve().parent.parent / "canary"
CANARY_PARAMS = GenerationParams(max_tokens=12)
"""Room for a short sentence: the canary's answers are a word or a phrase."""
_VERSION = 1
"""Bump when the way canary tasks are built changes, so cached base results are not reused."""


def canary_files(folder: str | Path = CANARY_DIR, extra: Sequence[str | Path] = ()) -> list[Path]:
    """The canary task files, in name order, then the `extra` task files; an empty folder is an InputError."""
    files = sorted(Path(folder).glob("*.jsonl"))
    if not files:
        fix = "reinstall the package or point to a folder of canary tasks"
        raise InputError(Problem("no canary tasks (*.jsonl) found", fix=fix, file=folder))
    missing = [
        Problem("forgetting task file not found", fix="check finetune.forgetting_tasks", file=p) for p in extra if not Path(p).is_file()
    ]
    if missing:
        raise InputError(missing)
    return files + [Path(p) for p in extra]


def canary_hash(folder: str | Path = CANARY_DIR, extra: Sequence[str | Path] = ()) -> str:
    """A digest of the canary files' names and contents, and of what else decides their scores."""
    digest = hashlib.sha256(f"v{_VERSION} lm_eval {metadata.version('lm_eval')} {CANARY_PARAMS}".encode())
    for path in canary_files(folder, extra):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class CanaryTask:
    """One canary file read: its task name, its items, and how they are graded (None: multiple choice)."""

    name: str
    examples: list[Example]
    grading: Grading | None


def read_canary(folder: str | Path = CANARY_DIR, extra: Sequence[str | Path] = ()) -> list[CanaryTask]:
    """The canary files (named `canary_<file stem>`) and the `extra` files (`extra_<i>_<stem>`), read and checked."""
    builtin = canary_files(folder)
    names = [f"canary_{p.stem}" for p in builtin] + [f"extra_{i}_{_safe(Path(p).stem)}" for i, p in enumerate(extra)]
    return [_read(path, name) for path, name in zip(canary_files(folder, extra), names)]


def canary_tasks(folder: str | Path = CANARY_DIR, docs_dir: str | Path | None = None, extra: Sequence[str | Path] = ()) -> list[dict]:
    """lm-eval task configs of the canary files and of the `extra` files (see `read_canary`), documents written to `docs_dir`."""
    from ..models import cache_dir

    docs_dir = Path(docs_dir) if docs_dir else cache_dir() / "canary" / f"docs-{canary_hash(folder, extra)[:16]}"
    return [
        choice_task(t.examples, t.name, docs_dir)
        if t.grading is None
        else generation_task(t.examples, t.name, t.grading, docs_dir, CANARY_PARAMS)
        for t in read_canary(folder, extra)
    ]


def _safe(stem: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in stem)


def _read(path: Path, name: str) -> CanaryTask:
    examples = load_jsonl(path, name="canary task")
    if all(ex.meta.get("choices") for ex in examples):
        return CanaryTask(name, examples, None)
    kinds = {ex.meta.get("grader", "normalized") for ex in examples}
    if len(kinds) != 1:
        fix = "give every item of a file the same meta.grader (or none, for normalized)"
        message = f"the items name several graders: {', '.join(sorted(kinds))}"
        raise InputError(Problem(message, fix=fix, file=path, field="meta.grader"))
    return CanaryTask(name, examples, grading_of(kinds.pop()))


def model_key(model: str) -> str:
    """What identifies a model's weights for the cache: its name, and for a folder the size and time of its weight files."""
    from ..models import resolve_model

    ref = resolve_model(model)
    weights = sorted(p for p in ref.path.glob("*") if p.suffix in (".safetensors", ".bin")) if ref.path.is_dir() else []
    return json.dumps([ref.identity, [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in weights]])


def cached_base(model: str, folder: str | Path = CANARY_DIR, extra: Sequence[str | Path] = ()) -> tuple[Path, dict | None]:
    """Where the base model's canary scores are cached, and the cached scores when they are there."""
    from ..models import cache_dir

    key = hashlib.sha256(f"{model_key(model)}\n{canary_hash(folder, extra)}".encode()).hexdigest()[:32]
    path = cache_dir() / "canary" / f"base-{key}.json"
    try:
        return path, json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return path, None


def save_base(path: Path, scores: dict) -> None:
    """Write the base scores in one rename, so a concurrent reader never sees half of them."""
    write_atomic(path, json.dumps(scores))
