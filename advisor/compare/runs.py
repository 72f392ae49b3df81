"""Comparing two runs item by item: per rung, on the items both answered, did the new run get worse?

Rendered by `advisor.reports` (comparison_text, comparison_markdown, comparison_junit) (terminal, Markdown, JUnit); `advisor compare` and
`advisor run --baseline` gate on `RunComparison.regressed`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from advisor.record import samples as smp
from advisor.record.run import RunRecord, for_record, load_record
from advisor.registry import ladder_position
from advisor.scenario.metrics import METRICS as ALL_METRICS
from evals.errors import InputError, Problem
from evals.noninferiority import noninferiority

METRICS = tuple(m.name for m in ALL_METRICS if m.binary)
"""Per-item metrics compared: those every item has a 0/1 value of (the grader's score, format validity)."""
SHOWN_FLIPS = 5


class Flip(BaseModel):
    """An item one run got right and the other wrong."""

    id: str
    input: str | None = None
    expected: str = ""
    base_output: str = ""
    new_output: str = ""


class MetricDelta(BaseModel):
    metric: str
    n: int
    base: float
    new: float
    diff: float
    """new - base."""
    lower: float
    upper: float
    """The paired interval of diff at the comparison's confidence."""
    test: str
    p_worse: float
    """One-sided p-value of "new is worse than base by more than the margin"."""
    verdict: str
    """worse, non-inferior or inconclusive (see evals.noninferiority)."""


class RungDelta(BaseModel):
    rung: str
    n: int
    """Items both runs answered in this rung."""
    metrics: list[MetricDelta]
    fixed: int
    """Items wrong in base and right in new."""
    broken: int
    """Items right in base and wrong in new."""
    fixed_items: list[Flip] = Field(default_factory=list)
    broken_items: list[Flip] = Field(default_factory=list)
    """The first few of each, in eval order."""

    @property
    def regressed(self) -> bool:
        return any(m.verdict == "worse" for m in self.metrics)


class RunComparison(BaseModel):
    base: str
    new: str
    scenario: str
    confidence: float
    margin: float
    rungs: list[RungDelta]
    added: list[str] = Field(default_factory=list)
    """Item ids in the new run only: not compared."""
    dropped: list[str] = Field(default_factory=list)
    """Item ids in the base run only: not compared."""
    only_base: list[str] = Field(default_factory=list)
    """Rungs measured in the base run only."""
    only_new: list[str] = Field(default_factory=list)
    data_changed: list[str] = Field(default_factory=list)
    """Data files whose hash differs between the runs."""

    @property
    def regressed(self) -> bool:
        """The gate: some rung is worse by more than the margin, significantly."""
        return any(r.regressed for r in self.rungs)


def load_run(path: str | Path) -> tuple[RunRecord, list[smp.Sample]]:
    """A run's record and samples from its folder or its run.json."""
    folder = smp.run_folder(path)
    record = load_record(folder / "run.json")
    found = for_record(record, folder)
    if not found and record.measured:
        raise InputError(
            Problem(
                "the run folder has no samples to compare",
                file=folder / smp.FOLDER,
                fix="pass the folder `advisor run --out DIR` wrote, samples/ included",
            )
        )
    return record, [s for s in found if s.repeat == 0]


def compare_runs(base: str | Path, new: str | Path, margin: float = 0.0, confidence: float | None = None) -> RunComparison:
    """Compare two runs (folders or run.json files); confidence defaults to the new run's scenario's."""
    base_record, base_samples = load_run(base)
    new_record, new_samples = load_run(new)
    return compare_samples(
        base_samples,
        new_samples,
        margin,
        confidence or new_record.confidence,
        base=str(base),
        new=str(new),
        scenario=new_record.scenario,
        data_changed=sorted(k for k, v in new_record.data_sha256.items() if base_record.data_sha256.get(k, v) != v),
    )


def compare_samples(
    base_samples: list[smp.Sample], new_samples: list[smp.Sample], margin: float, confidence: float, **about: Any
) -> RunComparison:
    """The comparison of two runs' samples, rung by rung on the items they share by id; `about` holds the comparison's
    other fields (base, new, scenario, data_changed)."""
    by_rung_base, by_rung_new = _by_rung(base_samples), _by_rung(new_samples)
    base_ids, new_ids = _ids(base_samples), _ids(new_samples)
    rungs = [
        _rung(name, by_rung_base[name], by_rung_new[name], margin, confidence) for name in _ordered(by_rung_base) if name in by_rung_new
    ]
    return RunComparison(
        confidence=confidence,
        margin=margin,
        rungs=rungs,
        added=[i for i in new_ids if i not in base_ids],
        dropped=[i for i in base_ids if i not in new_ids],
        only_base=[r for r in _ordered(by_rung_base) if r not in by_rung_new],
        only_new=[r for r in _ordered(by_rung_new) if r not in by_rung_base],
        **about,
    )


def _by_rung(samples: list[smp.Sample]) -> dict[str, dict[str, smp.Sample]]:
    out: dict[str, dict[str, smp.Sample]] = {}
    for s in samples:
        out.setdefault(s.rung, {})[s.id] = s
    return out


def _ids(samples: list[smp.Sample]) -> list[str]:
    return list(dict.fromkeys(s.id for s in samples))


def _ordered(rungs: dict) -> list[str]:
    return sorted(rungs, key=ladder_position)


def _value(sample: smp.Sample, metric: str) -> float:
    return float(sample.format_valid) if metric == "format_valid" else sample.score


def _rung(name: str, base: dict[str, smp.Sample], new: dict[str, smp.Sample], margin: float, confidence: float) -> RungDelta:
    ids = [i for i in base if i in new]
    metrics = []
    for metric in METRICS:
        a, b = [_value(base[i], metric) for i in ids], [_value(new[i], metric) for i in ids]
        test = noninferiority(a, b, margin, confidence)
        metrics.append(
            MetricDelta(
                metric=metric,
                n=len(ids),
                base=sum(a) / len(ids) if ids else 0.0,
                new=sum(b) / len(ids) if ids else 0.0,
                diff=test.diff.value,
                lower=test.diff.lower,
                upper=test.diff.upper,
                test=test.test,
                p_worse=test.p_worse,
                verdict=test.verdict,
            )
        )
    fixed = [i for i in ids if new[i].score > base[i].score]
    broken = [i for i in ids if new[i].score < base[i].score]
    return RungDelta(
        rung=name,
        n=len(ids),
        metrics=metrics,
        fixed=len(fixed),
        broken=len(broken),
        fixed_items=[_flip(base[i], new[i]) for i in fixed[:SHOWN_FLIPS]],
        broken_items=[_flip(base[i], new[i]) for i in broken[:SHOWN_FLIPS]],
    )


def _flip(base: smp.Sample, new: smp.Sample) -> Flip:
    return Flip(id=new.id, input=new.input or base.input, expected=new.expected, base_output=base.output, new_output=new.output)
