"""The interview's answers as the user typed them, and the Scenario they make, each problem tied to its question."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from advisor.registry import trains, wizard_rungs
from advisor.scenario.metrics import BY_NAME, METRICS, RATE_METRICS, TARGET_METRICS
from advisor.scenario.schema import Profile, Scenario, Target
from evals.backends.spec import ModelSpec
from evals.errors import InputError

from .job import RunChoices
from .parse import PATH_KEYS, as_text, message, number, path_errors, question_of
from .places import shown

PROFILE_KEYS = ("must_change", "knowledge_changes", "needs_citations", "calls_per_day", "data_must_stay_local", "latency_budget_ms")
BLANK: dict[str, Any] = {
    "name": "",
    "description": "",
    "must_change": [],
    "knowledge_changes": "rarely",
    "needs_citations": False,
    "calls_per_day": "10000",
    "latency_budget_ms": "",
    "data_must_stay_local": False,
    "train": "",
    "eval": "",
    "knowledge": "",
    "limit": "",
    "model": "local:smollm2-135m",
    "task_kind": "classification",
    "grader": "label",
    "labels": "",
    "schema": "",
    "pattern": "",
    "system_prompt": "",
    "learning_curve": False,
    "confidence": "0.95",
    **{f"target.{m}": "" for m in TARGET_METRICS},
    "target.accuracy": "0.9",
}


def blank() -> dict[str, Any]:
    """A new interview's answers: nothing typed yet, every rung the wizard offers on."""
    return {**copy.deepcopy(BLANK), "rungs": _wizard_names()}


def _wizard_names() -> list[str]:
    return [r.name for r in wizard_rungs()]


@dataclass
class Build:
    """What the answers make: a valid Scenario, or the problem with each question that stops it."""

    scenario: Scenario | None
    errors: dict[str, str] = field(default_factory=dict)
    choices: RunChoices = RunChoices()


@dataclass
class Answers:
    """Every answer by question id; `base` keeps what the interview does not ask (pricing, rung settings)."""

    values: dict[str, Any] = field(default_factory=lambda: blank())
    base: dict = field(default_factory=dict)

    @classmethod
    def from_scenario(cls, scenario: Scenario, cwd: Path | None = None, limit: int | None = None) -> Answers:
        """Prefill every question from a loaded scenario; paths are shown relative to the working folder."""
        cwd = cwd or Path.cwd()
        s, values = scenario, blank()
        values.update(
            name=s.name,
            description=s.description,
            model=", ".join(c.model for c in s.candidates),
            task_kind=s.task.kind,
            grader=s.grader.kind,
            system_prompt=s.task.system_prompt or "",
            labels=", ".join(s.task.labels or []),
            pattern=s.grader.pattern or "",
            schema=shown(s.grader.schema_, cwd),
            confidence=f"{s.confidence:g}",
            rungs=[r.name for r in wizard_rungs() if s.ladder.settings(r.name) is not None],
            limit=str(limit) if limit else "",
        )
        values.update({k: shown(getattr(s.data, k), cwd) for k in PATH_KEYS})
        profile = s.profile.model_dump()
        values.update({k: as_text(profile[k]) for k in PROFILE_KEYS})
        values.update({f"target.{m}": "" for m in TARGET_METRICS})
        values.update({f"target.{t.metric}": f"{t.min if t.min is not None else t.max:g}" for t in s.targets})
        return cls(values, s.model_dump(mode="json", by_alias=True))

    def visible_targets(self) -> list[str]:
        """The target metrics this grader and data can measure."""
        has = {
            "knowledge": bool(str(self.values["knowledge"]).strip()),
            "training": any(trains(r) for r in self.values["rungs"]),
            "streaming": any(not spec.is_local for spec in self._specs()),
        }
        return [m.name for m in METRICS if m.grader in (None, self.values["grader"]) and (m.needs is None or has[m.needs])]

    def profile(self) -> Profile:
        """The use-case profile as far as it parses; a bad number counts as unanswered."""
        try:
            return Profile.model_validate(_profile(self.values, {}))
        except ValidationError:
            return Profile()

    def targets(self) -> list[Target]:
        """The targets that parse, for hints and the first opinion."""
        found = []
        for raw in self._targets({}):
            try:
                found.append(Target.model_validate(raw))
            except ValidationError:
                continue
        return found

    def limit(self) -> int | None:
        """How many eval examples a trial run uses (None: all)."""
        return number(self.values["limit"], int, "limit", {}, low=1)

    def confidence(self) -> float:
        value = number(self.values["confidence"], float, "confidence", {})
        return value if value is not None and 0.5 <= value < 1 else 0.95

    def build(self, cwd: Path | None = None) -> Build:
        """Parse and validate every answer at once; relative paths resolve against the working folder."""
        cwd = cwd or Path.cwd()
        errors: dict[str, str] = {}
        raw = self._raw(errors)
        limit = number(self.values["limit"], int, "limit", errors, low=1)
        errors.update(path_errors(self.values, cwd))
        try:
            for spec in self.models() or [""]:
                ModelSpec.parse(spec)
        except InputError:
            errors["model"] = "use local:NAME_OR_PATH or openai:MODEL (or openai:http://HOST:PORT/v1#MODEL), comma-separated"
        try:
            scenario = Scenario.model_validate(raw, context={"base": cwd})
        except ValidationError as exc:
            for err in exc.errors():
                errors.setdefault(question_of(err, raw["targets"]), message(err))
            scenario = None
        curve = bool(self.values["learning_curve"]) and "finetune" in self.values["rungs"]
        return Build(None if errors else scenario, errors, RunChoices(limit, curve))

    def models(self) -> list[str]:
        """The models to use, as typed: one, or several comma-separated."""
        return [m.strip() for m in str(self.values["model"]).split(",") if m.strip()]

    def _specs(self) -> list[ModelSpec]:
        """The models typed so far that parse."""
        specs = []
        for text in self.models():
            try:
                specs.append(ModelSpec.parse(text))
            except InputError:
                continue
        return specs

    def _raw(self, errors: dict[str, str]) -> dict:
        """The scenario as a dict in the file's shape, from the answers over the base."""
        v, raw = self.values, copy.deepcopy(self.base)
        raw.update(name=v["name"].strip(), description=v["description"].strip())
        models = self.models()
        raw.pop("model", None), raw.pop("models", None)
        if len(models) > 1:  # candidates: each keeps the prices and rungs the file gave it
            known = {c.get("model"): c for c in self.base.get("models") or []}
            raw["models"] = [known.get(m) or {"model": m} for m in models]
        else:
            raw["model"] = models[0] if models else ""
        labels = [x.strip() for x in v["labels"].split(",") if x.strip()]
        raw["task"] = {
            "kind": v["task_kind"],
            "system_prompt": v["system_prompt"].strip() or None,
            "labels": labels if labels and v["task_kind"] == "classification" else None,
        }
        raw["data"] = {k: str(Path(v[k].strip()).expanduser()) if v[k].strip() else None for k in PATH_KEYS}
        raw["grader"] = _grader(v, raw.get("grader") or {})
        raw["targets"] = self._targets(errors)
        raw["confidence"] = number(v["confidence"], float, "confidence", errors) or 0.95  # a bad one is reported once
        raw["profile"] = _profile(v, errors)
        ladder = raw.get("ladder") or {}
        # A distillation the scenario file set up is kept as it was: the wizard does not ask for a teacher.
        raw["ladder"] = {**ladder, **{r: (ladder.get(r) or {}) if r in v["rungs"] else None for r in _wizard_names()}}
        return raw

    def _targets(self, errors: dict[str, str]) -> list[dict]:
        targets = []
        for metric in self.visible_targets():
            bound = number(self.values[f"target.{metric}"], float, f"target.{metric}", errors, rate=metric in RATE_METRICS)
            if bound is not None:
                targets.append({"metric": metric, BY_NAME[metric].bound: bound})
        return targets


def _grader(v: dict, base: dict) -> dict:
    """The grader kind with its own options; options of another kind are dropped, not carried over."""
    kind = v["grader"]
    grader = {"kind": kind}
    if kind == "json":
        grader.update(schema=v["schema"].strip() or None, fields=base.get("fields") if base.get("kind") == "json" else None)
    if kind == "regex":
        grader["pattern"] = v["pattern"] or None
    if kind == "judge" and base.get("kind") == "judge":
        grader["judge"] = base.get("judge")
    return grader


def _profile(v: dict, errors: dict[str, str]) -> dict:
    profile = {
        "must_change": list(v["must_change"]),
        "knowledge_changes": v["knowledge_changes"],
        "needs_citations": bool(v["needs_citations"]),
        "data_must_stay_local": bool(v["data_must_stay_local"]),
        "latency_budget_ms": number(v["latency_budget_ms"], float, "latency_budget_ms", errors, low=0),
    }
    calls = number(v["calls_per_day"], int, "calls_per_day", errors, low=0)
    return profile if calls is None else {**profile, "calls_per_day": calls}  # blank: the schema's default
