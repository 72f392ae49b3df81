"""The lm-eval bridge on the embedded SmolLM2: same scores as the harness, YAML export, forgetting check, lazy import."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from advisor.record.run import Forgetting
from evals.backends.base import GenerationParams
from evals.data import load_jsonl
from evals.errors import InputError
from evals.lmeval import CANARY_DIR, compare_scores, evaluate_tasks, export_task, forgetting_check, generation_task, grading_of

GEOGRAPHY = "You answer geography questions in one short sentence."
# (system prompt or None, question, answer): the base model gets some of these right and some wrong.
QUIZ = [
    (None, "What is the capital of France?", "Paris"),
    (None, "What is the capital of Portugal?", "Lisbon"),
    (GEOGRAPHY, "What is the capital of Japan?", "Tokyo"),
    (GEOGRAPHY, "What is the capital of Spain?", "Madrid"),
    (None, "Which planet is closest to the Sun?", "Mercury"),
    (None, "What is the chemical symbol for water?", "H2O"),
    (GEOGRAPHY, "On which continent is Kenya?", "Africa"),
    (None, "What is the freezing point of water in Celsius?", "0"),
    (None, "What color are bananas when they are ripe?", "yellow"),
    (GEOGRAPHY, "What is the capital of Italy?", "Rome"),
    (None, "What language is spoken in Brazil?", "Portuguese"),
    (GEOGRAPHY, "In which city is the Colosseum?", "Rome"),
]
PARAMS = GenerationParams(max_tokens=12, stop=(".",))


def write_chat(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def quiz(tmp_path_factory):
    rows = []
    for i, (system, question, answer) in enumerate(QUIZ):
        turns = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": question}]
        rows.append({"id": f"q{i}", "messages": [*turns, {"role": "assistant", "content": answer}]})
    return load_jsonl(write_chat(tmp_path_factory.mktemp("quiz") / "quiz.jsonl", rows))


@pytest.fixture(scope="module")
def exported(quiz, tmp_path_factory):
    """The quiz as a YAML task folder (task quiz_yaml) and as a dict config (task quiz), run by lm-eval in one call."""
    folder = tmp_path_factory.mktemp("tasks")
    grading = grading_of("contains")
    yaml_path = export_task(quiz, "quiz_yaml", grading, folder, PARAMS)
    config = generation_task(quiz, "quiz", grading, folder, PARAMS)
    results = evaluate_tasks([config, "quiz_yaml"], include_path=folder)
    return yaml_path, results


@pytest.fixture(scope="module")
def harness_rows(quiz, embedded_model):
    from evals.backends.local import LocalBackend
    from evals.example import to_dicts
    from evals.graders import make_grader
    from evals.runner import Runner

    runner = Runner(LocalBackend("smollm2-135m"), make_grader("contains"), params=PARAMS)
    return runner.run_sync([(ex, to_dicts(ex.prompt)) for ex in quiz], rung="zero_shot")


def test_lm_eval_scores_equal_the_harness_item_by_item(exported, harness_rows):
    _, results = exported
    for result in results.values():
        assert result.ids == list(harness_rows["id"])
        assert result.outputs == list(harness_rows["output"])
        assert result.scores == list(harness_rows["score"])
        assert result.format_valid == list(harness_rows["format_valid"])
        assert result.metrics["accuracy"] == pytest.approx(harness_rows["score"].mean())
    assert 0 < harness_rows["score"].sum() < len(QUIZ)  # a set the model half gets: agreement means something


def test_yaml_export_has_absolute_paths_and_loads_without_builtin_tasks(exported):
    from lm_eval.tasks import TaskManager

    yaml_path, results = exported
    text = yaml_path.read_text(encoding="utf-8")
    assert "process_results: !function quiz_yaml_hooks.process_results" in text
    data = Path(text.split("test: ", 1)[1].split("\n", 1)[0].strip("'\""))
    assert data.is_absolute() and data.is_file()
    manager = TaskManager(include_path=str(yaml_path.parent), include_defaults=False)
    assert set(manager.all_tasks) == {"quiz_yaml"}
    task = manager.load(["quiz_yaml"])["tasks"]["quiz_yaml"]
    assert task.config.generation_kwargs["max_gen_toks"] == PARAMS.max_tokens
    assert task.config.generation_kwargs["until"] == list(PARAMS.stop)
    assert callable(task.config.process_results)
    assert set(results["quiz_yaml"].metrics) == {"accuracy", "format_valid"}


def test_inputs_the_bridge_cannot_take_are_input_errors(quiz, tmp_path):
    multi_turn = quiz[0].model_copy(update={"messages": [*quiz[0].messages, *quiz[1].messages]})
    with pytest.raises(InputError, match="prompt's turns"):
        generation_task([multi_turn], "multi", grading_of("contains"), tmp_path)
    with pytest.raises(InputError, match="judge"):
        grading_of("judge")
    with pytest.raises(InputError, match="task name"):
        generation_task(quiz, "has.dot", grading_of("contains"), tmp_path)
    with pytest.raises(InputError, match="not a peft adapter folder"):
        forgetting_check("smollm2-135m", tmp_path)


@pytest.fixture(scope="module")
def adapters(embedded_model, tmp_path_factory):
    """Two LoRA adapters: B matrices zero (peft's default init: the base model's outputs exactly) and random (a wreck)."""
    import torch
    from peft import LoraConfig, get_peft_model

    from evals.models import load_model

    made = {}
    for name, init in (("zero", True), ("random", False)):
        tokenizer, model = load_model(embedded_model)
        torch.manual_seed(0)
        folder = tmp_path_factory.mktemp(f"adapter-{name}")
        with warnings.catch_warnings():  # peft calls a transformers API deprecated in v5
            warnings.simplefilter("ignore", FutureWarning)
            peft_model = get_peft_model(model, LoraConfig(r=2, target_modules=["q_proj", "v_proj"], init_lora_weights=init))
            peft_model.save_pretrained(folder)
        made[name] = (folder, peft_model, tokenizer)
    return made


@pytest.fixture
def small_canary(tmp_path):
    """The first four items of each shipped canary task, to keep the test short."""
    folder = tmp_path / "canary"
    folder.mkdir()
    for path in sorted(CANARY_DIR.glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()[:4]
        (folder / path.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_zero_adapter_forgets_nothing_random_one_is_flagged_and_the_base_runs_once(adapters, small_canary, run_cache, monkeypatch):
    import evals.lmeval._forgetting as forgetting

    runs = []
    monkeypatch.setattr(forgetting, "evaluate_tasks", lambda *a, **k: runs.append(a) or evaluate_tasks(*a, **k))
    folder, peft_model, tokenizer = adapters["zero"]
    from_folder = Forgetting.model_validate(forgetting_check("smollm2-135m", folder, canary=small_canary))
    assert len(runs) == 2 and len(list((run_cache / "canary").glob("base-*.json"))) == 1
    in_memory = forgetting_check("smollm2-135m", peft_model=peft_model, tokenizer=tokenizer, canary=small_canary)
    in_memory = Forgetting.model_validate(in_memory)
    assert len(runs) == 3  # the base came from the cache
    for report in (from_folder, in_memory):
        assert report.change.value == report.change.lower == report.change.upper == 0.0
        assert not report.flagged
        assert report.adapter.value == report.base.value > 0.5
        assert set(report.tasks) == {"canary_facts", "canary_instructions", "canary_knowledge"}
        assert all(t["n"] == 4 and t["base"] == t["adapter"] for t in report.tasks.values())
    wrecked = Forgetting.model_validate(forgetting_check("smollm2-135m", adapters["random"][0], canary=small_canary))
    assert wrecked.flagged and wrecked.change.upper < 0 and wrecked.base == from_folder.base


def test_a_loss_beyond_the_threshold_is_flagged():
    base = {"t": {"ids": [str(i) for i in range(20)], "scores": [1.0] * 20}}
    worse = {"t": {"ids": base["t"]["ids"], "scores": [1.0] * 18 + [0.0] * 2}}
    small = Forgetting.model_validate(compare_scores(base, worse, threshold=0.15))
    large = Forgetting.model_validate(compare_scores(base, worse, threshold=0.05))
    assert small.change.value == pytest.approx(-0.1) and not small.flagged
    assert large.flagged and large.change.lower < -0.1 < large.change.upper <= 0.0
    assert large.base.value == 1.0 and large.tasks["t"] == {"base": 1.0, "adapter": 0.9, "n": 20}


def test_importing_the_bridge_loads_neither_torch_nor_lm_eval():
    code = "import sys, evals.lmeval; print(sorted(m for m in ('torch', 'lm_eval', 'transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_the_base_model_gets_every_shipped_canary_item_right(embedded_model, tmp_path):
    from evals.lmeval import canary_tasks

    results = evaluate_tasks(canary_tasks(docs_dir=tmp_path))
    assert {name: r.metrics["accuracy"] for name, r in results.items()} == dict.fromkeys(results, 1.0)
    assert 40 <= sum(len(r.ids) for r in results.values()) <= 80
