"""The scenario file: what the user wants measured. A strict schema, paths resolved against the file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from advisor.registry import Rung, get_rung, rung_order, rungs
from advisor.scenario.metrics import FORGETTING_METRICS, GRADER_METRICS, RATE_METRICS, TARGET_METRICS
from evals.backends.spec import ModelSpec
from evals.errors import InputError
from evals.kinds import GraderKind

TaskKind = Literal["classification", "extraction", "generation", "qa"]
TASK_KINDS: tuple[str, ...] = get_args(TaskKind)
Frequency = Literal["never", "rarely", "monthly", "weekly", "daily"]
VOLATILE: tuple[Frequency, ...] = ("monthly", "weekly", "daily")
"""Knowledge that changes this often belongs in retrieval, and a rung is held to its targets after an update too."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, allow_inf_nan=False)


def resolve_path(value: Path | None, info: ValidationInfo) -> Path | None:
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


class KnowledgeUpdate(Strict):
    """The same knowledge after a change, and questions whose answers moved: every measured rung is asked again
    against it, without retraining or searching, as a deployed system would be the day after the documents changed."""

    knowledge: Path
    """Folder of the changed documents (as data.knowledge)."""
    eval: Path
    """Chat JSONL asked against it; lines whose id is also in data.eval are compared with their answer before."""

    _resolve_paths = field_validator("knowledge", "eval")(resolve_path)


class Data(Strict):
    train: Path | None = None
    """Chat JSONL: the few-shot pool and the fine-tune data."""
    eval: Path
    """Chat JSONL: the final assistant turn of each line is the expected output."""
    knowledge: Path | None = None
    """Folder of .txt/.md/.jsonl documents; enables the RAG rung."""
    unlabeled: Path | None = None
    """Input-only chat JSONL (each line's messages end with the user turn): more inputs for a distillation teacher to label."""
    knowledge_update: KnowledgeUpdate | None = None
    """The knowledge after a change and an eval on it (`KnowledgeUpdate`); needs data.knowledge."""

    _resolve_paths = field_validator("train", "eval", "knowledge", "unlabeled")(resolve_path)

    @model_validator(mode="after")
    def _update_needs_knowledge(self) -> Data:
        if self.knowledge_update is not None and self.knowledge is None:
            raise ValueError("knowledge_update is the knowledge after a change: set data.knowledge to the knowledge before it")
        return self


def known_backend(value: str) -> str:
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
    _known_model = field_validator("model")(known_backend)
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
    _resolve_schema = field_validator("schema_")(resolve_path)

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
    citation_recall, p50_latency_ms, p95_latency_ms, ttft_p95_ms, cost_per_1k_calls_usd, forgetting_change."""
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


def _registered_rung(name: str) -> str:
    if get_rung(name) is None:
        raise ValueError(f"unknown rung '{name}'; use one of {', '.join(rung_order())}")
    return name


class Candidate(Strict):
    """One model the ladder may use (`models:`), with its own prices and the rungs it may climb."""

    model: str
    """Backend spec: local:smollm2-135m, openai:gpt-4o-mini, openai:http://127.0.0.1:8000/v1#name."""
    _known_model = field_validator("model")(known_backend)
    pricing: Pricing | None = None
    """Its prices (token prices for an API; hardware_per_hour, always on, for a model you host); the scenario's when omitted."""
    model_options: ModelOptions | None = None
    """How to reach its server (openai: models only); the scenario's when omitted."""
    rungs: list[Annotated[str, AfterValidator(_registered_rung)]] | None = None
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

    def allowed_rungs(self, finetune_method: str | None) -> tuple[str, ...]:
        """The rungs this model climbs: its own list, or the default for its kind of backend."""
        if self.rungs is not None:
            return tuple(r for r in rung_order() if r in self.rungs)
        if self.spec.is_local:
            return rung_order()
        prompting = tuple(r.name for r in rungs() if r.prompting)
        return prompting + (("finetune",) if finetune_method == "openai" else ())


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
    def _yaml_booleans(cls, value: Any) -> Any:
        # YAML 1.1 reads a bare `off` as false (and `on` as true): take them as the words the user wrote.
        return {False: "off", True: "auto"}.get(value, value) if isinstance(value, bool) else value

    @field_validator("stop")
    @classmethod
    def _no_empty_stop(cls, stop: list[str]) -> list[str]:
        if any(not s for s in stop):  # "" is found at position 0 of every answer: each would come back empty
            raise ValueError("a stop string is empty, which would cut every answer to nothing")
        return stop


class CustomPricing(Strict):
    per_call: float = Field(ge=0)
    """USD one call of your system costs (your API bill, your machine's share); without it only its time is measured."""


class HttpTarget(Strict):
    """An endpoint that answers one question per POST."""

    url: str
    """Where to POST, e.g. http://127.0.0.1:8000/answer (http or https)."""
    body: dict[str, Any] = Field(default_factory=lambda: {"input": "{{input}}"})
    """The JSON body: strings may hold {{input}} (the user's message) and {{system}}; "{{messages}}" alone is the chat."""
    output: str = "output"
    """Where the answer is in the JSON reply: a dotted path, list indices as numbers (choices.0.message.content)."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra headers; ${NAME} in a value is read from the environment (keys never go in the file)."""
    timeout: float = Field(default=60.0, gt=0)
    """Seconds to wait for one answer."""


class CustomRung(Strict):
    """Your own system on the ladder (a RAG pipeline, an agent, an endpoint), measured on the same items as every rung."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    """Its name in the reports and for --rungs (lower-case letters, digits, _)."""
    python: str | None = None
    """module:function, importable from the scenario's folder or PYTHONPATH; called with the chat messages
    (system and user turns), it returns the answer text. Sync or async."""
    http: HttpTarget | None = None
    """An HTTP endpoint instead of a Python function."""
    pricing: CustomPricing | None = None
    """What a call costs; otherwise cost is measured as time only."""

    @model_validator(mode="after")
    def _one_target(self) -> CustomRung:
        if (self.python is None) == (self.http is None):
            raise ValueError("give either 'python' (module:function) or 'http' (an endpoint), exactly one")
        if self.python is not None and not re.match(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$", self.python):
            raise ValueError(f"python: {self.python!r} is not module:function (e.g. our_rag:answer)")
        return self


class LadderBase(Strict):
    """The rungs to try, cheapest first. Set a rung to null to skip it; a rung not named runs with its defaults."""

    custom: list[CustomRung] = Field(default_factory=list)
    """Your own systems, each measured as a rung after the shipped ones."""

    @field_validator("custom")
    @classmethod
    def _custom_names_free(cls, custom: list[CustomRung]) -> list[CustomRung]:
        names = [c.name for c in custom]
        taken = sorted({n for n in names if names.count(n) > 1 or get_rung(n) is not None})
        if taken:
            raise ValueError(f"custom rung name {', '.join(taken)} is taken (by a registered rung, or twice here); rename it")
        return custom

    def settings(self, name: str) -> BaseModel | None:
        """A registered rung's settings, or None when it is off."""
        return getattr(self, name, None)

    if TYPE_CHECKING:  # the rungs' fields are built from the registry (`ladder_model`)

        def __getattr__(self, name: str) -> Any: ...


_ladder_models: dict[tuple, type[LadderBase]] = {}


def ladder_model() -> type[LadderBase]:
    """The `ladder:` schema of the registered rungs: one field per rung, its settings or null."""
    registered = tuple(rungs())
    key = tuple((r.name, r.settings) for r in registered)
    if key not in _ladder_models:
        fields: dict[str, Any] = {
            r.name: (r.settings | None, Field(default_factory=r.settings if r.on else lambda: None, description=_doc(r)))
            for r in registered
        }
        _ladder_models[key] = create_model("Ladder", __base__=LadderBase, __doc__=LadderBase.__doc__, **fields)
    return _ladder_models[key]


def _doc(rung: Rung) -> str:
    first = (rung.settings.__doc__ or "").strip().split("\n\n")[0]
    return f"The {rung.title} rung" + ("" if rung.on else " (off unless set)") + (f": {first}" if first else ".")


class _LadderField:
    """`Scenario.ladder`: validated and described by the model the registry builds at the time (rungs may be added)."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        def validate(value: Any, info: core_schema.ValidationInfo) -> LadderBase:
            model = ladder_model()
            return value if isinstance(value, model) else model.model_validate(value, context=info.context)

        return core_schema.with_info_plain_validator_function(validate)

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return handler(ladder_model().__pydantic_core_schema__)


Ladder = Annotated[LadderBase, _LadderField]


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
    ladder: Ladder = Field(default_factory=lambda: ladder_model()())

    _known_model = field_validator("model")(known_backend)

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
        ladder = self.ladder.model_copy(update={r: None for r in rung_order() if r not in kept})
        if ladder.distill is not None:  # the one-model scenario no longer lists the teacher among its candidates
            distill = ladder.distill.model_copy()
            distill._teacher = self.ladder.distill.teacher_candidate(self)
            ladder = ladder.model_copy(update={"distill": distill})
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
