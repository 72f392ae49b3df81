"""The harness's closed lists, each written once: grader kinds and the knowledge documents it reads."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

GraderKind = Literal["exact", "normalized", "label", "json", "regex", "contains", "judge"]
GRADER_KINDS: tuple[str, ...] = get_args(GraderKind)
"""Every grader kind, in the order the schema and the wizard list them."""
MODEL_FREE_GRADER_KINDS: tuple[str, ...] = tuple(k for k in GRADER_KINDS if k != "judge")
"""The kinds that grade without calling a model (the judge needs one)."""

KNOWLEDGE_SUFFIXES: tuple[str, ...] = (".txt", ".md", ".jsonl")
"""Knowledge documents, matched without regard to case (FAQ.MD is a Markdown document)."""


def is_knowledge_file(path: Path) -> bool:
    """The one rule for which files of a knowledge folder are documents."""
    return path.suffix.lower() in KNOWLEDGE_SUFFIXES and path.is_file()


def knowledge_files(folder: Path) -> list[Path]:
    """The documents under a knowledge folder, sorted (empty when it is not a folder)."""
    folder = Path(folder)
    return sorted(p for p in folder.rglob("*") if is_knowledge_file(p)) if folder.is_dir() else []
