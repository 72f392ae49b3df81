"""The results of a run, drawn from its RunRecord: the verdict, the rung table, the rationale, the loss and learning curves."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Label, Sparkline, Static

from advisor.decide.decision import closest
from advisor.record.run import RungResult, RunRecord

from ...reports import cells, curve_fit_text
from ...reports import model_matrix as matrix


class RungTable(DataTable):
    """One row per rung: metrics over their intervals, latency, cost per 1M calls and whether it meets the targets."""

    def __init__(self, record: RunRecord, **kwargs: Any):
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.record = record

    def on_mount(self) -> None:
        columns = cells.metric_columns(self.record)
        self.add_columns("rung", *columns, "p50/p95 ms", "$/1M calls", "meets")
        for rung in self.record.rungs:
            self.add_row(*self._cells(rung, columns), height=2 if rung.status == "measured" else 1, key=row_key(rung, self.record))
        measured = self.record.measured
        rec = self.record.recommendation
        chosen = next((r for r in measured if cells.is_chosen(r, self.record)), None) if rec.rung else None
        chosen = chosen or (closest(measured) if measured else None)
        if chosen is not None:  # the recommended rung, or the one that came closest
            self.move_cursor(row=self.get_row_index(row_key(chosen, self.record)))

    def _cells(self, rung: RungResult, columns: list[str]) -> list[Text | str]:
        label = cells.rung_label(rung, self.record)
        if rung.status != "measured":
            return [Text(label, style="dim"), *[cells.DASH] * (len(columns) + 2), Text("skip", style="dim")]
        chosen = cells.is_chosen(rung, self.record)
        name = Text.assemble((label + (" ★" if chosen else ""), "bold" if chosen else ""), (f"\nn {rung.n}", "dim"))
        metrics = [Text(cells.metric(rung.metrics.get(c)).replace(" ", "\n", 1), justify="right") for c in columns]
        mark = Text(cells.meets(rung), style="green" if rung.meets_targets else "red", justify="center")
        return [
            name,
            *metrics,
            Text(cells.latency(rung), justify="right"),
            Text(cells.money(rung.cost_per_1m_calls_usd), justify="right"),
            mark,
        ]


def row_key(rung: RungResult, record: RunRecord) -> str:
    """A row's key: the rung's name, and its model's when the run compared models ('MODEL|RUNG')."""
    return f"{rung.model}|{rung.name}" if record.models else rung.name


def model_matrix(record: RunRecord) -> Static | None:
    """Models x rungs (a run across models only): each cell's quality lower bound and cost per 1M calls at the volume."""
    import io

    from rich.console import Console

    table = matrix(record)
    if table is None:
        return None
    buffer = io.StringIO()
    Console(file=buffer, width=100, no_color=True, highlight=False).print(table)
    return Static(buffer.getvalue().rstrip(), id="matrix", markup=False)


def verdict(record: RunRecord) -> Content:
    """One line: PASS or FAIL, and the rung to use."""
    word = cells.verdict(record)
    rung = cells.recommended(record) if record.recommendation.rung else "no rung meets the targets"
    return Content.from_markup(
        f"[b reverse {'$success' if word == 'PASS' else '$error'}] $word [/]  [b]Recommendation:[/] [b $accent]$rung[/]",
        word=word,
        rung=rung,
    )


def checks(record: RunRecord, key: str) -> Content:
    """Why one rung (a row key, see `row_key`) meets the targets or not: each target check, or why it was skipped."""
    model, _, name = key.rpartition("|")
    rung = record.rung(name, model or None)
    title = cells.rung_label(rung, record) if rung is not None else cells.title(name)
    if rung is None or rung.status != "measured":
        reason = rung.skip_reason if rung is not None else None
        return Content.from_markup("[b]$rung[/] [dim]skipped: $reason[/]", rung=title, reason=reason or "")
    lines = [Content.from_markup("[b]$rung[/] [dim]against the targets[/]", rung=title)]
    for check in rung.checks:
        mark = "[$success]✓[/]" if check.passed else "[$error]✗[/]"
        lines.append(Content.from_markup(f"{mark} $target [dim]$reason[/]", target=cells.target_text(check.target), reason=check.reason))
    return Content("\n").join(lines)


def rationale(record: RunRecord) -> Content:
    """The recommendation's reasons and the next steps."""
    rec = record.recommendation
    lines = [Content.from_markup("[dim]•[/] $line", line=line) for line in rec.rationale]
    if rec.next_steps:
        lines += [Content.from_markup("[b]Next steps[/]")]
        lines += [Content.from_markup("[dim]→[/] $line", line=line) for line in rec.next_steps]
    return Content("\n").join(lines)


def warnings(record: RunRecord) -> Content | None:
    """What to know before trusting the numbers (backend failure, sample size, leakage)."""
    alerts = cells.alerts(record)
    if not alerts:
        return None
    return Content("\n").join(Content.from_markup("[$warning]![/] $line", line=line) for line in alerts)


class LossCurve(Vertical):
    """The fine-tune's training loss as a sparkline, with where it started and ended."""

    def __init__(self, rung: RungResult, **kwargs: Any):
        super().__init__(**kwargs)
        self.rung = rung

    def compose(self) -> ComposeResult:
        training = self.rung.training
        assert training is not None  # shown only for a rung that trained
        losses = [float(p["loss"]) for p in training.curve if p.get("loss") is not None]
        val = f", validation {cells.number(training.final_val_loss)}" if training.final_val_loss is not None else ""
        yield Label(
            Content.from_markup(
                "[b]Training loss[/] [dim]$first → $last over $steps logged steps$val[/]",
                first=cells.number(losses[0]) if losses else cells.DASH,
                last=cells.number(losses[-1]) if losses else cells.DASH,
                steps=str(len(losses)),
                val=val,
            )
        )
        yield Sparkline(losses, id="loss")


def fine_tune(record: RunRecord) -> RungResult | None:
    """The measured fine-tune with a training curve, if the run has one."""
    rung = next((r for r in record.rungs if r.name == "finetune" and r.status == "measured"), None) or record.rung("finetune")
    return rung if rung is not None and rung.training is not None and rung.training.curve else None


def facts(rung: RungResult) -> Static:
    """The fine-tune's costs and settings, one `label value` pair a line."""
    pairs = cells.training_facts(rung)
    return Static(Content("\n").join(Content.from_markup("[dim]$k[/] $v", k=k, v=v) for k, v in pairs), classes="facts")


def learning_curve(record: RunRecord) -> Content | None:
    """The fine-tune at each share of train as a small table, then the fit and the forecast; None without a curve."""
    curve = record.learning_curve
    if curve is None:
        return None
    rows = [f"{p.n:>14,}  {p.value:>9.3f}  [{p.lower:.3f}, {p.upper:.3f}]" for p in curve.points]
    return Content("\n").join(
        [
            Content.from_markup("[b]Learning curve[/] [dim]the fine-tune on shares of train, scored on the same eval items[/]"),
            Content.from_markup("[dim]$head[/]", head=f"{'train examples':>14}  {curve.metric[:9]:>9}  interval"),
            *(Content(row) for row in rows),
            Content(curve_fit_text(curve)),
            Content.from_markup("[b]$forecast[/]", forecast=curve.forecast),
        ]
    )
