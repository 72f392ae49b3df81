"""Check a scenario and all of its data before anything runs; report every problem at once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click
import yaml

from advisor.scenario.file import load_scenario, load_yaml
from advisor.scenario.metrics import BY_NAME
from advisor.scenario.schema import Candidate, Scenario
from advisor.scenario.sources import source_warnings
from evals.backends.endpoint import EndpointBackend
from evals.backends.function import resolve_target
from evals.backends.spec import ModelSpec
from evals.data import (
    find_leaks,
    find_near_duplicates,
    json_answer_problems,
    leak_problems,
    load_schema,
    near_duplicate_problems,
    read_jsonl,
)
from evals.errors import InputError, Problem
from evals.example import Example
from evals.kinds import KNOWLEDGE_SUFFIXES, knowledge_files

PATH_FIX = "check the path (relative paths resolve against the scenario's folder)"


@dataclass
class ScenarioCheck:
    """A scenario whose data passed: the loaded sets and the warnings worth showing."""

    scenario: Scenario
    eval: list[Example]
    train: list[Example] = field(default_factory=list)
    knowledge_docs: int = 0
    warnings: list[Problem] = field(default_factory=list)
    leaks: int = 0
    unlabeled: list[Example] = field(default_factory=list)
    """data.unlabeled: inputs for a distillation teacher, each with a placeholder answer."""
    update: list[Example] = field(default_factory=list)
    """data.knowledge_update.eval: the questions asked again after the knowledge changed."""

    @property
    def summary(self) -> str:
        """E.g. '120 eval, 300 train, 12 knowledge docs; 2 leakage warnings'."""
        parts = [f"{len(self.eval)} eval"]
        if self.scenario.data.train is not None:
            parts.append(f"{len(self.train)} train")
        if self.scenario.data.knowledge is not None:
            parts.append(f"{self.knowledge_docs} knowledge docs")
        if self.scenario.data.knowledge_update is not None:
            parts.append(f"{len(self.update)} asked again after the knowledge update")
        others = len(self.warnings) - self.leaks
        notes = [_count(self.leaks, "leakage warning"), _count(others, "other warning")]
        notes = [note for note in notes if note]
        return ", ".join(parts) + ("; " + ", ".join(notes) if notes else "")


def check_scenario_file(path: str | Path) -> str:
    """Validate a scenario and its data; print warnings to stderr and return a one-line summary."""
    check = check_scenario(path)
    for warning in check.warnings:
        click.echo(f"warning: {warning}", err=True)
    return check.summary


def check_scenario(path: str | Path) -> ScenarioCheck:
    """Load a scenario and validate all of its data; one InputError carries every problem found."""
    path = Path(path)
    try:
        scenario = load_scenario(path)
    except InputError as exc:  # still check the data files it names, so that all problems show at once
        raise InputError(exc.problems + _load_data(path, _raw_data_paths(path))[1], title=exc.title) from None
    data = scenario.data
    update = data.knowledge_update
    sets, problems = _load_data(
        path,
        {
            "eval": data.eval,
            "train": data.train,
            "knowledge": data.knowledge,
            "unlabeled": data.unlabeled,
            "knowledge_update.knowledge": update.knowledge if update else None,
            "knowledge_update.eval": update.eval if update else None,
        },
    )
    eval_set, train, updated = sets.get("eval", []), sets.get("train", []), sets.get("knowledge_update.eval", [])
    problems += _label_problems(scenario, eval_set, data.eval) + _label_problems(scenario, train, data.train)
    problems += _label_problems(scenario, updated, update.eval) if update else []
    problems += _grader_problems(path, scenario, eval_set) + _forgetting_task_problems(path, scenario) + _model_problems(path, scenario)
    problems += _custom_problems(path, scenario)
    if problems:
        raise InputError(problems, title=f"Invalid data for {path}")
    leaks = leak_problems(find_leaks(eval_set, train), data.eval, data.train) if train and data.train else []
    leaks += near_duplicate_problems(find_near_duplicates(eval_set, train), data.eval, data.train) if train and data.train else []
    warnings = leaks + _unseen_labels(scenario, eval_set, train, data.eval) + source_warnings(eval_set, data.knowledge, data.eval)
    warnings += _update_warnings(path, scenario, eval_set, updated) + _unstreamed_targets(path, scenario)
    return ScenarioCheck(scenario, eval_set, train, _count_docs(data.knowledge), warnings, len(leaks), sets.get("unlabeled", []), updated)


def _load_data(path: Path, paths: Mapping[str, Path | None]) -> tuple[dict[str, list[Example]], list[Problem]]:
    """The valid examples of each set; missing files are located in the scenario, bad lines in the files."""
    sets, problems = {}, []
    for key, target in paths.items():
        if target is None:
            continue
        where: dict[str, Any] = dict(file=path, line=_key_line(path, "data", *key.split(".")), field=f"data.{key}")
        if key.endswith("knowledge"):
            if not target.is_dir():
                problems.append(Problem(f"knowledge folder {target} not found", fix=PATH_FIX, **where))
            elif not _count_docs(target):
                problems.append(
                    Problem(f"knowledge folder {target} holds no {', '.join(KNOWLEDGE_SUFFIXES)} files", fix="add documents", **where)
                )
            else:
                problems += _knowledge_problems(target)
        elif not target.is_file():
            problems.append(Problem(f"{key} file {target} not found", fix=PATH_FIX, **where))
        else:
            sets[key], found = read_jsonl(target, name=f"{key} set", inputs=key == "unlabeled")
            problems += found
    return sets, problems


def _update_warnings(path: Path, scenario: Scenario, eval_set: list[Example], updated: list[Example]) -> list[Problem]:
    """The update's questions should carry the ids of the eval questions they update, so before and after pair up;
    and name their source in the changed knowledge, as the eval's do in the knowledge before."""
    update = scenario.data.knowledge_update
    if update is None or not updated:
        return []
    before = {ex.key for ex in eval_set}
    paired = sum(ex.key in before for ex in updated)
    warnings = source_warnings(updated, update.knowledge, update.eval)
    if paired == len(updated):
        return warnings
    message = (
        f"none of the {len(updated)} update questions has the id of an eval question, so no rung's change can be paired"
        if not paired
        else f"{len(updated) - paired} of {len(updated)} update questions have no id in data.eval and are left out of the paired change"
    )
    fix = "give each update question the id of the eval question it asks again (its answer after the change)"
    line = _key_line(path, "data", "knowledge_update", "eval")
    return [*warnings, Problem(message, fix=fix, file=path, line=line, field="data.knowledge_update.eval")]


def _unstreamed_targets(path: Path, scenario: Scenario) -> list[Problem]:
    """A target only a streamed call measures (the time to the first token), set for a local model that cannot stream."""
    local = [c.model for c in scenario.candidates if c.spec.is_local]
    return [
        Problem(
            f"{t.metric} is measured on streamed calls to a server; {', '.join(local)} is called in this process and will fail it",
            fix="serve the model (`advisor serve --model ...`) and name it openai:http://127.0.0.1:8000/v1#MODEL, or drop the target",
            file=path,
            line=_key_line(path, "targets", str(i)),
            field=f"targets.{i}",
        )
        for i, t in enumerate(scenario.targets)
        if local and BY_NAME[t.metric].needs == "streaming"
    ]


def _knowledge_problems(folder: Path) -> list[Problem]:
    """Documents the RAG rung could not read (binary, not UTF-8, malformed JSONL), found before any model call."""
    from evals.strategies import knowledge_problems

    return knowledge_problems(folder)


def _model_problems(path: Path, scenario: Scenario) -> list[Problem]:
    """What the run would refuse about its models: a missing key, max_tokens beyond the context, a rung a model cannot climb."""
    from evals.backends.spec import ModelSpec, key_env

    problems = []
    models = [
        (_candidate_field(scenario, i), c.model, (c.model_options or scenario.model_options).api_key_env)
        for i, c in enumerate(scenario.candidates)
    ]
    if scenario.grader.judge is not None:
        models.append(("grader.judge.model", scenario.grader.judge.model, None))
    if scenario.ladder.distill is not None:
        teacher = scenario.ladder.distill.teacher_candidate(scenario)
        models.append(("ladder.distill.teacher", teacher.model, (teacher.model_options or scenario.model_options).api_key_env))
    for field_, model, named in models:
        spec = ModelSpec.parse(model)
        env = key_env(spec, named)
        if env and not os.environ.get(env):
            problems.append(
                Problem(
                    f"{model} needs an API key in ${env}, which is not set",
                    field=field_,
                    file=path,
                    line=_key_line(path, *field_.split(".")),
                    fix=f"export {env}=... before the run (or use a local model)",
                )
            )
    for i, candidate in enumerate(scenario.candidates):
        problems += _context_problems(path, scenario, candidate.spec, _candidate_field(scenario, i))
        problems += _rung_problems(path, scenario, candidate, i)
    return problems


def _candidate_field(scenario: Scenario, i: int) -> str:
    return "model" if scenario.models is None else f"models.{i}.model"


MAX_TOKENS_BOUND = 1_000_000
"""The most generation.max_tokens may ask of a model whose context is not known here (an openai: one): no model answers at such length."""


def _context_problems(path: Path, scenario: Scenario, spec: ModelSpec, field_: str) -> list[Problem]:
    from evals.models import context_length

    max_tokens = scenario.generation.max_tokens
    context = context_length(str(spec.name)) if spec.is_local and max_tokens else None
    if max_tokens is None or max_tokens < (context or MAX_TOKENS_BOUND + 1):
        return []
    if context is not None:
        message = f"generation.max_tokens {max_tokens} is not below the context of {spec} ({context} tokens)"
        fix = f"lower it well below {context} (the prompt needs room too)"
    else:
        message = (
            f"generation.max_tokens {max_tokens:,} is more than any model writes in one answer (the bound is {MAX_TOKENS_BOUND:,}"
            f" where the context of {spec} is not known)"
        )
        fix = "lower it to the longest answer the task needs: a label takes a few tokens, a paragraph a few hundred"
    return [Problem(message, fix=fix, file=path, line=_key_line(path, "generation", "max_tokens"), field="generation.max_tokens")]


def _rung_problems(path: Path, scenario: Scenario, candidate: Candidate, i: int) -> list[Problem]:
    """A candidate's own rung list may name only rungs its backend can climb and the ladder has on."""
    finetune, problems = scenario.ladder.finetune, []
    where: dict[str, Any] = dict(file=path, line=_key_line(path, "models", str(i), "rungs"), field=f"models.{i}.rungs")
    for rung in candidate.rungs or []:
        if getattr(scenario.ladder, rung) is None:
            problems.append(
                Problem(
                    f"{candidate.model} lists rung '{rung}', which ladder.{rung} turns off",
                    fix=f"drop '{rung}' from its rungs or turn ladder.{rung} on",
                    **where,
                )
            )
        elif rung == "distill" and not candidate.spec.is_local:
            problems.append(
                Problem(
                    f"{candidate.model} lists rung 'distill', but distillation trains local weights",
                    fix="list 'distill' on a local: model",
                    **where,
                )
            )
        elif rung == "finetune" and finetune is not None and (finetune.method == "openai") == candidate.spec.is_local:
            needs = "an openai: model (method: openai)" if finetune.method == "openai" else "local weights (local: model)"
            problems.append(
                Problem(
                    f"{candidate.model} lists rung 'finetune', but ladder.finetune.method {finetune.method} needs {needs}",
                    fix="drop 'finetune' from its rungs (a hosted chat model climbs only the prompting rungs)",
                    **where,
                )
            )
    return problems


def _custom_problems(path: Path, scenario: Scenario) -> list[Problem]:
    """Your own systems (`ladder.custom`) must be reachable before anything runs: the function importable and
    callable, the endpoint's url, body and headers (with their environment variables) well formed."""
    problems: list[Problem] = []
    for i, custom in enumerate(scenario.ladder.custom):
        key = "python" if custom.python is not None else "http"
        line = _key_line(path, "ladder", "custom", str(i), key)
        try:
            if custom.python is not None:
                resolve_target(custom.python, path.parent.resolve())
            elif custom.http is not None:
                EndpointBackend(custom.http.url, custom.http.body, custom.http.output, headers=custom.http.headers)
        except InputError as exc:
            field_ = f"ladder.custom.{i}.{key}"
            problems += [replace(p, file=path, line=line, field=f"{field_}.{p.field}" if p.field else field_) for p in exc.problems]
    return problems


def _label_problems(scenario: Scenario, examples: list[Example], file: Path | None) -> list[Problem]:
    labels = scenario.task.labels
    if scenario.task.kind != "classification" or not labels:
        return []
    return [
        Problem(
            f"answer '{answer}' is not one of task.labels",
            fix=f"use one of: {', '.join(labels)}; or add it to task.labels",
            file=file,
            line=ex.line,
            field=_answer_field(ex),
        )
        for ex in examples
        for answer in ex.answers
        if answer.strip() not in labels
    ]


def _unseen_labels(scenario: Scenario, eval_set: list[Example], train: list[Example], file: Path) -> list[Problem]:
    """Eval labels that train never shows: few-shot and fine-tuning cannot learn them."""
    if scenario.task.kind != "classification" or scenario.task.labels or not train:
        return []
    known = {ex.expected.strip() for ex in train}
    return [
        Problem(
            f"label '{ex.expected.strip()}' never appears in train",
            fix="add train examples of it",
            file=file,
            line=ex.line,
            field=_answer_field(ex),
        )
        for ex in eval_set
        if ex.expected.strip() not in known
    ]


def _grader_problems(path: Path, scenario: Scenario, eval_set: list[Example]) -> list[Problem]:
    """A json grader needs a valid JSON Schema file (when given) and JSON expected answers."""
    grader, schema, problems = scenario.grader, None, []
    if grader.kind != "json":
        return []
    where: dict[str, Any] = dict(file=path, line=_key_line(path, "grader", "schema"), field="grader.schema")
    if grader.schema_ is not None and not grader.schema_.is_file():
        problems.append(Problem(f"schema file {grader.schema_} not found", fix=PATH_FIX, **where))
    elif grader.schema_ is not None:
        schema, found = load_schema(grader.schema_)
        # A schema that parses but is wrong has no line of its own: point at the scenario line naming it.
        problems = [p if p.line else replace(p, **where) for p in found]
    return problems + json_answer_problems(eval_set, scenario.data.eval, schema)


def _forgetting_task_problems(path: Path, scenario: Scenario) -> list[Problem]:
    """Extra canary task files must exist and read as chat JSONL before any training starts."""
    finetune = scenario.ladder.finetune
    problems: list[Problem] = []
    for i, task in enumerate(finetune.forgetting_tasks if finetune else []):
        line = _key_line(path, "ladder", "finetune", "forgetting_tasks")
        if not task.is_file():
            problems.append(
                Problem(
                    f"forgetting task file {task} not found",
                    fix=PATH_FIX,
                    file=path,
                    line=line,
                    field=f"ladder.finetune.forgetting_tasks.{i}",
                )
            )
        else:
            problems += read_jsonl(task, name="forgetting task")[1]
    return problems


def _answer_field(ex: Example) -> str:
    return f"messages[{len(ex.messages) - 1}].content"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}" if n else ""


def _count_docs(folder: Path | None) -> int:
    return len(knowledge_files(folder)) if folder is not None else 0


def _raw_data_paths(path: Path) -> dict[str, Path]:
    """The data paths of a scenario that failed its schema, when its YAML still reads."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))[1]
    except (OSError, ValueError, RecursionError, yaml.YAMLError):  # ValueError: not UTF-8
        return {}
    data = data.get("data") if isinstance(data, dict) else None
    if not isinstance(data, dict):
        return {}
    return {
        k: (path.parent / v).resolve() for k, v in data.items() if k in ("eval", "train", "knowledge", "unlabeled") and isinstance(v, str)
    }


def _key_line(path: Path, *keys: str) -> int | None:
    """The 1-based line of a nested key in a YAML file (None when it cannot be found)."""
    try:
        node = load_yaml(path.read_text(encoding="utf-8"))[0]
    except (OSError, ValueError, RecursionError, yaml.YAMLError):  # ValueError: not UTF-8
        return None
    line = None
    for key in keys:
        if isinstance(node, yaml.SequenceNode) and key.isdigit():  # a list item: models.1.rungs
            node = node.value[int(key)] if int(key) < len(node.value) else None
        elif isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
        else:
            return line
        if node is None:
            return line
        line = node.start_mark.line + 1
    return line
