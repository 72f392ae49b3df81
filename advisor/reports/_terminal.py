"""The terminal summary: one rich table of the rungs, then the recommendation and the warnings."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from advisor.record.run import RungResult, RunRecord

from . import _curve, _frontier, cells
from ._search import search_sentences


def rung_table(record: RunRecord) -> Table:
    """One row per rung with every number the recommendation rests on; skip reasons and errors go below it."""
    columns = cells.metric_columns(record)
    notes = [f"{cells.title(r.name)} {cells.status(r)}" for r in record.rungs if r.status != "measured" or r.errors or cells.stopped(r)]
    notes += [note] if (note := cells.latency_note(record)) else []
    # Text, not str: user text must not be read as rich markup.
    table = Table(
        title=Text(f"{record.scenario} · {', '.join(record.models) or record.model}", style="bold"),
        title_justify="left",
        caption=Text("\n".join(notes), style="dim") if notes else None,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
    )
    table.add_column("rung", style="bold", no_wrap=True)
    table.add_column("n", justify="right")
    for name in columns:
        table.add_column(name, justify="right", min_width=7)  # "[0.957," at least: wrapped, never cut
    for name in cells.update_columns(record):
        table.add_column(name, justify="right", min_width=7)
    for header in ("p50/p95 ms", "tok in/out", "$/1M calls"):
        table.add_column(header, justify="right")
    table.add_column("meets", justify="center")
    for rung in record.rungs:
        table.add_row(*_row(rung, columns, record))
    return table


def _row(rung: RungResult, columns: list[str], record: RunRecord) -> list[str | Text]:
    name = cells.rung_label(rung, record) + (" ★" if cells.is_chosen(rung, record) else "")
    if rung.status != "measured":
        return [Text(name, style="dim"), cells.DASH, *[cells.DASH] * (len(columns) + len(cells.update_columns(record)) + 4)]
    return [
        name,
        str(rung.n),
        *(_metric(rung, c) for c in columns),
        *(_two_lines(cells.after_update(rung, record)) for _ in cells.update_columns(record)),
        cells.latency(rung),
        cells.tokens(rung),
        cells.money(rung.cost_per_1m_calls_usd),
        Text(cells.meets(rung), style="green" if rung.meets_targets else "red"),
    ]


def _metric(rung: RungResult, name: str) -> str:
    """Value over interval, two lines, so the table fits 100 columns."""
    return _two_lines(cells.metric(rung.metrics.get(name)))


def _two_lines(text: str) -> str:
    value, _, rest = text.partition(" ")
    return f"{value}\n{rest}" if rest else value


def _bullets(mark: str, lines: list[str], style: str = "") -> Table:
    """Lines with a hanging indent, so wrapped text stays clear of the bullet."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right")
    grid.add_column()
    for line in lines:
        grid.add_row(Text(mark, style=style), Text(line, style=style))
    return grid


def recommendation(record: RunRecord) -> Group:
    """The verdict, the recommended rung, why, and what to do next."""
    rec = record.recommendation
    word = cells.verdict(record)
    head = Text.assemble(
        ("Verdict: ", "bold"),
        (word, "bold green" if word == "PASS" else "bold red"),
        ("  ·  Recommendation: ", "bold"),
        (cells.recommended(record) if rec.rung else "no rung", "bold"),
    )
    parts: list = [head, _bullets("•", rec.rationale)]
    if rec.next_steps:
        parts += [Text("Next steps:", style="bold"), _bullets("→", rec.next_steps)]
    return Group(*parts)


def warnings(record: RunRecord) -> Group | None:
    if not cells.alerts(record):
        return None
    return Group(Text("Warnings:", style="bold yellow"), _bullets("!", cells.alerts(record), "yellow"))


def training(record: RunRecord) -> Group | None:
    """What each fine-tune cost and whether it lost general ability."""
    lines: list = []
    for rung in record.rungs:
        facts = cells.training_facts(rung)
        if facts:
            lines.append(Text.assemble((f"Training ({cells.title(rung.name)}): ", "bold"), " · ".join(f"{k} {v}" for k, v in facts)))
        if taught := cells.distill_sentence(rung):
            lines.append(Text.assemble(("Distillation: ", "bold"), taught))
        sentence = cells.forgetting_sentence(rung)
        if sentence:
            lines.append(Text(sentence, style="yellow" if rung.forgetting and rung.forgetting.flagged else ""))
        if rung.variants:
            variants = Table(*cells.VARIANT_COLUMNS, title="Fine-tune variants (same eval items)", title_justify="left")
            for row in cells.variant_rows(rung):
                variants.add_row(*row)
            lines.append(variants)
        lines += _search_lines(rung)
    curve = _curve.lines(record)
    if curve:
        lines += [Text.assemble(("Learning curve: ", "bold"), curve[0]), Text(curve[1]), Text(curve[2])]
    return Group(*lines) if lines else None


def _search_lines(rung: RungResult) -> list[Text]:
    said = search_sentences(rung)
    if not said:
        return []
    style = "yellow" if rung.search and rung.search.overfit else ""
    return [Text.assemble(("Prompt search: ", "bold"), said[0])] + [Text(s, style=style) for s in said[1:]]


def model_matrix(record: RunRecord) -> Table | None:
    """Models x rungs, compact: each cell's quality lower bound, its cost per 1M calls at the volume, ✓/✗, ★."""
    found = _frontier.matrix(record)
    if found is None:
        return None
    head, rows = found
    table = Table(*head, box=box.SIMPLE_HEAD, caption=Text(_frontier.caption(record), style="dim"), caption_justify="left")
    for row in rows:
        table.add_row(*(Text(c) for c in row))
    return table


def summary(record: RunRecord) -> Group:
    """Everything the terminal shows after a run, as one renderable."""
    parts: list[RenderableType] = [rung_table(record), Text("")]
    grid = model_matrix(record)
    if grid is not None:
        parts += [grid, *(Text(s) for s in _frontier.crossover_sentences(record)), Text("")]
    tuned = training(record)
    if tuned is not None:
        parts += [tuned, Text("")]
    parts.append(recommendation(record))
    extra = warnings(record)
    if extra is not None:
        parts += [Text(""), extra]
    return Group(*parts)


def print_summary(record: RunRecord, console: Console) -> None:
    """Print the summary; a Console(no_color=True) gives the plain --ci form."""
    console.print(summary(record))


def render_text(record: RunRecord, width: int = 120) -> str:
    """The summary as plain text without colour codes."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, force_terminal=False, highlight=False)
    print_summary(record, console)
    return buffer.getvalue()
