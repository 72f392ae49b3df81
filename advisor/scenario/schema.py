"""The scenario file: what the user wants measured. A strict schema, paths resolved against the file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from advisor.registry import PROMPTING_RUNGS, RUNG_ORDER, RungName
from evals.backends.spec import ModelSpec
from evals.errors import InputError
from evals.kinds import GraderKind
from evals.strategies import RetrieverKind
from trainers import LoraSettings

TaskKind = Literal["classification", "extraction", "generation", "qa"]
TASK_KINDS: tuple[str, ...] = get_args(TaskKind)
Frequency = Literal["never", "rarely", "monthly", "weekly", "daily"]

RATE_METRICS = {
    "accuracy",
    "format_valid",
    "macro_f1",
    "field_accuracy",
    "recall_at_k",
    "grounded",
    "citation_precision",
    "citation_recall",
}
LATENCY_METRICS = {"p50_latency_ms", "p95_latency_ms"}
COST_METRICS = {"cost_per_1k_calls_usd"}
FORGETTING_METRICS = {"forgetting_change"}
"""Change in general ability (canary accuracy, adapter minus base; -0.05 = lost 5 points); 0 for rungs that do not train."""
GRADER_METRICS = {"label": {"macro_f1"}, "json": {"field_accuracy"}}
TARGET_METRICS: tuple[str, ...] = (
    "accuracy",
    "macro_f1",
    "field_accuracy",
    "format_valid",
    "recall_at_k",
    "grounded",
    "citation_precision",
    "citation_recall",
    "p50_latency_ms",
    "p95_latency_ms",
    "cost_per_1k_calls_usd",
    "forgetting_change",
)
"""Every metric a target can name, in the order the wizard asks for them."""
assert set(TARGET_METRICS) == RATE_METRICS | LATENCY_METRICS | COST_METRICS | FORGETTING_METRICS


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, allow_inf_nan=False)


def _resolve(value: Path | None, info: ValidationInfo) -> Path | None:
    base = (info.context or {}).get("base")
    if value is None or value.is_absolute() or base is None:
        return value
    return (Path(base) / value).resolve()


class Task(Strict):
    kind: TaskKind
    """What the model does: classification | extraction | generation | qa."""
    system_prompt: str | None = None
    """Instructions sent as the system message; optional when the data's own system messages carry them."""
    labels: list[str] | None = None
    """Classification only: the allowed labels (inferred from the train set when omitted)."""

    @model_validator(mode="after")
    def _labels_only_for_classification(self) -> Task:
        if self.labels is not None and self.kind != "classification":
            raise ValueError("'labels' applies only to task kind 'classification'")
        if self.labels is not None and len(set(self.labels)) != len(self.labels):
            raise ValueError("'labels' lists a label twice")
        return self


class Data(Strict):
    train: Path | None = None
    """Chat JSONL: the few-shot pool and the fine-tune data."""
    eval: Path
    """Chat JSONL: the final assistant turn of each line is the expected output."""
    knowledge: Path | None = None
    """Folder of .txt/.md/.jsonl documents; enables the RAG rung."""
    unlabeled: Path | None = None
    """Input-only chat JSONL (each line's messages end with the user turn): more inputs for a distillation teacher to label."""

    _resolve_paths = field_validator("train", "eval", "knowledge", "unlabeled")(_resolve)


def _known_backend(value: str) -> str:
    """A model spec that parses (kept as the string the user wrote)."""
    try:
        ModelSpec.parse(value)
    except InputError as exc:  # a ValueError, so pydantic locates it with the other problems
        problem = exc.problems[0]
        raise ValueError(f"{problem.message}; {problem.fix}") from None
    return value


class Judge(Strict):
    model: str
    """Backend spec of the judging model, e.g. openai:gpt-4o-mini."""
    _known_backend = field_validator("model")(_known_backend)
    rubric: str = "Does the answer match the reference answer in meaning? Reply PASS or FAIL."
    """What the judge is asked; it must answer PASS or FAIL."""


class Grader(Strict):
    kind: GraderKind
    """How an output is scored: exact | normalized | label | json | regex | contains | judge."""
    schema_: Path | None = Field(default=None, alias="schema")
    """json only: a JSON Schema file every output must satisfy."""
    fields: list[str] | None = None
    """json only: the top-level fields compared one by one (all fields of the expected object when omitted)."""
    pattern: str | None = None
    """regex only: a regular expression the output must match (fully) to score 1."""
    judge: Judge | None = None
    """judge only: the model that grades and its rubric."""

    model_config = ConfigDict(populate_by_name=True)
    _resolve_schema = field_validator("schema_")(_resolve)

    @model_validator(mode="after")
    def _options_match_kind(self) -> Grader:
        owners = {"schema_": "json", "fields": "json", "pattern": "regex", "judge": "judge"}
        for attr, kind in owners.items():
            if getattr(self, attr) is not None and self.kind != kind:
                raise ValueError(f"'{attr.rstrip('_')}' applies only to grader kind '{kind}'")
        if self.kind == "regex" and not self.pattern:
            raise ValueError("grader kind 'regex' needs a 'pattern'")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"'pattern' is not a valid regular expression: {exc}") from None
        if self.kind == "judge" and self.judge is None:
            raise ValueError("grader kind 'judge' needs 'judge: {model: ...}'")
        return self


class Target(Strict):
    metric: str
    """A metric name: accuracy, format_valid, macro_f1, field_accuracy, recall_at_k, grounded, citation_precision,
    citation_recall, p50_latency_ms, p95_latency_ms, cost_per_1k_calls_usd, forgetting_change."""
    min: float | None = None
    """The metric's confidence lower bound must be at least this."""
    max: float | None = None
    """The metric (its upper bound, for rates) must be at most this."""

    @model_validator(mode="after")
    def _one_bound(self) -> Target:
        if (self.min is None) == (self.max is None):
            raise ValueError("give exactly one of 'min' or 'max'")
        if self.metric not in TARGET_METRICS:
            raise ValueError(f"unknown metric '{self.metric}'; use one of {', '.join(TARGET_METRICS)}")
        bound = self.min if self.min is not None else self.max
        assert bound is not None  # exactly one is set
        if self.metric in FORGETTING_METRICS:
            if not -1.0 <= bound <= 1.0:
                raise ValueError(f"'{self.metric}' is a change in a rate: its bound must lie between -1 and 1 (e.g. min: -0.05)")
            return self
        if self.metric in RATE_METRICS and not 0.0 <= bound <= 1.0:
            raise ValueError(f"'{self.metric}' is a rate: its bound must lie between 0 and 1")
        if bound < 0:
            raise ValueError(f"'{self.metric}' cannot be negative: its bound must be at least 0")
        return self

    def __str__(self) -> str:
        return f"{self.metric} >= {self.min}" if self.min is not None else f"{self.metric} <= {self.max}"


class Profile(Strict):
    """The use case, as the wizard's interview records it; it steers the recommendation."""

    must_change: list[Literal["knowledge", "format", "style", "skill", "cost", "latency"]] = Field(default_factory=list)
    """What the model must do differently from out of the box."""
    knowledge_changes: Frequency = "rarely"
    """How often the facts the model needs change."""
    needs_citations: bool = False
    """Answers must cite their sources."""
    calls_per_day: int = Field(default=10_000, ge=0)
    """Expected production volume."""
    data_must_stay_local: bool = False
    """No data may leave the user's machines: hosted models are ruled out."""
    latency_budget_ms: float | None = Field(default=None, gt=0)
    """Largest acceptable p95 latency per call."""
    horizon_days: int = Field(default=365, ge=1)
    """Days the choice is priced over: always-on hosting and token costs for this long, the training paid once."""


class Pricing(Strict):
    input_per_1m: float = Field(default=0.0, ge=0)
    """USD per million input tokens."""
    output_per_1m: float = Field(default=0.0, ge=0)
    """USD per million output tokens."""
    hardware_per_hour: float = Field(default=0.0, ge=0)
    """USD per hour of the machine running a local model or training (0 for a laptop)."""
    training_per_1m: float = Field(default=0.0, ge=0)
    """USD per million trained tokens of a hosted fine-tuning job."""


class ModelOptions(Strict):
    """How to reach the model's server (openai: models only)."""

    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """The environment variable whose key is sent to the server. Without it, $OPENAI_API_KEY goes only to
    api.openai.com and no key goes to any other host (a loopback server needs none)."""
    timeout: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    """Seconds to wait for one answer before retrying (default 60; --timeout overrides)."""


class Candidate(Strict):
    """One model the ladder may use (`models:`), with its own prices and the rungs it may climb."""

    model: str
    """Backend spec: local:smollm2-135m, openai:gpt-4o-mini, openai:http://127.0.0.1:8000/v1#name."""
    _known_backend = field_validator("model")(_known_backend)
    pricing: Pricing | None = None
    """Its prices (token prices for an API; hardware_per_hour, always on, for a model you host); the scenario's when omitted."""
    model_options: ModelOptions | None = None
    """How to reach its server (openai: models only); the scenario's when omitted."""
    rungs: list[RungName] | None = None
    """The rungs it may climb. Default: every rung for a local model; the prompting rungs for an openai: model
    (and finetune too when `ladder.finetune.method` is openai)."""

    @field_validator("rungs")
    @classmethod
    def _rungs_once(cls, rungs: list[str] | None) -> list[str] | None:
        if rungs is not None and (not rungs or len(set(rungs)) != len(rungs)):
            raise ValueError("list each rung once, and at least one")
        return rungs

    @property
    def spec(self) -> ModelSpec:
        return ModelSpec.parse(self.model)

    def allowed_rungs(self, finetune_method: str | None) -> tuple[RungName, ...]:
        """The rungs this model climbs: its own list, or the default for its kind of backend."""
        if self.rungs is not None:
            return tuple(r for r in RUNG_ORDER if r in self.rungs)
        if self.spec.is_local:
            return RUNG_ORDER
        return PROMPTING_RUNGS + (("finetune",) if finetune_method == "openai" else ())


class Generation(Strict):
    max_tokens: int | None = Field(default=None, gt=0)
    """Most new tokens per answer (default: from the longest expected answer in eval)."""
    stop: list[str] = Field(default_factory=list)
    """Strings that end an answer."""
    structured: Literal["auto", "off", "vllm"] = "auto"
    """auto: constrain answers to the task's format (one of the labels; JSON valid against the grader's schema,
    or any JSON object; the grader's regex): locally by constrained decoding, on OpenAI-compatible servers
    with response_format json_schema; vllm: the same through vLLM's guided_choice/guided_json/guided_regex
    fields (self-hosted servers); off: free generation, to see what the constraint buys."""

    @field_validator("structured", mode="before")
    @classmethod
    def _yaml_booleans(cls, value):
        # YAML 1.1 reads a bare `off` as false (and `on` as true): take them as the words the user wrote.
        return {False: "off", True: "auto"}.get(value, value) if isinstance(value, bool) else value

    @field_validator("stop")
    @classmethod
    def _no_empty_stop(cls, stop: list[str]) -> list[str]:
        if any(not s for s in stop):  # "" is found at position 0 of every answer: each would come back empty
            raise ValueError("a stop string is empty, which would cut every answer to nothing")
        return stop


class ZeroShot(Strict):
    pass


class FewShot(Strict):
    k: int = Field(default=8, ge=1, le=64)
    """How many train examples go in the prompt."""
    select: Literal["similar", "random"] = "similar"
    """similar: the k train inputs most like the question (BM25); random: a fixed random sample."""
    seed: int = 0
    """Seed of the random selection."""


DemoSet = Literal["similar", "random", "bootstrapped"]
DEMO_SETS: tuple[DemoSet, ...] = get_args(DemoSet)


class PromptSearch(Strict):
    """Search instructions x demonstration sets x k on a dev split carved from train; the winner alone is measured on eval."""

    budget_calls: int = Field(default=600, ge=10)
    """Most model calls the search may spend (bootstrapping included), successive halving over the candidates."""
    dev_size: int = Field(default=60, ge=4)
    """Train examples held out as the dev split the candidates are scored on (at most a quarter of train)."""
    ks: list[int] = Field(default_factory=lambda: [4, 8], min_length=1)
    """Numbers of demonstrations tried."""
    demos: list[DemoSet] = Field(default_factory=lambda: list(DEMO_SETS), min_length=1)
    """Demonstration sets tried: similar (BM25), random, bootstrapped (train examples the model itself answers right)."""
    proposer: str | None = None
    """Backend spec of a stronger model that drafts extra instructions for the model measured (e.g. openai:gpt-4o-mini)."""
    seed: int = 0
    """Seed of the dev split, the random demonstrations and the bootstrap sample."""


class Rag(Strict):
    top_k: int = Field(default=3, ge=1, le=50)
    """How many knowledge chunks go in the prompt."""
    retriever: RetrieverKind = "hybrid"
    """hybrid: BM25 and dense (all-MiniLM-L6-v2, installed with advisor) fused by reciprocal rank; bm25 needs no model."""
    chunk_tokens: int = Field(default=256, ge=16)
    """Chunk length in tokens (whitespace-separated words)."""
    chunk_overlap: int = Field(default=32, ge=0)
    """Tokens that consecutive chunks of a document share."""
    cite: bool = True
    """Ask for the source id in brackets after the answer, and score citation_precision / citation_recall."""
    extract: bool = False
    """qa, local model: constrain each answer to words copied from one retrieved passage, under that passage's
    `[id]` when `cite` is on (extractive QA; every answer grounded and cited). Off by default: on SQuADShifts train
    questions the embedded model answered fewer right so than freely (README, "Retrieval")."""

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Rag:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError("'chunk_overlap' must be smaller than 'chunk_tokens'")
        return self


class Finetune(LoraSettings):
    """The fine-tune rung: how it trains (the fields of `trainers.LoraSettings`, defined there once) and what the
    ladder does around the training."""

    model_config = ConfigDict(extra="forbid", frozen=False, use_attribute_docstrings=True)

    model: str | None = None
    """openai only: the base model to fine-tune."""
    forgetting_threshold: float = Field(default=0.05, ge=0, le=1)
    """Flag the tuned model when its canary score (general ability) drops by more than this (0.05 = 5 points).
    To fail the run on it, add a target instead: {metric: forgetting_change, min: -0.05}."""
    forgetting_tasks: list[Path] = Field(default_factory=list)
    """More canary tasks on top of the built-in set: chat-JSONL files in the canary format (one task per file; an eval
    set of yours works), scored on the base model and on the adapter."""
    _resolve_tasks = field_validator("forgetting_tasks")(lambda v, info: [_resolve(p, info) for p in v])
    prompt: Literal["short", "full"] = "short"
    """short: the tuned model is trained and asked with the input alone (the adapter learns the task, so calls
    are shorter and cheaper); full: with the task's system prompt as well."""
    compare: list[Literal["lora", "qlora", "full"]] | None = None
    """Also train and measure these methods on the same eval items (e.g. [lora, full]); the rung reports the cheapest
    (fewest trained weights) unless a costlier one is significantly better on the first target's metric."""


class Distill(Strict):
    """The distillation rung: a stronger model labels inputs and the small model is fine-tuned on its labels (with
    `ladder.finetune`'s recipe). The teacher must first meet the targets itself, zero-shot on eval."""

    teacher: str
    """Backend spec of the teacher, e.g. openai:gpt-4o-mini (one of `models:` or any other model)."""
    _known_backend = field_validator("teacher")(_known_backend)
    inputs: Literal["train", "unlabeled", "both"] = "both"
    """What the teacher labels: the train inputs (their gold answers are not used), data.unlabeled, or both."""
    _teacher: Candidate | None = PrivateAttr(default=None)

    def teacher_candidate(self, scenario: Scenario) -> Candidate:
        """The teacher with its prices and options: as a candidate of the scenario it was set in, or with the scenario's."""
        return self._teacher or scenario.candidate(self.teacher)


class Ladder(Strict):
    """The rungs to try, cheapest first. Set a rung to null to skip it; a rung not named runs with its defaults."""

    zero_shot: ZeroShot | None = Field(default_factory=ZeroShot)
    few_shot: FewShot | None = Field(default_factory=FewShot)
    prompt_search: PromptSearch | None = Field(default_factory=PromptSearch)
    rag: Rag | None = Field(default_factory=Rag)
    finetune: Finetune | None = Field(default_factory=Finetune)
    distill: Distill | None = None
    """Off unless it names a teacher."""


class Scenario(Strict):
    """A use case to measure: task, data, how to grade, what 'good enough' means."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    """Short identifier (letters, digits, - _ .)."""
    description: str = ""
    """One line on what the model is for."""
    task: Task
    data: Data
    grader: Grader
    targets: list[Target] = Field(min_length=1)
    """What must hold for a rung to pass; at least one."""
    confidence: float = Field(default=0.95, ge=0.5, lt=1.0)
    """Confidence level of every interval and target check."""
    profile: Profile = Field(default_factory=Profile)
    model: str = "local:smollm2-135m"
    """Backend spec: local:smollm2-135m, local:/path/to/hf-model, openai:gpt-4o-mini, openai:http://127.0.0.1:8000/v1#name."""
    model_options: ModelOptions = Field(default_factory=ModelOptions)
    pricing: Pricing | None = None
    """Token prices of a hosted model, or the hourly cost of the machine for a local one."""
    models: list[Candidate] | None = Field(default=None, min_length=1)
    """Candidate models instead of one `model`: every (model, rung) cell is measured on the same eval items and the
    cheapest cell that meets every target at the profile's volume is recommended."""
    generation: Generation = Field(default_factory=Generation)
    ladder: Ladder = Field(default_factory=Ladder)

    _known_backend = field_validator("model")(_known_backend)

    @property
    def model_spec(self) -> ModelSpec:
        """The model as a typed spec (parsed when the scenario was validated)."""
        return ModelSpec.parse(self.model)

    @property
    def candidates(self) -> list[Candidate]:
        """The models to measure: `models`, or the one `model` with the scenario's pricing and options."""
        if self.models is not None:
            return self.models
        return [Candidate(model=self.model, pricing=self.pricing, model_options=self.model_options)]

    def candidate(self, model: str) -> Candidate:
        """The candidate of that spec, or one with the scenario's pricing and options (a teacher outside `models:`)."""
        spec = str(ModelSpec.parse(model))
        found = next((c for c in self.candidates if str(c.spec) == spec), None)
        return found or Candidate(model=model, pricing=self.pricing, model_options=self.model_options)

    def for_candidate(self, candidate: Candidate) -> Scenario:
        """The one-model scenario a candidate climbs: its model, prices and options, only its rungs on."""
        method = self.ladder.finetune.method if self.ladder.finetune else None
        allowed = candidate.allowed_rungs(method)
        # Distillation trains with the fine-tune's recipe: its settings stay even when the rung itself is not climbed.
        kept = set(allowed) | ({"finetune"} if "distill" in allowed else set())
        ladder = self.ladder.model_copy(update={r: None for r in RUNG_ORDER if r not in kept})
        if ladder.distill is not None:  # the one-model scenario no longer lists the teacher among its candidates
            ladder.distill = ladder.distill.model_copy()
            ladder.distill._teacher = self.ladder.distill.teacher_candidate(self) if self.ladder.distill else None
        return self.model_copy(
            update={
                "model": candidate.model,
                "pricing": candidate.pricing or self.pricing,
                "model_options": candidate.model_options or self.model_options,
                "models": None,
                "ladder": ladder,
            }
        )

    @model_validator(mode="after")
    def _one_way_to_name_models(self) -> Scenario:
        if self.models is not None and "model" in self.model_fields_set:
            raise ValueError("give either 'model' (one model) or 'models' (candidates), not both")
        specs = [str(c.spec) for c in self.models or []]
        twice = sorted({s for s in specs if specs.count(s) > 1})
        if twice:
            raise ValueError(f"'models' lists {', '.join(twice)} more than once")
        return self

    @model_validator(mode="after")
    def _targets_fit_grader(self) -> Scenario:
        for target in self.targets:
            for other in self.targets:
                if other.metric == target.metric and target.min is not None and other.max is not None and target.min > other.max:
                    raise ValueError(f"the targets contradict each other: {target.metric} >= {target.min:g} and <= {other.max:g}")
        for target in self.targets:
            for kind_ in GRADER_METRICS:
                if target.metric in GRADER_METRICS[kind_] and self.grader.kind != kind_:
                    raise ValueError(f"target metric '{target.metric}' needs grader kind '{kind_}'")
        if self.grader.kind == "label" and self.task.kind != "classification":
            raise ValueError("grader kind 'label' needs task kind 'classification'")
        return self
