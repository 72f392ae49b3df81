"""Graders: pure functions of (output, example) -> Score, and the metrics they sum up to.

Expected answers are `example.answers` (meta.answers when present, else the final assistant turn);
every grader accepts any of them. Build one with `make_grader(kind, ...)`; the judge grader is async,
so apply graders with `await grade(grader, output, example)` when the kind is not known.
"""

from ._factory import KINDS, check_answers, make_grader
from ._json import json_grader, parse_output
from ._judge import DEFAULT_RUBRIC, judge_grader, judge_messages, parse_verdict
from ._label import INVALID, confusion, label_grader, macro_f1, match_label
from ._score import Grader, Score, error_score, grade
from ._summary import rate, summarize
from ._text import contains, exact, normalize, normalized, regex_grader

__all__ = [
    "DEFAULT_RUBRIC",
    "INVALID",
    "KINDS",
    "Grader",
    "Score",
    "check_answers",
    "confusion",
    "contains",
    "error_score",
    "exact",
    "grade",
    "judge_grader",
    "judge_messages",
    "json_grader",
    "label_grader",
    "macro_f1",
    "make_grader",
    "match_label",
    "normalize",
    "normalized",
    "parse_output",
    "parse_verdict",
    "rate",
    "regex_grader",
    "summarize",
]
