"""Leakage: eval questions that also appear in train or the few-shot pool inflate every score."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem
from ..example import Example


@dataclass(frozen=True)
class Leak:
    """An eval example whose user text matches a train example's after normalizing."""

    eval_line: int | None
    train_line: int | None
    eval_key: str
    train_key: str
    text: str


def normalize_text(text: str) -> str:
    """Case-folded, punctuation dropped, whitespace collapsed: "Where's my card?" == 'wheres my card'."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))
    return re.sub(r"\s+", " ", text).strip()


def user_text(example: Example) -> str:
    """All user turns of an example, normalized and joined."""
    return " | ".join(normalize_text(m.content) for m in example.messages if m.role == "user")


def find_leaks(eval_examples: list[Example], pool: list[Example]) -> list[Leak]:
    """Every (eval, train) pair with the same normalized user text, in eval order."""
    by_text: dict[str, list[Example]] = {}
    for example in pool:
        by_text.setdefault(user_text(example), []).append(example)
    leaks = []
    for example in eval_examples:
        text = user_text(example)
        for match in by_text.get(text, []) if text.strip(" |") else []:
            leaks.append(Leak(example.line, match.line, example.key, match.key, example.user_text))
    return leaks


def leak_problems(leaks: list[Leak], eval_file: str | Path, train_file: str | Path) -> list[Problem]:
    """Leaks as located problems (callers decide whether they are errors or warnings)."""
    return [
        Problem(
            f"the user text also appears in {train_file}:{leak.train_line or leak.train_key}",
            file=eval_file,
            line=leak.eval_line,
            field="messages",
            fix="remove it from train or eval: a question seen in training overstates quality",
        )
        for leak in leaks
    ]
