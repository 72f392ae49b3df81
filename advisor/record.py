"""RunRecord: the versioned record of everything a run measured. Every report is rendered from it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, PrivateAttr

from evals.errors import InputError, Problem

from .scenario import Profile, Target
from .search_record import Search

RECORD_VERSION = 1
RungName = Literal["zero_shot", "few_shot", "prompt_search", "rag", "finetune"]
RUNG_ORDER: tuple[RungName, ...] = ("zero_shot", "few_shot", "prompt_search", "rag", "finetune")
RUNG_TITLES = {"zero_shot": "zero-shot", "few_shot": "few-shot", "prompt_search": "prompt search", "rag": "RAG",
               "finetune": "fine-tune"}


class MetricValue(BaseModel):
    value: float
    lower: float
    upper: float


class TargetCheck(BaseModel):
    target: Target
    passed: bool
    observed: float | None
    """The number compared with the bound: the lower (min) or upper (max) confidence bound, or the value."""
    reason: str = ""


class Comparison(BaseModel):
    """Paired test of this rung against another on the same items."""

    against: RungName
    test: str
    n: int
    diff: float
    """Mean score of this rung minus the other's."""
    p_value: float
    this_only: int = 0
    """Items this rung got right and the other wrong (binary scores)."""
    other_only: int = 0


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


class Forgetting(BaseModel):
    """General-ability canary tasks, base model vs adapter (through lm-eval)."""

    base: MetricValue
    adapter: MetricValue
    change: MetricValue
    threshold: float
    flagged: bool
    tasks: dict[str, dict[str, float]] = Field(default_factory=dict)


class RungResult(BaseModel):
    name: RungName
    status: Literal["measured", "skipped"]
    skip_reason: str | None = None
    n: int = 0
    metrics: dict[str, MetricValue] = Field(default_factory=dict)
    latency_ms: dict[str, float] = Field(default_factory=dict)
    """p50 and p95 per call."""
    tokens_per_call: dict[str, float] = Field(default_factory=dict)
    """Mean input and output tokens per call."""
    cost_per_1k_calls_usd: float | None = None
    cost_per_1m_calls_usd: float | None = None
    errors: int = 0
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
    search: Search | None = None
    """prompt_search only: the candidates, their dev scores, the calls spent and the winner's prompt."""


class Recommendation(BaseModel):
    rung: RungName | None
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
    warnings: list[str] = Field(default_factory=list)
    estimate: dict = Field(default_factory=dict)
    rungs: list[RungResult]
    recommendation: Recommendation
    seconds: float = 0.0
    backend_failure: str | None = None
    """Set when too many calls failed after retries; the run then exits 3."""
    _path: Path | None = PrivateAttr(default=None)

    def samples(self, run: str | Path | None = None):
        """The per-item samples (advisor.samples.Sample) as a DataFrame; `run` defaults to where this record was loaded."""
        from . import samples

        if run is None and self._path is None:
            raise ValueError("this record was not loaded from a file: pass its run folder")
        return samples.frame(samples.for_record(self, run))

    def rung(self, name: str) -> RungResult | None:
        return next((r for r in self.rungs if r.name == name), None)

    @property
    def measured(self) -> list[RungResult]:
        return [r for r in self.rungs if r.status == "measured"]

    @property
    def passed(self) -> bool:
        """The gate: the recommended rung meets every target."""
        rung = self.rung(self.recommendation.rung) if self.recommendation.rung else None
        return bool(rung and rung.meets_targets)

    def save(self, path: Path) -> Path:
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(path)
        return path


def load_record(path: str | Path) -> RunRecord:
    """Read run.json, refusing records from a newer advisor."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem("run record not found", fix="pass the run.json that `advisor run --out DIR` wrote", file=path))
    from pydantic import ValidationError

    try:
        record = RunRecord.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(Problem(f"not a valid run record: {first['msg']}", fix="regenerate it with `advisor run`",
                                 file=path, field=".".join(map(str, first["loc"])))) from None
    if record.version > RECORD_VERSION:
        raise InputError(Problem(f"record version {record.version} is newer than this advisor reads ({RECORD_VERSION})",
                                 fix="upgrade advisor", file=path, field="version"))
    record._path = path
    return record
