"""RunRecord: the versioned record of everything a run measured. Every report is rendered from it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from advisor.record import samples
from advisor.record.frontier import Frontier
from advisor.record.rag import RagDetails
from advisor.record.search import Search
from advisor.registry import NAME, RungName
from advisor.scenario.metrics import RATE_METRICS
from advisor.scenario.schema import Profile, Target
from evals.errors import InputError, Problem

RUNG_NAME = NAME.pattern

if TYPE_CHECKING:
    import pandas as pd

RECORD_VERSION = 2
"""2: rungs[] and the recommendation name their model, and a scenario with `models:` records the frontier."""
EPS = 1e-9
"""Slack for floating-point rounding when checking a stored record's bounds."""


class MetricValue(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)

    value: float
    lower: float
    upper: float

    @model_validator(mode="after")
    def _ordered(self) -> MetricValue:
        if not self.lower - EPS <= self.value <= self.upper + EPS:
            raise ValueError(f"bounds out of order: lower {self.lower:g} <= value {self.value:g} <= upper {self.upper:g} must hold")
        return self


class TargetCheck(BaseModel):
    target: Target
    passed: bool
    observed: float | None
    """The number compared with the bound: the lower (min) or upper (max) confidence bound, or the value."""
    reason: str = ""
    after_update: bool = False
    """Checked on the eval asked after the knowledge changed (`KnowledgeUpdate`), not on the eval itself."""


class Comparison(BaseModel):
    """Paired test of this rung against another on the same items."""

    against: RungName
    against_model: str | None = None
    """The other cell's model, when it is not this rung's (a scenario with `models:`)."""
    test: str
    n: int
    diff: float
    """Mean score of this rung minus the other's."""
    p_value: float
    """The test's own p-value, as if it were the only comparison of the run."""
    p_holm: float | None = None
    """Holm-adjusted across the run's comparisons between rungs (or, for `update`, across its tests after the
    update); what the verdict and the reports read. None in records written before the adjustment."""
    this_only: int = 0
    """Items this rung got right and the other wrong (binary scores)."""
    other_only: int = 0
    note: str | None = None
    """Why the comparison runs on fewer items than this rung answered (the top-up budget was spent)."""

    @property
    def p(self) -> float:
        """The p-value to read: Holm-adjusted, or the raw one in a record from before the adjustment."""
        return self.p_holm if self.p_holm is not None else self.p_value


class KnowledgeUpdate(BaseModel):
    """A measured rung asked again after the knowledge changed (`data.knowledge_update`): the same prompts, weights
    and searched prompt, retrieval from the changed documents; nothing retrained or searched again."""

    n: int = Field(ge=0)
    metrics: dict[str, MetricValue] = Field(default_factory=dict)
    errors: int = Field(default=0, ge=0)
    change: Comparison | None = None
    """Paired against this rung's own answers to the same ids before the update (`against` is the rung itself)."""
    before: float | None = None
    """Its mean score on those same ids before the update."""
    note: str | None = None
    """What the update could not change for this rung (your own system reads its own knowledge)."""
    binding: bool = False
    """The targets hold after the update too (the profile's knowledge changes more often than rarely)."""
    comparisons: list[Comparison] = Field(default_factory=list)
    """Paired tests against each earlier rung's answers after the same update, on the ids both answered."""
    _scores: dict[str, float] = PrivateAttr(default_factory=dict)
    """Per id, the mean score after the update (for the comparisons; not stored)."""

    @property
    def scores(self) -> dict[str, float]:
        return self._scores

    @property
    def paired_after(self) -> float | None:
        """Its mean score after the update on the ids asked before (`before` plus the change); None when none matched."""
        return self.before + self.change.diff if self.before is not None and self.change is not None else None


class Training(BaseModel):
    """What the fine-tune cost and how it went."""

    method: str
    trainable_params: int | None = None
    trainable_share: float | None = None
    train_tokens: int | None = None
    seconds: float
    tokens_per_s: float | None = None
    padding_waste: float | None = None
    final_train_loss: float | None = None
    final_val_loss: float | None = None
    stopped_early: bool = False
    overfitting_warning: str | None = None
    cost_usd: float = 0.0
    model_id: str | None = None
    curve: list[dict] = Field(default_factory=list)
    """step, epoch and loss (train), or val_loss and val_score (the grader's mean on the validation slice)."""
    epochs: float | None = None
    """Epochs planned (the resolved count of `epochs: auto`)."""
    best_step: int | None = None
    """The step whose weights were kept: best validation score, ties to the lower val loss."""
    best_val_score: float | None = None
    undertrained_note: str | None = None
    """Set when the loss was still falling at the end."""
    peak_rss_mb: float | None = None
    """Highest resident memory of the process while it trained."""
    artifact_mb: float | None = None
    """Size on disk of what it saved: the adapter, or (method full) the whole model."""


class Forgetting(BaseModel):
    """General-ability canary tasks, base model vs tuned model: an adapter or a whole model through lm-eval, a hosted
    fine-tune through the openai backend. `adapter` holds the tuned model's score."""

    base: MetricValue
    adapter: MetricValue
    change: MetricValue
    threshold: float
    flagged: bool
    tasks: dict[str, dict[str, float]] = Field(default_factory=dict)


class Distillation(BaseModel):
    """The distillation rung's teacher: how it did on eval, and what it labeled for the student."""

    teacher: str
    teacher_metrics: dict[str, MetricValue] = Field(default_factory=dict)
    """The teacher zero-shot on the same eval items: it must meet the targets before it labels anything."""
    teacher_meets_targets: bool
    inputs: int = 0
    """Inputs given to the teacher (train inputs without their answers, and data.unlabeled)."""
    labeled: int = 0
    """Labels kept: they passed the grader's format check."""
    invalid: int = 0
    """Labels dropped by the grader's format check."""
    failed: int = 0
    """Inputs whose call failed after retries."""


class Stopping(BaseModel):
    """Sequential stopping: how many eval items it took to settle the rung's verdict."""

    used: int
    """Items scored, in order, up to the one that settled the verdict (the rung's n)."""
    available: int
    """Items in the eval set."""
    calls: int
    """Rows produced, counting calls already in flight when the verdict settled."""
    decided_by: list[str] = Field(default_factory=list)
    """The targets that settled it, e.g. 'accuracy >= 0.9 (fail)'; empty when every item was needed."""
    topped_up: int = 0
    """Items asked after the ladder for the paired comparisons only: the recommended rung's items this rung had not
    answered (`advisor.run.topup`). They are in no other number of the rung (not in `used`, its n or its metrics)."""


class Variant(BaseModel):
    """One way of fine-tuning (`finetune.compare`), measured on the same items as the others."""

    method: str
    n: int
    metrics: dict[str, MetricValue] = Field(default_factory=dict)
    training: Training | None = None
    forgetting: Forgetting | None = None
    against: str | None = None
    """The cheaper variant this one was tested against (None for the cheapest)."""
    test: str | None = None
    diff: float | None = None
    """Mean score of this variant minus `against`'s, on the same items."""
    p_value: float | None = None
    chosen: bool = False
    """The variant the rung reports: the cheapest, unless a costlier one is significantly better."""


class RungResult(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)

    name: RungName = Field(pattern=RUNG_NAME)
    """A registered rung's name or a custom one's (`ladder.custom`): an identifier, since it names files too."""
    model: str | None = None
    """The model measured (version 2 on); None in older records, where it is the record's `model`."""
    status: Literal["measured", "skipped"]
    skip_reason: str | None = None
    n: int = Field(default=0, ge=0)
    metrics: dict[str, MetricValue] = Field(default_factory=dict)
    latency_ms: dict[str, float] = Field(default_factory=dict)
    """p50 and p95 per call; from the one-at-a-time probe (`latency_from`), which adds the bounds of their
    bootstrap intervals (p50_low, p50_high, p95_low, p95_high) and its item count n. Where the probe's calls
    streamed (an OpenAI-compatible server), the time to the first token too (ttft_p50, ttft_p95 and their bounds,
    ttft_p95_high...) and output_tokens_per_s, the median pace of the answer after its first token."""
    latency_from: Literal["probe", "run"] | None = None
    """probe: calls sent one at a time after a warm-up (as a user would see them); run: the concurrent run's calls."""
    throughput: dict[str, float] | None = None
    """The concurrent run's pace: items_per_s at concurrency (fresh calls only; None when every answer was cached)."""
    tokens_per_call: dict[str, float] = Field(default_factory=dict)
    """Mean input and output tokens per call."""
    cost_per_1k_calls_usd: float | None = None
    cost_per_1m_calls_usd: float | None = None
    machine_s_per_call: float | None = None
    """Seconds of one machine per call (a local call's share of its batch, else its latency): one replica's capacity."""
    cost_per_1k_calls_bounds: list[float] | None = None
    """[lower, upper] of the cost per 1k calls: a bootstrap over the calls' tokens and machine time; cost targets check the upper."""
    errors: int = Field(default=0, ge=0)
    seconds: float = 0.0
    meets_targets: bool | None = None
    checks: list[TargetCheck] = Field(default_factory=list)
    comparisons: list[Comparison] = Field(default_factory=list)
    training: Training | None = None
    forgetting: Forgetting | None = None
    confusion: dict | None = None
    """Label grader only: {labels: [...], matrix: [[...]]} (rows expected, columns predicted)."""
    repeat: dict | None = None
    """With --repeat N: pass^N and per-item agreement."""
    structure: str | None = None
    """The answer format generation was held to (choice, json, regex); None: free generation."""
    constrained: float | None = None
    """Share of calls whose backend applied that constraint (1.0: all; 0.0: the backend could not, e.g. regex on OpenAI)."""
    closed_at_budget: float | None = None
    """JSON only: share of calls steered to close their document because max_tokens was near (a repeated value)."""
    rag: RagDetails | None = None
    """RAG only: the recall@k / MRR curve and the split of failures into retrieval misses and wrong answers."""
    stopping: Stopping | None = None
    """With sequential stopping (the default): items used versus available."""
    variants: list[Variant] = Field(default_factory=list)
    """Fine-tune with `finetune.compare`: every method measured on the same items; the rung reports the chosen one."""
    search: Search | None = None
    """prompt_search only: the candidates, their dev scores, the calls spent and the winner's prompt."""
    distill: Distillation | None = None
    """distill only: the teacher's eval metrics and how many of its labels were kept."""
    update: KnowledgeUpdate | None = None
    """With `data.knowledge_update`: the same rung asked after the knowledge changed."""
    details: dict[str, Any] | None = None
    """What a rung measured of its own beyond the fields above (a plugin rung's section); its `summary` reads it."""

    @model_validator(mode="after")
    def _rates_are_rates(self) -> RungResult:
        for name, metric in self.metrics.items():
            if name in RATE_METRICS and not -EPS <= metric.lower <= metric.upper <= 1.0 + EPS:
                raise ValueError(f"metric '{name}' is a rate, but its interval [{metric.lower:g}, {metric.upper:g}] leaves 0..1")
        if self.errors > self.n:
            raise ValueError(f"{self.errors} errors in {self.n} calls")
        return self


class CurvePoint(BaseModel):
    n: int
    """Train examples the adapter saw."""
    value: float
    lower: float
    upper: float


class LearningCurve(BaseModel):
    """The fine-tune on growing shares of train, scored on the same eval items (--learning-curve)."""

    metric: str
    target: float | None = None
    points: list[CurvePoint]
    fit: list[float] | None = None
    """[a, b, c] of error = a·n^-b + c."""
    examples_needed: list[float] | None = None
    """[n, lower, upper] train examples the fit says would reach the target."""
    forecast: str
    """The sentence the reports print."""


class Recommendation(BaseModel):
    rung: RungName | None
    model: str | None = None
    """The recommended cell's model (version 2 on)."""
    rationale: list[str]
    next_steps: list[str] = Field(default_factory=list)


class RunRecord(BaseModel):
    version: int = RECORD_VERSION
    created: str = Field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    scenario: str
    description: str = ""
    scenario_path: str | None = None
    scenario_sha256: str | None = None
    data_sha256: dict[str, str] = Field(default_factory=dict)
    model: str
    grader: str
    targets: list[Target]
    confidence: float
    profile: Profile
    limit: int | None = None
    dropped_leaks: list[str] = Field(default_factory=list)
    """Ids of eval examples left out with --drop-leaks (train holds them, exactly or nearly); their count is its length."""
    warnings: list[str] = Field(default_factory=list)
    estimate: dict = Field(default_factory=dict)
    rungs: list[RungResult]
    recommendation: Recommendation
    seconds: float = 0.0
    learning_curve: LearningCurve | None = None
    models: list[str] = Field(default_factory=list)
    """The candidate models (`models:`) in the order given; empty for a one-model scenario."""
    frontier: Frontier | None = None
    """With `models:`: every measured cell's total cost at the profile's volume against its quality, the Pareto set."""
    backend_failure: str | None = None
    """Set when too many calls failed after retries; the run then exits 3."""
    _path: Path | None = PrivateAttr(default=None)

    def samples(self, run: str | Path | None = None) -> pd.DataFrame:
        """The per-item samples (advisor.record.samples.Sample) as a DataFrame; `run` defaults to where this record was loaded."""
        if run is None and self._path is None:
            raise ValueError("this record was not loaded from a file: pass its run folder")
        return samples.frame(for_record(self, run))

    @model_validator(mode="after")
    def _one_result_per_rung(self) -> RunRecord:
        cells = [(r.model or self.model, r.name) for r in self.rungs]
        twice = sorted({f"{m} {n}" if self.models else n for m, n in cells if cells.count((m, n)) > 1})
        if twice:
            raise ValueError(f"rung {', '.join(twice)} appears more than once")
        if not 0.0 < self.confidence < 1.0:
            raise ValueError(f"confidence {self.confidence:g} must lie between 0 and 1")
        return self

    def rung(self, name: str, model: str | None = None) -> RungResult | None:
        """The rung of that name (of `model`, when the record has several models: the first otherwise)."""
        return next((r for r in self.rungs if r.name == name and model in (None, r.model or self.model)), None)

    @property
    def measured(self) -> list[RungResult]:
        return [r for r in self.rungs if r.status == "measured"]

    @property
    def passed(self) -> bool:
        """The gate: the recommended rung meets every target."""
        rec = self.recommendation
        rung = self.rung(rec.rung, rec.model) if rec.rung else None
        return bool(rung and rung.meets_targets)

    def save(self, path: Path) -> Path:
        from evals.data import write_atomic

        return write_atomic(path, self.model_dump_json(indent=2))


def load_record(path: str | Path) -> RunRecord:
    """Read run.json, refusing records from a newer advisor."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem("run record not found", fix="pass the run.json that `advisor run --out DIR` wrote", file=path))
    from pydantic import ValidationError

    from evals.data import read_text

    try:
        record = RunRecord.model_validate_json(read_text(path))
    except ValidationError as exc:
        raise InputError(
            [
                Problem(
                    f"not a valid run record: {err['msg'].removeprefix('Value error, ')}",
                    file=path,
                    fix="regenerate it with `advisor run`",
                    field=".".join(map(str, err["loc"])) or None,
                )
                for err in exc.errors()[:10]
            ],
            title=f"Invalid run record {path}",
        ) from None
    if record.version > RECORD_VERSION:
        raise InputError(
            Problem(
                f"record version {record.version} is newer than this advisor reads ({RECORD_VERSION})",
                fix="upgrade advisor",
                file=path,
                field="version",
            )
        )
    record._path = path
    return record


def for_record(record: RunRecord, run: str | Path | None = None) -> list[samples.Sample]:
    """The samples of the rungs a record measured (a rung file an earlier run left in the folder is not its).

    `run` defaults to the folder the record was loaded from; a record with neither has no samples.
    """
    folder = run if run is not None else record._path.parent if record._path is not None else None
    return [] if folder is None else samples.load(folder, [r.name for r in record.measured])
