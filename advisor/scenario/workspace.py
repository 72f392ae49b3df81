"""The resolved scenario: data loaded and checked, grader built, generation settings fixed."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.scenario.checks import check_scenario
from advisor.scenario.schema import Grader as GraderSettings
from advisor.scenario.schema import ModelOptions, Scenario
from evals.backends.base import Backend, GenerationParams, Structure, StructureVia, answer_room
from evals.backends.spec import ModelSpec
from evals.example import Example, Message

if TYPE_CHECKING:  # the graders import numpy: only when a run grades
    from evals.graders import Grader

FINETUNE_MIN_TRAIN = 100
PROMPT_SEARCH_MIN_TRAIN = 50


@dataclass
class Workspace:
    scenario: Scenario
    scenario_path: Path | None
    eval_set: list[Example]
    train_set: list[Example]
    labels: list[str] | None
    params: GenerationParams
    warnings: list[str] = field(default_factory=list)
    """Leakage and other data warnings, shown before anything is spent."""
    limit: int | None = None
    eval_total: int = 0
    """The eval set's size before `limit` cut it."""
    dropped_leaks: list[str] = field(default_factory=list)
    """Ids of eval examples left out because train holds them or a near-duplicate (--drop-leaks)."""
    unlabeled: list[Example] = field(default_factory=list)
    """data.unlabeled: inputs a distillation teacher labels (their answers are placeholders)."""
    update_set: list[Example] = field(default_factory=list)
    """data.knowledge_update.eval: questions asked again after the knowledge changed (empty without an update)."""

    def after_update(self) -> Workspace | None:
        """This workspace the day after the knowledge changed: the update's eval against its knowledge (None without one)."""
        update = self.scenario.data.knowledge_update
        if update is None or not self.update_set:
            return None
        data = self.scenario.data.model_copy(update={"knowledge": update.knowledge, "eval": update.eval, "knowledge_update": None})
        scenario = self.scenario.model_copy(update={"data": data})
        return dataclasses.replace(self, scenario=scenario, eval_set=self.update_set, update_set=[], eval_total=len(self.update_set))

    @property
    def system_prompt(self) -> str | None:
        return self.scenario.task.system_prompt

    def grader(self) -> Grader:
        from evals.graders import make_grader

        g = self.scenario.grader
        return make_grader(
            g.kind,
            labels=self.labels,
            schema=g.schema_,
            fields=g.fields,
            pattern=g.pattern,
            judge=_judge_backend(g),
            rubric=g.judge.rubric if g.judge else None,
        )

    def hashes(self) -> dict[str, str]:
        data = self.scenario.data
        files = {"eval": data.eval, "train": data.train, "update": data.knowledge_update.eval if data.knowledge_update else None}
        return {k: _sha256(p) for k, p in files.items() if p is not None and p.is_file()}


def structure_of(scenario: Scenario, labels: list[str] | None) -> Structure | None:
    """The answer format the task implies, or None when it has none or `generation.structured` is off."""
    grader, mode = scenario.grader, scenario.generation.structured
    via: StructureVia = "vllm" if mode == "vllm" else "response_format"
    if mode == "off":
        return None
    if scenario.task.kind == "classification" and labels:
        return Structure("choice", choices=tuple(labels), via=via)
    if grader.kind == "json":
        schema = grader.schema_.read_text(encoding="utf-8") if grader.schema_ else '{"type": "object"}'
        return Structure("json", schema=schema, via=via)
    if grader.kind == "regex":
        return Structure("regex", pattern=grader.pattern, via=via)
    return None


def _as_constrained(structure: Structure, train_set: list[Example]) -> tuple[Structure, list[Example]]:
    """JSON answers are generated in the schema's property order, so the train answers that become demonstrations
    and fine-tune targets are written that way too; the bounds on strings and arrays follow their sizes."""
    from evals.backends.grammar import as_constrained, bounds_from

    schema = json.loads(structure.schema) if structure.schema else {}
    values: dict[int, Any] = {}
    for n, example in enumerate(train_set):
        with contextlib.suppress(json.JSONDecodeError):
            values[n] = json.loads(example.expected)
    if not values:
        return structure, train_set
    max_length, max_items = bounds_from(values.values())
    rewritten = [
        ex.model_copy(update={"messages": [*ex.prompt, Message(role="assistant", content=as_constrained(values[n], schema))]})
        if n in values
        else ex
        for n, ex in enumerate(train_set)
    ]
    return dataclasses.replace(structure, max_length=max_length, max_items=max_items), rewritten


def _grammar_problem(structure: Structure) -> str | None:
    from evals.backends.grammar import grammar_problem

    return grammar_problem(structure)


def _judge_backend(grader: GraderSettings) -> Backend | None:
    if grader.judge is None:
        return None
    return open_backend(grader.judge.model)


def open_backend(
    model: str, options: ModelOptions | None = None, *, concurrency: int | None = None, timeout: float | None = None
) -> Backend:
    """The backend of a model spec, with the scenario's options; --timeout and --concurrency win over them."""
    from evals.backends import get_backend

    spec = ModelSpec.parse(model)
    if spec.is_local:
        return get_backend(spec)
    options = options or ModelOptions()
    return get_backend(spec, api_key_env=options.api_key_env, timeout=timeout or options.timeout, concurrency=concurrency)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare(scenario_path: Path, limit: int | None = None, drop_leaks: bool = False) -> Workspace:
    """Load the scenario and check all its data before anything is spent; every problem is raised at once."""
    check = check_scenario(scenario_path)
    scenario, eval_set, train_set = check.scenario, check.eval, check.train
    warnings = [str(w) for w in check.warnings]
    dropped: list[str] = []
    if drop_leaks and check.leaks:
        eval_set, dropped = _without_leaks(eval_set, train_set)
        warnings = warnings[check.leaks :] + [
            f"{len(dropped)} eval examples that repeat or nearly repeat a train example "
            f"were left out (--drop-leaks): {', '.join(dropped[:5])}{' …' if len(dropped) > 5 else ''}"
        ]
    update_set = check.update
    if limit:
        eval_set = eval_set[:limit]  # the training data stays whole
        kept = {ex.key for ex in eval_set}
        update_set = [ex for ex in update_set if ex.key in kept] or update_set[:limit]
    labels = scenario.task.labels
    if scenario.task.kind == "classification" and labels is None:
        labels = sorted({ex.expected.strip() for ex in train_set + eval_set})
    auto = answer_room(ex.expected for ex in eval_set + train_set)
    structure = structure_of(scenario, labels)
    if structure is not None and (problem := _grammar_problem(structure)):
        warnings.append(f"generation is not constrained: the {structure.kind} cannot be compiled to a grammar ({problem})")
        structure = None
    if structure is not None and structure.kind == "json":
        structure, train_set = _as_constrained(structure, train_set)
    params = GenerationParams(max_tokens=scenario.generation.max_tokens or auto, stop=tuple(scenario.generation.stop), structure=structure)
    return Workspace(
        scenario,
        Path(scenario_path).resolve(),
        eval_set,
        train_set,
        labels,
        params,
        warnings,
        limit,
        eval_total=len(check.eval),
        dropped_leaks=dropped,
        unlabeled=check.unlabeled,
        update_set=update_set,
    )


def _without_leaks(eval_set: list[Example], train_set: list[Example]) -> tuple[list[Example], list[str]]:
    """The eval set less the examples that train holds exactly or nearly, and the ids left out."""
    from evals.data import find_leaks, find_near_duplicates

    leaked = {leak.eval_key for leak in find_leaks(eval_set, train_set)}
    leaked |= {pair.eval_key for pair in find_near_duplicates(eval_set, train_set)}
    return [ex for ex in eval_set if ex.key not in leaked], [ex.key for ex in eval_set if ex.key in leaked]
