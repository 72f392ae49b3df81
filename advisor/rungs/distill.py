"""The distillation rung: a stronger model (the teacher) labels inputs and the small model is fine-tuned on its labels.

The teacher first answers the eval items zero-shot and must meet every target itself; then it labels the train
inputs (their own answers are not used) and/or data.unlabeled. Each label goes through the grader's format check:
invalid ones are dropped and counted. The student trains with `ladder.finetune`'s recipe on the kept labels.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from pydantic import PrivateAttr, field_validator

from advisor.measure import events as ev
from advisor.measure.cell import Cell, Measured, RungPlan
from advisor.measure.results import rung_result
from advisor.record.run import Distillation, RungResult
from advisor.registry import Rung
from advisor.rungs.finetune.rung import train_and_evaluate, trained_plan
from advisor.scenario.schema import Candidate, Scenario, Strict, known_backend
from advisor.scenario.workspace import FINETUNE_MIN_TRAIN, Workspace, open_backend
from evals.example import Example, Message


class DistillSettings(Strict):
    """The distillation rung: a stronger model labels inputs and the small model is fine-tuned on its labels (with
    `ladder.finetune`'s recipe). The teacher must first meet the targets itself, zero-shot on eval."""

    teacher: str
    """Backend spec of the teacher, e.g. openai:gpt-4o-mini (one of `models:` or any other model)."""
    _known_backend = field_validator("teacher")(known_backend)
    inputs: Literal["train", "unlabeled", "both"] = "both"
    """What the teacher labels: the train inputs (their gold answers are not used), data.unlabeled, or both."""
    _teacher: Candidate | None = PrivateAttr(default=None)

    def teacher_candidate(self, scenario: Scenario) -> Candidate:
        """The teacher with its prices and options: as a candidate of the scenario it was set in, or with the scenario's."""
        return self._teacher or scenario.candidate(self.teacher)


@dataclass
class Teaching:
    details: Distillation
    labeled: list[Example]
    skip_reason: str | None = None
    """Set when the teacher missed its own targets: nothing is trained."""


def teacher_inputs(ws: Workspace, config: DistillSettings) -> list[Example]:
    """What the teacher labels: the train inputs and/or data.unlabeled, as the config says."""
    train = ws.train_set if config.inputs in ("train", "both") else []
    return train + (ws.unlabeled if config.inputs in ("unlabeled", "both") else [])


async def teach(ws: Workspace, out_dir: Path, concurrency: int, use_cache: bool, timeout: float | None, on_event: ev.OnEvent) -> Teaching:
    """The teacher's check on eval, then its labels for the student (or why nothing is trained)."""
    from evals.runner import Cache, Journal, Runner
    from evals.strategies import ZeroShot

    config = ws.scenario.ladder.distill
    assert config is not None  # the distill rung runs only when it is set
    teacher = config.teacher_candidate(ws.scenario)
    scenario = ws.scenario.for_candidate(teacher)
    backend = open_backend(teacher.model, scenario.model_options, concurrency=concurrency, timeout=timeout)
    runner = Runner(
        backend,
        ws.grader(),
        params=ws.params,
        concurrency=concurrency,
        cache=Cache.open_default() if use_cache else None,
        journal=Journal(out_dir / "journal.jsonl"),
    )
    prompt = ZeroShot(ws.system_prompt)
    on_event(ev.Note(f"distillation: {teacher.model} answers the {len(ws.eval_set)} eval items zero-shot first"))
    started = time.perf_counter()
    rows = await runner.run([(ex, prompt(ex).messages) for ex in ws.eval_set], rung="distill-teacher")
    check = rung_result("zero_shot", rows, scenario, ws.labels, [], time.perf_counter() - started)
    details = Distillation(teacher=teacher.model, teacher_metrics=check.metrics, teacher_meets_targets=bool(check.meets_targets))
    if not check.meets_targets:
        missed = "; ".join(f"{c.target} ({c.reason})" for c in check.checks if not c.passed)
        return Teaching(details, [], f"the teacher {teacher.model} misses its own targets zero-shot on eval: {missed}")
    inputs = teacher_inputs(ws, config)
    on_event(ev.Note(f"distillation: {teacher.model} labels {len(inputs)} inputs"))
    rows = await runner.run([(ex, prompt(ex).messages) for ex in inputs], rung="distill-labels")
    by_id = {row["id"]: row for row in rows.to_dict("records")}
    labeled = []
    for ex in inputs:
        row = by_id.get(ex.key)
        if row is None or isinstance(row["error"], str):
            details.failed += 1
        elif not row["format_valid"]:
            details.invalid += 1
        else:
            labeled.append(_with_answer(ex, _answer(row)))
    details.inputs, details.labeled = len(inputs), len(labeled)
    return Teaching(details, labeled)


def _answer(row: dict) -> str:
    """The label the grader read (the canonical label for a label grader), else the teacher's output."""
    details = row["details"] if isinstance(row["details"], dict) else {}
    return str(details.get("predicted") or row["output"]).strip()


def _with_answer(example: Example, answer: str) -> Example:
    return Example(messages=[*example.prompt, Message(role="assistant", content=answer)], id=example.id, meta=example.meta)


def student_workspace(ws: Workspace, teaching: Teaching) -> Workspace:
    """The workspace the student trains in: the teacher's labels as its train set."""
    return replace(ws, train_set=teaching.labeled)


def plan(ws: Workspace, settings: DistillSettings) -> RungPlan:
    finetune = ws.scenario.ladder.finetune
    if finetune is None or finetune.method == "openai" or not ws.scenario.model_spec.is_local:
        return RungPlan(
            "distill",
            skip_reason=f"distillation trains {ws.scenario.model} locally with ladder.finetune's recipe (method lora, qlora or full)",
        )
    inputs = teacher_inputs(ws, settings)
    if len(inputs) < FINETUNE_MIN_TRAIN:
        return RungPlan(
            "distill",
            skip_reason=f"{len(inputs)} inputs for the teacher to label; distillation needs at least {FINETUNE_MIN_TRAIN} (data.unlabeled adds more)",
        )
    return trained_plan("distill", ws, inputs, finetune, measure)


async def measure(cell: Cell, plan: RungPlan) -> Measured:
    """The teacher's check and labels, then the student trained on them with the fine-tune's recipe and measured."""
    ws, opts = cell.ws, cell.opts
    teaching = await teach(ws, opts.out_dir / "distill", opts.concurrency, opts.use_cache, opts.timeout, cell.on_event)
    if teaching.skip_reason is not None:
        return RungResult(name="distill", status="skipped", skip_reason=teaching.skip_reason, distill=teaching.details), None
    assert plan.strategy is not None and ws.scenario.ladder.finetune is not None  # the plan exists only with both
    result, rows = await train_and_evaluate(cell, plan.strategy, ws.scenario.ladder.finetune, "distill", student_workspace(ws, teaching))
    result.distill = teaching.details
    return result, rows


RUNG = Rung(
    name="distill",
    title="distillation",
    order=60,
    settings=DistillSettings,
    plan=plan,
    on=False,
    trains=True,
    color="#e45756",
)
