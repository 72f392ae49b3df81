"""The numbers every report shows, formatted once so the terminal, Markdown, HTML and JUnit agree."""

from __future__ import annotations

import math

from advisor.decide.decision import p_text
from advisor.record.run import Comparison, MetricValue, RungResult, RunRecord, Training
from advisor.registry import get_rung, rung_title
from advisor.scenario.metrics import RATE_METRICS
from advisor.scenario.schema import Target

DASH = "—"
COMPARISON_HEADER = ["Rung", "Against", "Items", "Difference", "Test", "p (Holm)", "p (raw)"]
"""The columns of the paired tests table (`comparison_cells`)."""


def title(name: str | None) -> str:
    """A rung's name as people say it (few-shot, RAG)."""
    return rung_title(name) if name else "none"


def short_model(model: str | None) -> str:
    """A model as a table cell: the name after '#' or 'openai:', a local folder's last part."""
    if not model:
        return DASH
    from pathlib import PurePath

    from evals.backends.spec import ModelSpec

    spec = ModelSpec.parse(model)
    return PurePath(spec.name).name if spec.name else spec.host or model


def models_text(record: RunRecord) -> str:
    """'model X', or 'models X, Y' for a run across models."""
    return "models " + ", ".join(record.models) if record.models else f"model {record.model}"


def rung_label(rung: RungResult, record: RunRecord) -> str:
    """A rung's row title: its name, after its model's when the run compared models."""
    return f"{short_model(rung.model)} · {title(rung.name)}" if record.models else title(rung.name)


def against_label(comparison: Comparison) -> str:
    """The other side of a paired test: a rung, or a cell of another model."""
    name = title(comparison.against)
    return f"{short_model(comparison.against_model)} · {name}" if comparison.against_model else name


def comparison_cells(rung: RungResult, c: Comparison, record: RunRecord) -> list[str]:
    """One row of the paired tests table, as text: the items (and why they are fewer), the difference, both p-values."""
    items = f"{c.n} ({c.note})" if c.note else str(c.n)
    holm = f"{c.p_holm:.3g}" if c.p_holm is not None else DASH
    return [rung_label(rung, record), against_label(c), items, f"{c.diff * 100:+.1f} pts", c.test, holm, f"{c.p_value:.3g}"]


def comparisons_note(record: RunRecord) -> str:
    """What the paired tests' p-values are, and on which items the tests ran."""
    tests = [c for r in record.measured for c in r.comparisons]
    if any(c.p_holm is None for c in tests):
        return "p-values are per comparison, not Holm-adjusted (a record written before the adjustment); each test pairs two rungs on the items both answered"
    text = (
        f"p (Holm) is adjusted for the run's {len(tests)} paired tests (Holm-Bonferroni) and is what the verdict reads; "
        "p (raw) is each test alone. Each test pairs two rungs on the items both answered"
    )
    topped = [r for r in record.measured if r.stopping and r.stopping.topped_up]
    if topped:
        text += (
            ", after the rungs that stopped early were asked the recommended rung's items ("
            + ", ".join(f"{title(r.name)} {r.stopping.topped_up} more" for r in topped if r.stopping)
            + ")"
        )
    return text


def is_chosen(rung: RungResult, record: RunRecord) -> bool:
    """The recommended cell: its rung, and its model when the run compared models."""
    rec = record.recommendation
    return rung.name == rec.rung and (not record.models or rung.model == rec.model)


def recommended(record: RunRecord) -> str:
    """The recommended rung as a heading says it (with its model when the run compared models); 'none' for none."""
    rec = record.recommendation
    return f"{title(rec.rung)} on {short_model(rec.model)}" if rec.rung and record.models else title(rec.rung)


def verdict(record: RunRecord) -> str:
    """PASS when the recommended rung meets every target (the gate), FAIL when not, ERROR when the backend failed."""
    if record.backend_failure:
        return "ERROR"
    return "PASS" if record.passed else "FAIL"


def alerts(record: RunRecord) -> list[str]:
    """What a reader must see before trusting the numbers: a backend failure first, then the warnings."""
    failure = [f"Backend failure: {record.backend_failure}; the numbers are incomplete."] if record.backend_failure else []
    return failure + list(record.warnings)


def target_text(target: Target) -> str:
    """`accuracy >= 0.9`, with bounds written as the user wrote them (no trailing .0)."""
    return f"{target.metric} >= {target.min:g}" if target.min is not None else f"{target.metric} <= {target.max:g}"


def metric_columns(record: RunRecord) -> list[str]:
    """Quality metrics worth a column: accuracy, the rate targets, format validity, then json field accuracy and RAG's
    recall, grounding and citation recall."""
    measured = {name for rung in record.measured for name in rung.metrics}
    wanted = [
        "accuracy",
        *(t.metric for t in record.targets if t.metric in RATE_METRICS),
        "format_valid",
        "field_accuracy",
        "recall_at_k",
        "grounded",
        "citation_recall",
    ]
    columns: list[str] = []
    for name in wanted:
        if name not in columns and (name in measured or any(t.metric == name for t in record.targets)):
            columns.append(name)
    return columns


def primary_metric(record: RunRecord) -> str | None:
    """The quality axis of the cost plot: accuracy when measured, else the first metric column."""
    columns = metric_columns(record)
    return columns[0] if columns else None


def number(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return f"{value:.{digits}f}"


def metric(value: MetricValue | None) -> str:
    """`0.850 [0.790, 0.900]`."""
    if value is None or math.isnan(value.value):
        return DASH
    return f"{value.value:.3f} [{number(value.lower)}, {number(value.upper)}]"


AFTER_UPDATE = "after the update"
"""The column of each rung's primary metric asked again after the knowledge changed (`data.knowledge_update`)."""


def update_columns(record: RunRecord) -> list[str]:
    """[AFTER_UPDATE] when some rung was asked again after a knowledge update, else none."""
    return [AFTER_UPDATE] if any(r.update for r in record.measured) else []


def after_update(rung: RungResult, record: RunRecord) -> str:
    """`0.100 [0.040, 0.230] (-72 pts)`: the primary metric after the update, and its paired change on the same ids."""
    update, name = rung.update, primary_metric(record)
    if update is None or name is None:
        return DASH
    change = f" ({update.change.diff * 100:+.0f} pts)" if update.change else ""
    return metric(update.metrics.get(name)) + change


def update_sentences(record: RunRecord) -> list[str]:
    """One line per rung asked after the update: before → after on the same questions, and its paired test."""
    out = []
    for rung in record.measured:
        update = rung.update
        if update is None:
            continue
        line = f"{title(rung.name)}: {update.n} questions after the update"
        if update.change is not None and update.before is not None and (after := update.paired_after) is not None:
            c = update.change
            line += f", {update.before:.2f} → {after:.2f} on the {c.n} asked before ({c.test}, {p_text(c)})"
        line += "".join(f"; vs {against_label(c)} {c.diff * 100:+.0f} pts ({c.test}, {p_text(c)})" for c in update.comparisons)
        found = [ch for ch in rung.checks if ch.after_update]
        line += "; " + "; ".join(f"{target_text(ch.target)} {ch.reason}" for ch in found) if found else ""
        out.append(line + (f" ({update.note})" if update.note else ""))
    return out


def latency(rung: RungResult) -> str:
    """p50 / p95 in milliseconds, and those of the time to the first token where the calls streamed."""
    if rung.status != "measured" or not rung.latency_ms:
        return DASH
    ms = rung.latency_ms
    first = f" · TTFT {number(ms['ttft_p50'], 0)} / {number(ms.get('ttft_p95'), 0)}" if "ttft_p50" in ms else ""
    pace = f" · {rung.throughput['items_per_s']:.1f}/s" if rung.throughput else ""
    return f"{number(ms.get('p50'), 0)} / {number(ms.get('p95'), 0)}{first}{pace}"


def latency_note(record: RunRecord) -> str | None:
    """How the latency column was measured, when a probe measured it."""
    probed = [r for r in record.measured if r.latency_from == "probe"]
    if not probed:
        return None
    paced = next((r.throughput for r in record.measured if r.throughput), None)
    pace = f"; /s: items per second during the run at concurrency {paced['concurrency']:.0f}" if paced else ""
    first = "; TTFT: p50 / p95 time to the first token of a streamed answer" if any("ttft_p50" in r.latency_ms for r in probed) else ""
    return (
        f"p50 / p95: {probed[0].latency_ms.get('n', 0):.0f} calls one at a time after a warm-up, as a user would wait for them{first}{pace}"
    )


def tokens(rung: RungResult) -> str:
    """Mean input / output tokens per call."""
    if rung.status != "measured" or not rung.tokens_per_call:
        return DASH
    return f"{number(rung.tokens_per_call.get('input'), 0)} / {number(rung.tokens_per_call.get('output'), 0)}"


def money(value: float | None) -> str:
    """$1,234.56 for large sums, three significant digits below a dollar, $0 when free."""
    if value is None or math.isnan(value):
        return DASH
    if value == 0:
        return "$0"
    return f"${value:,.2f}" if value >= 1 else f"${value:.3g}"


def status(rung: RungResult) -> str:
    if rung.status == "measured":
        return "measured" + (f" ({rung.errors} errors)" if rung.errors else "") + stopped(rung)
    return f"skipped: {rung.skip_reason}" if rung.skip_reason else "skipped"


def stopped(rung: RungResult) -> str:
    """', decided after 40 of 120' when sequential stopping spared the rest of the eval set (and how many items it
    was asked afterwards for the paired tests)."""
    s = rung.stopping
    if not s or s.used >= s.available:
        return ""
    return f", decided after {s.used} of {s.available}" + (f" (+{s.topped_up} for the paired tests)" if s.topped_up else "")


def meets(rung: RungResult, ok: str = "✓", bad: str = "✗") -> str:
    if rung.status != "measured" or rung.meets_targets is None:
        return DASH
    return ok if rung.meets_targets else bad


def training_facts(rung: RungResult) -> list[tuple[str, str]]:
    """(label, value) pairs describing a fine-tune, only those the record has."""
    t = rung.training
    if t is None:
        return []
    share = f" ({t.trainable_share:.2%} of the model)" if t.trainable_share is not None else ""
    facts = [
        ("method", t.method + (f" → {t.model_id}" if t.model_id else "")),
        ("trainable parameters", f"{t.trainable_params:,}{share}" if t.trainable_params is not None else None),
        ("trained tokens", f"{t.train_tokens:,}" if t.train_tokens is not None else None),
        ("time", f"{t.seconds:,.0f} s" + (f" ({t.tokens_per_s:,.0f} tokens/s)" if t.tokens_per_s else "")),
        ("padding waste", f"{t.padding_waste:.0%}" if t.padding_waste is not None else None),
        ("epochs planned", f"{t.epochs:g}" if t.epochs is not None else None),
        ("final loss (train / val)", f"{number(t.final_train_loss)} / {number(t.final_val_loss)}"),
        ("kept", _kept(t)),
        ("stopped early", "yes" if t.stopped_early else None),
        ("training cost", money(t.cost_usd)),
        ("overfitting", t.overfitting_warning),
        ("undertrained", t.undertrained_note.removeprefix("undertrained: ") if t.undertrained_note else None),
    ]
    return [(label, value) for label, value in facts if value]


def _kept(t: Training) -> str | None:
    """The checkpoint kept and its validation score, e.g. 'step 60 (val score 0.967)'."""
    if t.best_step is None:
        return None
    return f"step {t.best_step}" + (f" (val score {t.best_val_score:.3f})" if t.best_val_score is not None else "")


def distill_sentence(rung: RungResult) -> str | None:
    """What the distillation's teacher scored on eval and how many of its labels the student trained on."""
    d = rung.distill
    if d is None:
        return None
    scores = "; ".join(f"{name} {metric(value)}" for name, value in d.teacher_metrics.items() if name in ("accuracy", "format_valid"))
    verdict = "meets every target" if d.teacher_meets_targets else "misses a target, so it labeled nothing"
    said = f"Teacher {d.teacher} on eval, zero-shot: {scores}; it {verdict}."
    if d.inputs:
        said += f" It labeled {d.inputs} inputs: {d.labeled} kept, {d.invalid} dropped by the format check, {d.failed} failed calls."
    return said


def forgetting_sentence(rung: RungResult) -> str | None:
    """One line: base vs adapter on the general-ability canaries, and whether the drop is flagged."""
    f = rung.forgetting
    if f is None:
        return None
    change = f"{f.change.value * 100:+.1f} points [{f.change.lower * 100:+.1f}, {f.change.upper * 100:+.1f}]"
    flag = "flagged: the adapter lost general ability" if f.flagged else "not flagged"
    return (
        f"General ability (canary tasks): base {f.base.value:.3f} → adapter {f.adapter.value:.3f}, "
        f"change {change}; threshold -{f.threshold * 100:g} points, {flag}."
    )


def forgetting_rows(rung: RungResult) -> tuple[list[str], list[list[str]]]:
    """Per canary task: (column names, rows) with every number the record holds."""
    tasks = rung.forgetting.tasks if rung.forgetting else {}
    keys = {key for values in tasks.values() for key in values}
    columns = [k for k in ("base", "adapter") if k in keys] + sorted(keys - {"base", "adapter"})

    def cell(column: str, value: float | None) -> str:
        return f"{value:.0f}" if column == "n" and value is not None else number(value)

    return columns, [[task, *(cell(c, values.get(c)) for c in columns)] for task, values in tasks.items()]


VARIANT_COLUMNS = [
    "method",
    "accuracy",
    "trainable parameters",
    "training time",
    "peak memory",
    "artifact",
    "forgetting change",
    "vs cheaper",
    "reported",
]


def variant_rows(rung: RungResult) -> list[list[str]]:
    """One row per fine-tune variant of `finetune.compare`, in the order of VARIANT_COLUMNS."""
    rows = []
    for v in rung.variants:
        t, f = v.training, v.forgetting
        versus = f"{v.diff * 100:+.1f} pts vs {v.against}, {v.test} p={v.p_value:.3g}" if v.against and v.diff is not None else DASH
        rows.append(
            [
                v.method,
                metric(v.metrics.get("accuracy")),
                f"{t.trainable_params:,}" if t and t.trainable_params is not None else DASH,
                f"{t.seconds:,.0f} s" if t else DASH,
                f"{t.peak_rss_mb / 1e3:.2f} GB" if t and t.peak_rss_mb else DASH,
                f"{t.artifact_mb:,.1f} MB" if t and t.artifact_mb else DASH,
                f"{f.change.value * 100:+.1f} pts" + (" (flagged)" if f.flagged else "") if f else DASH,
                versus,
                "✓" if v.chosen else "",
            ]
        )
    return rows


def rung_sections(record: RunRecord) -> list[tuple[str, list[str]]]:
    """(title, sentences) of each measured rung whose registered `summary` has something to say of it."""
    found = []
    for rung in record.measured:
        registered = get_rung(rung.name)
        lines = registered.summary(rung) if registered and registered.summary else []
        if lines:
            found.append((rung_label(rung, record), lines))
    return found
