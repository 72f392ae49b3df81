"""Leakage: eval questions found in train after normalizing case, whitespace and punctuation."""

from __future__ import annotations

from evals.data import find_leaks, leak_problems, normalize_text
from evals.example import Example, Message


def _example(user: str, line: int, answer: str = "x") -> Example:
    return Example(messages=[Message(role="user", content=user), Message(role="assistant", content=answer)], line=line)


def test_normalizing_ignores_case_whitespace_and_punctuation():
    assert normalize_text("  Where's   my\tCARD?! ") == normalize_text("wheres my card")
    assert normalize_text("card") != normalize_text("cards")


def test_leaks_pair_each_eval_line_with_every_matching_train_line():
    train = [_example("Where is my card?", 1), _example("Refund me", 2), _example("where IS my card", 3)]
    eval_set = [_example("WHERE is my card", 1), _example("Cancel it", 2), _example("refund, me!", 3, answer="other")]
    pairs = [(leak.eval_line, leak.train_line) for leak in find_leaks(eval_set, train)]
    assert pairs == [(1, 1), (1, 3), (3, 2)]


def test_no_leaks_between_different_questions_or_empty_texts():
    assert find_leaks([_example("Cancel it", 1), _example("?!", 2)], [_example("Cancel it now", 1), _example("...", 2)]) == []


def test_leak_problems_locate_the_eval_line_and_name_the_train_line():
    leaks = find_leaks([_example("Hi", 4)], [_example("hi!", 9)])
    [problem] = leak_problems(leaks, "eval.jsonl", "train.jsonl")
    assert (problem.file, problem.line, problem.field) == ("eval.jsonl", 4, "messages")
    assert "train.jsonl:9" in problem.message and problem.fix
