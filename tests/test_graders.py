"""Graders score outputs against any accepted answer; summaries turn scores into intervals."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from evals.backends.base import Completion, GenerationParams
from evals.errors import InputError
from evals.example import Example
from evals.graders import (
    INVALID,
    Score,
    check_answers,
    confusion,
    contains,
    error_score,
    exact,
    grade,
    judge_messages,
    macro_f1,
    make_grader,
    match_label,
    normalize,
    normalized,
    parse_output,
    parse_verdict,
    rate,
    summarize,
)
from evals.stats import wilson


def example(answer: str, *, answers: list[str] | None = None, question: str = "Q?", line: int = 1) -> Example:
    meta = {"answers": answers} if answers else {}
    messages = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return Example(messages=messages, meta=meta, line=line)


# --- text graders ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("The Eiffel Tower!", "eiffel tower"),
        ("  an   Apple, a day ", "apple day"),
        ("“Paris.”", "paris"),
        ("theater", "theater"),  # articles only as whole words
        ("A-B c", "ab c"),
    ],
)
def test_normalize_follows_squad(text, expected):
    assert normalize(text) == expected


def test_exact_strips_but_keeps_case():
    assert exact("  Paris\n", example("Paris")).value == 1.0
    assert exact("paris", example("Paris")).value == 0.0
    assert exact("", example("Paris")) == Score(0.0, False, {})
    assert exact("Lyon", example("Paris")).format_valid


def test_every_grader_accepts_any_answer():
    ex = example("Paris", answers=["Paris", "City of Light"])
    assert exact("City of Light", ex).details == {"matched": "City of Light"}
    assert normalized("the city of light.", ex).value == 1.0
    assert contains("They call it the City of Light, I think", ex).value == 1.0
    assert make_grader("label", labels=["Paris", "City of Light"])("city of light", ex).value == 1.0


def test_normalized_and_contains():
    assert normalized("The answer: PARIS", example("Paris")).value == 0.0
    assert normalized("  PARIS!! ", example("the Paris")).value == 1.0
    assert contains("The answer is PARIS.", example("Paris")).value == 1.0
    assert contains("It is 42.", example("4")).value == 0.0  # whole words only
    assert contains("New York City", example("new york")).value == 1.0
    assert contains("anything at all", example("The.")).value == 0.0  # an empty answer matches nothing


def test_regex_fully_matches_the_stripped_output():
    grader = make_grader("regex", pattern=r"(?P<year>\d{4})-\d{2}-\d{2}")
    hit = grader(" 2024-05-01\n", example("ignored"))
    assert (hit.value, hit.format_valid, hit.details) == (1.0, True, {"groups": {"year": "2024"}})
    miss = grader("on 2024-05-01", example("ignored"))
    assert (miss.value, miss.format_valid) == (0.0, False)
    with pytest.raises(InputError, match="does not compile"):
        make_grader("regex", pattern="(unclosed")


# --- label ----------------------------------------------------------------------------------------

LABELS = ["billing", "refund", "technical issue"]


@pytest.mark.parametrize(
    "output,label",
    [
        ("billing", "billing"),
        ("  Billing.", "billing"),
        ('"REFUND"', "refund"),
        ("**Technical  Issue**", "technical issue"),
        ("refund\nBecause the customer asked for money back.", "refund"),
        ("I think it is billing", None),
        ("billing or refund", None),
        ("", None),
    ],
)
def test_match_label(output, label):
    assert match_label(output, LABELS) == label


def test_label_grader_scores_and_flags_unknown_labels():
    grader = make_grader("label", labels=LABELS)
    right = grader("Refund!", example("refund"))
    assert (right.value, right.format_valid, right.details) == (1.0, True, {"predicted": "refund", "expected": "refund"})
    wrong = grader("billing", example("refund"))
    assert (wrong.value, wrong.format_valid, wrong.details["predicted"]) == (0.0, True, "billing")
    chatty = grader("Sure! The category is refund.", example("refund"))
    assert (chatty.value, chatty.format_valid, chatty.details["predicted"]) == (0.0, False, None)
    # The expected answer is matched to its label too, so a differently cased reference still counts.
    assert grader("refund", example("Refund.")).value == 1.0


def test_confusion_and_macro_f1_agree_with_scikit_learn():
    from sklearn.metrics import f1_score

    expected = ["billing", "billing", "refund", "refund", "technical issue", "billing"]
    predicted = ["billing", "refund", "refund", None, "technical issue", "billing"]
    table = confusion(expected, predicted, LABELS)
    assert table["labels"] == LABELS and table["columns"] == [*LABELS, INVALID] == [*LABELS, "(invalid)"]
    assert table["matrix"] == [[2, 1, 0, 0], [0, 1, 0, 1], [0, 0, 1, 0]]
    json.dumps(table)  # it goes into the run record as is
    reference = f1_score(expected, [p or "x" for p in predicted], labels=LABELS, average="macro")
    assert macro_f1(expected, predicted, LABELS) == pytest.approx(reference)


def test_the_bootstrap_macro_f1_is_scikit_learns():
    from sklearn.metrics import f1_score

    from evals.graders._label import label_codes, macro_f1_codes

    rng = np.random.default_rng(0)
    labels = ["a", "b", "c", "d"]
    for _ in range(20):
        expected = list(rng.choice(labels[:3], 30))  # "d" is never expected: it counts only if predicted
        predicted = [None if rng.random() < 0.1 else str(rng.choice(labels)) for _ in expected]
        rows = np.column_stack(label_codes(expected, predicted, labels))
        assert macro_f1_codes(rows, len(labels) + 1) == pytest.approx(macro_f1(expected, predicted, labels))
        present = sorted(set(expected) | {p for p in predicted if p})
        reference = f1_score(expected, [p or "?" for p in predicted], labels=present, average="macro", zero_division=0)
        assert macro_f1(expected, predicted, labels) == pytest.approx(reference)


# --- json -----------------------------------------------------------------------------------------

EXPECTED = json.dumps({"name": "Ada", "age": 36, "tags": ["math"]})
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "tags": {"type": "array"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def test_parse_output_rescues_json_from_chatter():
    assert parse_output('{"a": 1}') == ({"a": 1}, True)
    assert parse_output('Sure! {"a": {"b": "}"}} hope this helps {"c": 2}') == ({"a": {"b": "}"}}, False)
    assert parse_output('```json\n{"a": 1}\n```') == ({"a": 1}, False)
    assert parse_output("Here: [1, 2] done", list) == ([1, 2], False)
    assert parse_output("{not json} nor this {") is None


def test_json_grader_compares_whole_objects_and_fields():
    grader = make_grader("json")
    ex = example(EXPECTED)
    perfect = grader('{"tags": ["math"], "age": 36.0, "name": "Ada"}', ex)
    assert (perfect.value, perfect.format_valid, perfect.details["field_score"]) == (1.0, True, 1.0)
    chatter = grader(f"Here you go: {EXPECTED} Anything else?", ex)
    assert (chatter.value, chatter.format_valid, chatter.details["extracted"]) == (1.0, False, True)
    partial = grader('{"name": "Ada", "age": 37, "tags": ["math"]}', ex)
    assert partial.value == 0.0 and partial.details["fields"] == {"name": True, "age": False, "tags": True}
    assert partial.details["field_score"] == pytest.approx(2 / 3)
    extra = grader('{"name": "Ada", "age": 36, "tags": ["math"], "x": 1}', ex)
    assert extra.value == 0.0 and extra.details["field_score"] == 1.0  # an extra key breaks equality only
    broken = grader("no json here", ex)
    assert (broken.value, broken.format_valid, broken.details["field_score"]) == (0.0, False, 0.0)
    wrong_kind = grader("36", ex)
    assert (wrong_kind.value, wrong_kind.format_valid) == (0.0, False)


def test_json_booleans_are_not_numbers():
    grader = make_grader("json")
    assert grader('{"ok": 1}', example('{"ok": true}')).value == 0.0
    assert grader('{"ok": true}', example('{"ok": true}')).value == 1.0


def test_json_grader_on_chosen_fields():
    grader = make_grader("json", fields=["name", "age"])
    score = grader('{"name": "Ada", "age": 36, "tags": [], "extra": 1}', example(EXPECTED))
    assert score.value == 1.0 and score.details["fields"] == {"name": True, "age": True}
    missing = grader('{"name": "Ada"}', example(EXPECTED))
    assert missing.value == 0.0 and missing.details["fields"]["age"] is False


def test_json_schema_violations_void_the_format_not_the_match(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(SCHEMA))
    for schema in (SCHEMA, path, str(path)):
        grader = make_grader("json", schema=schema, fields=["name"])
        ok = grader('{"name": "Ada", "age": 36}', example(EXPECTED))
        assert (ok.value, ok.format_valid, ok.details["schema_errors"]) == (1.0, True, [])
        bad = grader('{"name": "Ada", "age": "36"}', example(EXPECTED))
        assert (bad.value, bad.format_valid) == (1.0, False)
        assert "'36' is not of type 'integer'" in bad.details["schema_errors"][0]


def test_json_bad_inputs_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="cannot read the JSON Schema"):
        make_grader("json", schema=tmp_path / "missing.json")
    with pytest.raises(InputError, match="not a valid JSON Schema"):
        make_grader("json", schema={"type": "no-such-type"})
    with pytest.raises(InputError, match="expected answer is not JSON") as caught:
        make_grader("json")('{"a": 1}', example("not json", line=7))
    assert caught.value.problems[0].line == 7


def test_json_takes_the_best_of_several_answers():
    ex = example("{}", answers=['{"city": "Paris"}', '{"city": "Lyon"}'])
    assert make_grader("json")('{"city": "Lyon"}', ex).value == 1.0


# --- judge ----------------------------------------------------------------------------------------


class ScriptedBackend:
    """A backend that replies with scripted texts in order and records what it was asked."""

    spec = "scripted:judge"
    identity = {"model": "scripted"}

    def __init__(self, replies: list[str]):
        self.replies = list(replies)
        self.calls: list[tuple[list[dict], GenerationParams]] = []

    async def complete(self, messages: list[dict], params: GenerationParams) -> Completion:
        self.calls.append((messages, params))
        return Completion(self.replies.pop(0), input_tokens=50, output_tokens=2, latency_s=0.01)


@pytest.mark.parametrize(
    "reply,verdict",
    [
        ("PASS", True),
        ("fail", False),
        ("Verdict: PASS\nThe answer matches.", True),
        ("PASS or FAIL?", None),
        ("The answer is wrong.\nFAIL", False),
        ("I cannot tell.", None),
        ("PASSED", None),
    ],
)
def test_parse_verdict(reply, verdict):
    assert parse_verdict(reply) is verdict


async def test_judge_grader_asks_with_question_reference_and_output():
    backend = ScriptedBackend(["PASS", "FAIL - wrong city", "hmm, maybe"])
    grader = make_grader("judge", judge=backend, rubric="Is it the same city?")
    ex = example("Paris", question="Capital of France?")
    passed = await grade(grader, "It's Paris.", ex)
    assert (passed.value, passed.format_valid, passed.details["verdict"]) == (1.0, True, "PASS")
    assert passed.details["judge_input_tokens"] == 50
    failed = await grade(grader, "Lyon", ex)
    assert (failed.value, failed.format_valid, failed.details["verdict"]) == (0.0, True, "FAIL")
    unclear = await grade(grader, "Marseille", ex)
    assert (unclear.value, unclear.format_valid, unclear.details["verdict"]) == (0.0, False, None)
    prompt = backend.calls[0][0][-1]["content"]
    for part in ("Is it the same city?", "Capital of France?", "- Paris", "It's Paris."):
        assert part in prompt
    assert backend.calls[0][1].temperature == 0.0


async def test_grade_also_applies_sync_graders():
    assert (await grade(exact, "Paris", example("Paris"))).value == 1.0
    assert judge_messages("x", example("y"))[0]["role"] == "system"


# --- factory and checks ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind,field", [("label", "grader.labels"), ("regex", "grader.pattern"), ("judge", "grader.judge")])
def test_make_grader_names_the_missing_option(kind, field):
    with pytest.raises(InputError) as caught:
        make_grader(kind)
    assert caught.value.problems[0].field == field


def test_make_grader_rejects_unknown_kinds():
    with pytest.raises(InputError, match="unknown grader kind 'fuzzy'"):
        make_grader("fuzzy")


def test_check_answers_finds_unusable_references():
    examples = [example('{"a": 1}', line=1), example("oops", line=2), example("refund", line=3)]
    problems = check_answers("json", examples)
    assert [(p.line, "not JSON" in p.message) for p in problems] == [(2, True), (3, True)]
    problems = check_answers("label", examples[1:], labels=LABELS)
    assert [p.line for p in problems] == [2]
    assert check_answers("exact", examples) == []


# --- summaries ------------------------------------------------------------------------------------


def test_summarize_binary_scores_with_wilson_and_counts_errors():
    scores = [Score(1.0, True)] * 7 + [Score(0.0, True)] * 2 + [error_score("timeout")]
    metrics = summarize("exact", scores)
    assert set(metrics) == {"accuracy", "format_valid"}
    assert metrics["accuracy"] == wilson(7, 10)
    assert metrics["format_valid"] == wilson(9, 10)


def test_summarize_fractional_scores_by_bootstrap():
    scores = [Score(v, True) for v in np.linspace(0.2, 1.0, 30)]
    interval = summarize("judge", scores, resamples=500)["accuracy"]
    assert interval.value == pytest.approx(0.6)
    assert 0.5 < interval.lower < 0.6 < interval.upper < 0.7
    assert rate([]).lower == 0.0


def test_a_flawless_sample_never_proves_more_than_its_size_allows():
    field_scores = [Score(1.0, True, {"field_score": 1.0})] * 20
    metrics = summarize("json", field_scores, resamples=200)
    assert metrics["field_accuracy"] == wilson(20, 20)
    half = summarize("json", [Score(0.0, True, {"field_score": 0.5})] * 20, resamples=200)["field_accuracy"]
    assert half.lower < 0.5 < half.upper
    perfect = [Score(1.0, True, {"predicted": "a", "expected": "a"})] * 10 + [Score(1.0, True, {"predicted": "b", "expected": "b"})] * 10
    macro = summarize("label", perfect, resamples=200)["macro_f1"]
    assert macro.value == 1.0 and macro.lower == pytest.approx(wilson(20, 20).lower)


def test_summarize_label_adds_macro_f1_with_a_bootstrap_interval():
    rng = np.random.default_rng(1)
    expected = list(rng.choice(LABELS, 120))
    predicted = [e if rng.random() < 0.8 else str(rng.choice(LABELS)) for e in expected]
    scores = [Score(float(p == e), True, {"predicted": p, "expected": e}) for p, e in zip(predicted, expected)]
    scores[0] = error_score("backend failed")
    metrics = summarize("label", scores, labels=LABELS, expected_labels=expected, resamples=500)
    predicted[0] = None
    assert metrics["macro_f1"].value == pytest.approx(macro_f1(expected, predicted, LABELS))
    assert metrics["macro_f1"].lower < metrics["macro_f1"].value < metrics["macro_f1"].upper
    assert metrics["format_valid"] == wilson(119, 120)
    raw = [f" {e.upper()}." for e in expected]  # the reference texts as written in the data
    assert summarize("label", scores, labels=LABELS, expected_labels=raw, resamples=500) == metrics
    with pytest.raises(ValueError, match="pass expected_labels"):
        summarize("label", scores)


def test_summarize_json_reports_field_accuracy():
    grader = make_grader("json")
    outputs = ['{"a": 1, "b": 2}', '{"a": 1, "b": 3}', "nope", '{"a": 0, "b": 0}'] * 5
    scores = [grader(o, example('{"a": 1, "b": 2}')) for o in outputs] + [error_score("timeout")]
    metrics = summarize("json", scores, resamples=500)
    assert metrics["accuracy"] == wilson(5, 21)
    assert metrics["field_accuracy"].value == pytest.approx((5 * 1.0 + 5 * 0.5) / 21)
    assert metrics["format_valid"] == wilson(15, 21)


def test_importing_graders_stays_light():
    code = "import sys, evals.graders; print(sorted({'sklearn', 'scipy', 'jsonschema', 'torch'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
