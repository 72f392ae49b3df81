"""The shipped scenarios load, their data is sound, and the generator rewrites it byte for byte."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from advisor.scenario.file import dump_scenario, load_scenario
from evals.example import Example

ROOT = Path(__file__).resolve().parents[1] / "scenarios"
NAMES = ["support-intents", "invoice-extraction", "product-faq", "catalogue-assistant"]
MINIMUM = {"train": 150, "eval": 100}
# catalogue-assistant's eval is asked twice (before and after its catalogue update), so it is smaller
EVAL_MINIMUM = {"catalogue-assistant": 80}
STYLE = "Tidewell answer: "  # catalogue-assistant's house style: every answer starts with it


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()


def examples(name: str, split: str) -> list[Example]:
    lines = (ROOT / name / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
    return [Example.model_validate({**json.loads(text), "line": n}) for n, text in enumerate(lines, 1)]


def test_advisor_validate_passes_every_shipped_scenario():
    command = f"{shlex.quote(sys.executable)} -m advisor validate scenarios/*.yaml"  # the shell expands the glob
    result = subprocess.run(
        command, shell=True, cwd=ROOT.parent, capture_output=True, text=True, check=False, env={**os.environ, "COLUMNS": "400"}
    )  # no wrapped summaries
    assert result.returncode == 0, result.stderr
    assert sorted(line.split(":")[0] for line in result.stdout.splitlines()) == [f"✓ scenarios/{name}.yaml" for name in sorted(NAMES)]
    # The only warnings: one near-duplicate pair each in product-faq (a false alarm: "How much" vs "How heavy is
    # the Voltpack 20?") and support-intents (the same complaint, retyped)
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warned) == 2 and all("near-duplicate of" in line for line in warned)


@pytest.mark.parametrize("name", NAMES)
def test_a_written_scenario_loads_back_the_same_rungs_left_out_included(name, tmp_path):
    scenario = load_scenario(ROOT / f"{name}.yaml")
    again = load_scenario(dump_scenario(scenario, tmp_path / "elsewhere" / "scenario.yaml"))
    assert again == scenario


@pytest.mark.parametrize("name", NAMES)
def test_scenario_loads_and_points_at_its_files(name):
    scenario = load_scenario(ROOT / f"{name}.yaml")
    assert scenario.name == name
    assert scenario.data.train.is_file() and scenario.data.eval.is_file()
    assert scenario.model == "local:smollm2-135m"
    assert scenario.generation.max_tokens is not None


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("split", ["train", "eval"])
def test_enough_examples_each_ending_with_the_answer(name, split):
    rows = examples(name, split)
    assert len(rows) >= (EVAL_MINIMUM.get(name, MINIMUM[split]) if split == "eval" else MINIMUM[split])
    assert all([m.role for m in ex.messages] == ["system", "user", "assistant"] for ex in rows)
    assert len({ex.id for ex in rows}) == len(rows)


@pytest.mark.parametrize("name", NAMES)
def test_system_messages_match_the_scenario_prompt(name):
    prompt = load_scenario(ROOT / f"{name}.yaml").task.system_prompt
    systems = {ex.system for split in ("train", "eval") for ex in examples(name, split)}
    assert systems == {prompt}


@pytest.mark.parametrize("name", NAMES)
def test_no_duplicate_user_texts_and_no_eval_text_in_train(name):
    train = [normalize(ex.user_text) for ex in examples(name, "train")]
    evals = [normalize(ex.user_text) for ex in examples(name, "eval")]
    assert len(set(train)) == len(train)
    assert len(set(evals)) == len(evals)
    assert not set(train) & set(evals)


@pytest.mark.parametrize("name", NAMES)
def test_user_texts_are_varied_not_a_few_templates(name):
    texts = [normalize(ex.user_text) for split in ("train", "eval") for ex in examples(name, split)]
    openings = Counter(" ".join(t.split(" ")[:3]) for t in texts)
    assert openings.most_common(1)[0][1] < 0.15 * len(texts)
    lengths = sorted(len(t) for t in texts)
    assert lengths[-1] > 2 * lengths[0]


def test_every_label_is_in_the_label_set_and_every_label_is_used():
    scenario = load_scenario(ROOT / "support-intents.yaml")
    for split in ("train", "eval"):
        found = [ex.expected for ex in examples("support-intents", split)]
        assert set(found) == set(scenario.task.labels)
        # balanced: no queue has more than twice the examples of another
        counts = [found.count(label) for label in scenario.task.labels]
        assert max(counts) <= 2 * min(counts)


def test_every_json_answer_validates_against_the_schema():
    scenario = load_scenario(ROOT / "invoice-extraction.yaml")
    schema = json.loads(scenario.grader.schema_.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    for split in ("train", "eval"):
        for ex in examples("invoice-extraction", split):
            answer = json.loads(ex.expected)
            assert not list(validator.iter_errors(answer)), ex.key
            assert list(answer) == scenario.grader.fields
            # every field except the normalized date and total is copied from the text
            assert answer["vendor"] in ex.user_text and answer["invoice_number"] in ex.user_text


def test_schema_rejects_a_wrong_answer():
    schema = json.loads((ROOT / "invoice-extraction" / "schema.json").read_text(encoding="utf-8"))
    bad = {"vendor": "X", "invoice_number": "1", "date": "05.03.2024", "total": "12", "currency": "CHF"}
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(bad))
    assert {e.path[0] for e in errors} == {"date", "total", "currency"}


def documents(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in folder.iterdir()}


def stated_facts(name: str, ex: Example) -> list[str]:
    """The facts an example's accepted answers state: the answers themselves, or past catalogue-assistant's house style."""
    if name != "catalogue-assistant":
        assert ex.expected in ex.answers, ex.key
        return ex.answers
    assert ex.expected == ex.answers[0] + ".", ex.key  # "Tidewell answer: $149."
    assert all(answer.startswith(STYLE) for answer in ex.answers), ex.key
    return [answer.removeprefix(STYLE) for answer in ex.answers]


@pytest.mark.parametrize(("name", "size"), [("product-faq", (12, 20)), ("catalogue-assistant", (6, 8))])
def test_every_rag_answer_occurs_in_its_source_document(name, size):
    docs = documents(load_scenario(ROOT / f"{name}.yaml").data.knowledge)
    assert size[0] <= len(docs) <= size[1]
    for split in ("train", "eval"):
        for ex in examples(name, split):
            assert ex.meta["source"] in docs, ex.key
            for fact in stated_facts(name, ex):
                assert fact in docs[ex.meta["source"]], (ex.key, fact)


def facts_asked(name: str, split: str) -> set[tuple[str, str]]:
    return {(ex.meta["source"], ex.meta["attribute"]) for ex in examples(name, split)}


def test_eval_facts_are_never_stated_in_train():
    facts = {split: facts_asked("product-faq", split) for split in ("train", "eval")}
    assert not facts["train"] & facts["eval"]
    assert len({source for source, _ in facts["eval"]}) >= 12  # eval reaches most documents


def test_catalogue_train_and_eval_ask_about_the_same_facts_in_other_words():
    # the same facts on purpose, so a fine-tune can learn them; the texts differ (test_no_duplicate_user_texts_...)
    train, evals = facts_asked("catalogue-assistant", "train"), facts_asked("catalogue-assistant", "eval")
    assert train == evals and 35 <= len(evals) <= 45


def test_catalogue_update_asks_the_moved_eval_questions_again_with_answers_only_the_new_documents_hold():
    scenario = load_scenario(ROOT / "catalogue-assistant.yaml")
    update = scenario.data.knowledge_update
    before, after = documents(scenario.data.knowledge), documents(update.knowledge)
    assert sorted(before) == sorted(after) and before != after
    asked = {ex.id: ex for ex in examples("catalogue-assistant", "eval")}
    again = examples("catalogue-assistant", "eval_v2")
    assert update.eval == ROOT / "catalogue-assistant" / "eval_v2.jsonl"
    assert 0.25 * len(asked) <= len(again) < len(asked) and len({ex.id for ex in again}) == len(again)
    for ex in again:
        old = asked[ex.id]  # every update question is an eval question, asked in the same words
        assert ex.messages[:2] == old.messages[:2] and ex.meta["source"] == old.meta["source"], ex.key
        assert ex.expected != old.expected, ex.key
        for fact in stated_facts("catalogue-assistant", ex):
            assert fact in after[ex.meta["source"]], (ex.key, fact)
            assert fact not in before[ex.meta["source"]], (ex.key, fact)
    # and only the moved ones: every eval question left out still has its answer in the new documents
    moved = {ex.id for ex in again}
    for ex in asked.values():
        if ex.id not in moved:
            assert all(fact in after[ex.meta["source"]] for fact in stated_facts("catalogue-assistant", ex)), ex.key


def run_generator(out: Path, seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": seed}  # set order must not leak into the data
    subprocess.run([sys.executable, str(ROOT / "generate.py"), "--out", str(out)], check=True, env=env, capture_output=True)


def data_files(folder: Path) -> dict[str, bytes]:
    found = {}
    for name in NAMES:
        for path in sorted((folder / name).rglob("*")):
            if path.is_file() and (path.suffix in {".jsonl"} or path.parent.name in {"kb", "kb_v2"}):
                found[str(path.relative_to(folder))] = path.read_bytes()
    return found


def test_generator_is_deterministic_and_matches_the_committed_files(tmp_path):
    run_generator(tmp_path / "a", "1")
    run_generator(tmp_path / "b", "2")
    first, second = data_files(tmp_path / "a"), data_files(tmp_path / "b")
    assert first == second
    committed = data_files(ROOT)
    assert sorted(first) == sorted(committed)
    stale = [name for name in first if first[name] != committed[name]]
    assert not stale, f"committed data differs from the generator: run `python scenarios/generate.py` ({stale})"
