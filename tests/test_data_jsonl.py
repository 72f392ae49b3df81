"""Chat JSONL validation: each bad-input fixture yields its one located problem; good files load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.data import load_jsonl, read_jsonl, validate_jsonl
from evals.errors import InputError

BAD = Path(__file__).parent / "fixtures" / "bad_data"

# fixture file -> (line, field, words the message must contain)
CASES = {
    "not_json.jsonl": (2, None, "not valid JSON"),
    "not_object.jsonl": (2, None, "must be a JSON object"),
    "missing_messages.jsonl": (2, "messages", "missing 'messages'"),
    "unknown_key.jsonl": (2, "mesages", "unknown key 'mesages'"),
    "id_not_string.jsonl": (2, "id", "'id' must be a string"),
    "meta_not_object.jsonl": (2, "meta", "'meta' must be an object"),
    "bad_role.jsonl": (2, "messages[1].role", "unknown role 'bot'"),
    "system_not_first.jsonl": (2, "messages[1].role", "system message may only come first"),
    "no_user_turn.jsonl": (2, "messages", "no user turn"),
    "not_alternating.jsonl": (2, "messages[2].role", "expected a user turn, got assistant"),
    "last_not_assistant.jsonl": (2, "messages[2].role", "last message must be the assistant's answer"),
    "empty_content.jsonl": (2, "messages[1].content", "content is empty"),
    "content_not_string.jsonl": (2, "messages[1].content", "content must be a string"),
    "duplicate_example.jsonl": (3, "messages", "duplicate of line 1"),
    "duplicate_id.jsonl": (2, "id", "id 'a1' is already used on line 1"),
    "not_utf8.jsonl": (2, None, "not UTF-8"),
    "empty_file.jsonl": (None, None, "data set has 0 rows"),
}


def test_every_bad_data_fixture_has_a_case():
    assert sorted(p.name for p in BAD.glob("*.jsonl")) == sorted([*CASES, "six_defects.jsonl"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_defect_is_one_located_problem_with_a_fix(name):
    line, field, words = CASES[name]
    problems = validate_jsonl(BAD / name)
    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    assert (problem.line, problem.field, Path(problem.file).name) == (line, field, name)
    assert words in problem.message
    assert problem.fix
    assert f"{name}:{line}" in str(problem) if line else name in str(problem)


def test_six_defects_give_six_problems_with_their_lines():
    problems = validate_jsonl(BAD / "six_defects.jsonl")
    assert [(p.line, p.field) for p in problems] == [
        (2, None),  # not valid JSON
        (3, "metadata"),  # unknown key
        (4, "messages[1].role"),  # unknown role 'agent'
        (6, "messages[0].content"),  # empty content (line 5 is blank and skipped)
        (7, "messages[2].role"),  # conversation ends on a user turn
        (8, "id"),  # id 'r1' used again
    ]
    assert "did you mean 'meta'" in problems[1].fix
    assert "line 1" in problems[5].message


def test_load_raises_one_input_error_with_every_problem_and_keeps_valid_lines_in_read():
    with pytest.raises(InputError) as caught:
        load_jsonl(BAD / "six_defects.jsonl")
    assert len(caught.value.problems) == 6
    examples, problems = read_jsonl(BAD / "six_defects.jsonl")
    assert [ex.line for ex in examples] == [1, 8, 9]  # lines that parse, the reused id among them


def test_valid_file_loads_with_lines_ids_meta_and_skips_blank_lines(tmp_path):
    path = tmp_path / "eval.jsonl"
    rows = [
        {
            "messages": [
                {"role": "system", "content": "Classify."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "greet"},
            ],
            "id": "a",
        },
        {
            "messages": [{"role": "user", "content": "Bye"}, {"role": "assistant", "content": "leave"}],
            "meta": {"answers": ["leave", "exit"]},
        },
    ]
    path.write_text("\ufeff" + json.dumps(rows[0]) + "\n\n  \n" + json.dumps(rows[1]) + "\n", encoding="utf-8")
    examples = load_jsonl(path)
    assert [(ex.line, ex.id, ex.expected) for ex in examples] == [(1, "a", "greet"), (4, None, "leave")]
    assert examples[0].system == "Classify."
    assert examples[1].answers == ["leave", "exit"]


def test_missing_file_is_a_problem_not_a_crash(tmp_path):
    problems = validate_jsonl(tmp_path / "nope.jsonl")
    assert len(problems) == 1 and "not found" in problems[0].message


def test_the_zero_rows_message_names_the_set(tmp_path):
    path = tmp_path / "eval.jsonl"
    path.write_text("\n", encoding="utf-8")
    _, problems = read_jsonl(path, name="eval set")
    assert problems[0].message == "eval set has 0 rows"


class WordTokenizer:
    """A test tokenizer: one token per whitespace-separated word, plus two per message for its markers."""

    chat_template = "words"

    def apply_chat_template(self, messages, tokenize=True):
        return {"input_ids": [0] * sum(len(m["content"].split()) + 2 for m in messages)}


def test_examples_over_the_context_are_flagged_only_with_a_tokenizer(tmp_path):
    path = tmp_path / "long.jsonl"
    short = {"messages": [{"role": "user", "content": "one two"}, {"role": "assistant", "content": "three"}]}
    long = {"messages": [{"role": "user", "content": " ".join(["word"] * 20)}, {"role": "assistant", "content": "done"}]}
    path.write_text(json.dumps(short) + "\n" + json.dumps(long) + "\n", encoding="utf-8")
    problems = validate_jsonl(path, tokenizer=WordTokenizer(), max_tokens=10)
    assert [(p.line, p.field) for p in problems] == [(2, "messages")]
    assert "25 tokens" in problems[0].message and "10" in problems[0].message
    assert validate_jsonl(path, max_tokens=10) == []  # no tokenizer: the check is skipped


def test_the_embedded_models_chat_template_counts_tokens(embedded_model):
    from evals.data import count_tokens, load_tokenizer
    from evals.example import Message

    tokenizer, context = load_tokenizer("local:smollm2-135m")
    messages = [Message(role="user", content="hi there"), Message(role="assistant", content="yo")]
    # ChatML with the template's default system message: more tokens than the words themselves.
    assert count_tokens(messages, tokenizer) > 10
    assert context == 8192
