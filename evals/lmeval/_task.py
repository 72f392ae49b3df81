"""An eval set as an lm-eval task: a Python config for `simple_evaluate(tasks=[...])`, or a YAML file in a folder.

Both read the documents `write_docs` puts next to them by absolute path, send each item's system and
user turns through the model's chat template (lm-eval's `apply_chat_template=True`; the system turn
travels as the task's per-document `description`), generate greedily with the harness's max tokens
and stop strings, and grade with our grader through `process_results`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from ..backends.base import GenerationParams, answer_room
from ..data import write_atomic
from ..errors import InputError, Problem
from ..example import Example
from ._docs import write_docs
from ._grading import METRICS, Grading, process_results_for

_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def default_params(examples: Sequence[Example]) -> GenerationParams:
    """The harness's default: room for the longest expected answer."""
    return GenerationParams(max_tokens=answer_room(ex.expected for ex in examples))


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        fix = "use letters, digits, '_' and '-' only (it names files and a Python module)"
        raise InputError(Problem(f"task name {name!r} cannot name an lm-eval task", fix=fix, field="name"))


def _common(name: str, docs: Path) -> dict:
    """The fields every exported task shares: where its documents are and which fields make the prompt."""
    return {
        "task": name,
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": str(docs)}},
        "test_split": "test",
        "doc_to_text": "user",
        "description": "system",  # a document field: lm-eval makes it the system turn
        "num_fewshot": 0,
        "metadata": {"version": 1.0},
    }


def generation_task(
    examples: Sequence[Example], name: str, grading: Grading, folder: str | Path, params: GenerationParams | None = None
) -> dict:
    """A generate_until task config graded by our grader; writes its documents to `folder/name.jsonl`."""
    _check_name(name)
    params = params or default_params(examples)
    docs = write_docs(examples, Path(folder) / f"{name}.jsonl")
    generation = {"until": list(params.stop), "max_gen_toks": params.max_tokens, "do_sample": False, "temperature": 0.0}
    return {
        **_common(name, docs),
        "output_type": "generate_until",
        "doc_to_target": "answer",
        "generation_kwargs": generation,
        "process_results": process_results_for(grading),
        "metric_list": [{"metric": m, "aggregation": "mean", "higher_is_better": True} for m in METRICS],
        "metadata": {"version": 1.0, "grading": grading.as_dict()},
    }


def choice_task(examples: Sequence[Example], name: str, folder: str | Path) -> dict:
    """A multiple_choice task config (lm-eval's loglikelihood `acc`) over `meta.choices`."""
    _check_name(name)
    docs = write_docs(examples, Path(folder) / f"{name}.jsonl", choices=True)
    return {
        **_common(name, docs),
        "output_type": "multiple_choice",
        "doc_to_choice": "choices",
        "doc_to_target": "target",
        "target_delimiter": "",  # the option follows the assistant header directly, as an answer would
        "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
    }


def write_yaml(config: dict, folder: str | Path) -> Path:
    """Write a task config as `folder/<task>.yaml`; a grader hook becomes `!function` in `<task>_hooks.py` beside it."""
    import yaml

    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    name = config["task"]
    plain = {k: v for k, v in config.items() if k != "process_results"}
    text = yaml.safe_dump(plain, sort_keys=False, allow_unicode=True)
    if "process_results" in config:
        write_atomic(folder / f"{name}_hooks.py", _hooks_source(config["metadata"]["grading"]))
        text += f"process_results: !function {name}_hooks.process_results\n"
    return write_atomic(folder / f"{name}.yaml", text)


def _hooks_source(grading: dict) -> str:
    return (
        '"""lm-eval hook of this task: grade each output with the evals grader it was exported with."""\n\n'
        "from evals.lmeval import process_results_for\n\n"
        f"process_results = process_results_for({grading!r})\n"
    )


def export_task(
    examples: Sequence[Example], name: str, grading: Grading, folder: str | Path, params: GenerationParams | None = None
) -> Path:
    """Write a generation task for lm-eval into `folder`: its YAML, documents and grader hook; returns the YAML path."""
    return write_yaml(generation_task(examples, name, grading, folder, params), folder)
