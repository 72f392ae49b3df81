"""Build a grader from its kind and options (the scenario's `grader:` section), and check data against it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ..backends.base import Backend
from ..errors import InputError, Problem
from ..example import Example
from ..kinds import GRADER_KINDS
from ._json import json_grader
from ._judge import judge_grader
from ._label import label_grader, match_label
from ._score import Grader
from ._text import contains, exact, normalized, regex_grader

KINDS = GRADER_KINDS


def _missing(kind: str, option: str, fix: str) -> InputError:
    return InputError(Problem(f"grader kind '{kind}' needs '{option}'", fix=fix, field=f"grader.{option}"))


def make_grader(
    kind: str,
    *,
    labels: Sequence[str] | None = None,
    schema: dict | str | Path | None = None,
    fields: Sequence[str] | None = None,
    pattern: str | None = None,
    judge: Backend | None = None,
    rubric: str | None = None,
) -> Grader:
    """The grader of `kind`; raises InputError for an unknown kind or a missing option."""
    simple = {"exact": exact, "normalized": normalized, "contains": contains}
    if kind in simple:
        return simple[kind]
    if kind == "regex":
        if not pattern:
            raise _missing(kind, "pattern", "add the regular expression an output must match")
        return regex_grader(pattern)
    if kind == "label":
        if not labels:
            raise _missing(kind, "labels", "list the allowed labels under task.labels")
        return label_grader(labels)
    if kind == "json":
        return json_grader(schema, fields)
    if kind == "judge":
        if judge is None:
            raise _missing(kind, "judge", "add 'judge: {model: openai:...}'")
        return judge_grader(judge, rubric)
    raise InputError(Problem(f"unknown grader kind '{kind}'", fix=f"use one of {', '.join(KINDS)}", field="grader.kind"))


def check_answers(kind: str, examples: Sequence[Example], labels: Sequence[str] | None = None) -> list[Problem]:
    """Every expected answer the grader of `kind` could not use: non-JSON for json, unknown labels for label."""
    problems = []
    for example in examples:
        for answer in example.answers:
            message = _answer_problem(kind, answer, labels)
            if message:
                problems.append(Problem(message[0], fix=message[1], line=example.line, field="messages"))
    return problems


def _answer_problem(kind: str, answer: str, labels: Sequence[str] | None) -> tuple[str, str] | None:
    if kind == "json":
        try:
            json.loads(answer)
        except ValueError as exc:
            return f"expected answer is not JSON ({exc})", "make the final assistant turn valid JSON"
    if kind == "label" and labels and match_label(answer, labels) is None:
        fix = f"use one of {', '.join(labels)} or add it to task.labels"
        return f"expected answer {answer!r} is not one of the labels", fix
    return None
