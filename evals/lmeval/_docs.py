"""Chat examples as lm-eval documents: one flat JSON record per example, written next to the task.

A document holds what lm-eval's config fields point at (`system` -> description, which lm-eval sends as
the system turn; `user` -> doc_to_text; `answer` -> doc_to_target) and the whole example as JSON, so
that `process_results` grades with the same Example the harness grades with. Multiple-choice documents
add `choices` and the index of the right one, `target`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ..data import example_to_dict, write_atomic
from ..errors import InputError, Problem
from ..example import Example


def prompt_problem(example: Example) -> Problem | None:
    """Why an example's prompt cannot be one lm-eval turn: lm-eval sends an optional system turn and one user turn."""
    roles = [m.role for m in example.prompt]
    if roles in (["user"], ["system", "user"]) and example.messages[-1].role == "assistant":
        return None
    fix = "lm-eval tasks take a system turn and one user turn; evaluate multi-turn sets with the harness"
    return Problem(f"the prompt's turns are {roles}", fix=fix, line=example.line, field="messages")


def generation_doc(example: Example) -> dict:
    """The document of a generation item."""
    return {
        "id": example.key,
        "system": example.system or "",
        "user": example.user_text,
        "answer": example.answers[0],
        "example": json.dumps(example_to_dict(example), ensure_ascii=False),
    }


def choice_doc(example: Example) -> dict:
    """The document of a multiple-choice item: `meta.choices` holds the options, the final assistant turn the right one."""
    choices = [str(c) for c in example.meta.get("choices") or []]
    if example.expected not in choices:
        fix = "list the options under meta.choices, the right one among them and as the final assistant turn"
        message = f"the answer {example.expected!r} is not one of meta.choices"
        raise InputError(Problem(message, fix=fix, line=example.line, field="meta.choices"))
    return {**generation_doc(example), "choices": choices, "target": choices.index(example.expected)}


def write_docs(examples: Sequence[Example], path: Path, *, choices: bool = False) -> Path:
    """Check every example, then write their documents as JSONL at `path` (absolute)."""
    if not examples:
        raise InputError(Problem("the eval set has 0 examples", fix="add examples", field="examples"))
    problems = [p for p in map(prompt_problem, examples) if p is not None]
    if problems:
        raise InputError(problems, title="Examples lm-eval cannot take")
    to_doc = choice_doc if choices else generation_doc
    text = "".join(json.dumps(to_doc(ex), ensure_ascii=False) + "\n" for ex in examples)
    path = Path(path).resolve()
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return path  # untouched, so the datasets cache keyed on the file's time is reused
    return write_atomic(path, text)
