"""report.html: one self-contained page (inline CSS, plots as base64 PNG) with the verdict on top."""

from __future__ import annotations

import base64
from html import escape

from advisor.record.run import RungResult, RunRecord

from . import _curve, _frontier, _rag, cells
from . import _plots as plots
from ._html_style import CSS, REVIEW_CSS
from ._review import section as review_section
from ._search import candidate_rows, search_sentences, winner_instruction


def _list(items: list[str], tag: str = "ul", cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<{tag}{attr}>" + "".join(f"<li>{escape(i)}</li>" for i in items) + f"</{tag}>"


def _table(header: list[str], rows: list[str], text_cols: int = 1) -> str:
    heads = "".join(f"<th{' class=text' if i < text_cols else ''}>{escape(h)}</th>" for i, h in enumerate(header))
    return f'<div class="scroll"><table><thead><tr>{heads}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def _tr(cells_: list[str], cls: str = "", text_cols: int = 1) -> str:
    """A row whose first text_cols cells are left-aligned text; the last of those may wrap."""
    kinds = ["text wrap" if 0 < i == text_cols - 1 else "text" if i < text_cols else "" for i in range(len(cells_))]
    tds = "".join(f'<td class="{k}">{c}</td>' if k else f"<td>{c}</td>" for k, c in zip(kinds, cells_))
    return f'<tr class="{cls}">{tds}</tr>' if cls else f"<tr>{tds}</tr>"


def banner(record: RunRecord) -> str:
    word = cells.verdict(record)
    meta = (
        f"{cells.models_text(record)} · grader {record.grader} · targets "
        + ", ".join(cells.target_text(t) for t in record.targets)
        + f" at {record.confidence:.0%} confidence · {record.created}"
    )
    description = f"<p>{escape(record.description)}</p>" if record.description else ""
    return (
        f'<header class="banner {"pass" if word == "PASS" else "fail"}"><div class="verdict">{word}</div>'
        f"<div><h1>{escape(record.scenario)}</h1>{description}<p class=meta>{escape(meta)}</p></div></header>"
    )


def recommendation(record: RunRecord) -> str:
    rec = record.recommendation
    name = f"Recommended: {cells.recommended(record)}" if rec.rung else "No rung meets every target"
    steps = f"<h2>Next steps</h2>{_list(rec.next_steps, 'ol', 'steps')}" if rec.next_steps else ""
    return f'<section class="card"><div class="rec-name">{escape(name)}</div>{_list(rec.rationale, "ul", "rationale")}{steps}</section>'


def warnings(record: RunRecord) -> str:
    if not cells.alerts(record):
        return ""
    return f'<section class="card warn"><h2>Warnings</h2>{_list(cells.alerts(record))}</section>'


def rung_table(record: RunRecord) -> str:
    columns, update = cells.metric_columns(record), cells.update_columns(record)
    header = ["Rung", "Status", "n", *columns, *update, "p50 / p95 ms", "tokens in / out", "$ / 1M calls", "Meets targets"]
    note = cells.latency_note(record)
    after = f"<h3>After the knowledge update</h3>{_list(cells.update_sentences(record))}" if update else ""
    return (
        f'<section class="card"><h2>Rungs</h2>'
        f"{_table(header, [_rung_row(r, columns, record) for r in record.rungs], 2)}"
        f"{f'<p>{escape(note)}.</p>' if note else ''}{after}</section>"
    )


def _rung_row(rung: RungResult, columns: list[str], record: RunRecord) -> str:
    chosen = cells.is_chosen(rung, record)
    name = escape(cells.rung_label(rung, record)) + (' <span class="star">★</span>' if chosen else "")
    if rung.status != "measured":
        return _tr([name, escape(cells.status(rung)), *[cells.DASH] * (len(columns) + len(cells.update_columns(record)) + 5)], "skipped", 2)
    mark = f'<span class="{"ok" if rung.meets_targets else "bad"}">{cells.meets(rung)}</span>'
    values = [cells.metric(rung.metrics.get(c)) for c in columns] + [cells.after_update(rung, record) for _ in cells.update_columns(record)]
    values += [cells.latency(rung), cells.tokens(rung), cells.money(rung.cost_per_1m_calls_usd)]
    return _tr([name, escape(cells.status(rung)), str(rung.n), *map(escape, values), mark], "chosen" if chosen else "", 2)


def models(record: RunRecord) -> str:
    """The models x rungs matrix, the frontier table and the crossovers (a run across models only)."""
    found = _frontier.matrix(record)
    if found is None:
        return ""
    head, rows = found
    body = "<h2>Models × rungs</h2>" + _table(head, [_tr([escape(c) for c in row]) for row in rows])
    body += f"<p>{escape(_frontier.caption(record))}.</p><h2 class=gap>Cost–quality frontier</h2>"
    body += _table(_frontier.FRONTIER_COLUMNS, [_tr([escape(c) for c in row], text_cols=2) for row in _frontier.frontier_rows(record)], 2)
    return f'<section class="card">{body}{_list(_frontier.crossover_sentences(record))}</section>'


def figures(record: RunRecord) -> str:
    drawn = plots.figures(record)
    if not drawn:
        return ""
    items = []
    for i, (caption, png) in enumerate(drawn):
        data = base64.b64encode(png).decode("ascii")
        items.append(
            f'<figure{" class=wide" if i == 0 else ""}><img alt="{escape(caption)}" '
            f'src="data:image/png;base64,{data}"><figcaption>{escape(caption)}</figcaption></figure>'
        )
    return f'<section class="card"><h2>Plots</h2><div class="figures">{"".join(items)}</div></section>'


def training(record: RunRecord) -> str:
    """Fine-tune facts and the forgetting check of each rung that has them."""
    parts = []
    for rung in record.rungs:
        facts = cells.training_facts(rung)
        sentence, taught = cells.forgetting_sentence(rung), cells.distill_sentence(rung)
        if not facts and not sentence and not rung.variants and not taught:
            continue
        dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
        body = f'<h2>Training: {escape(cells.rung_label(rung, record))}</h2><dl class="facts">{dl}</dl>' if facts else ""
        body += f"<h2>Distillation</h2><p>{escape(taught)}</p>" if taught else ""
        if sentence:
            cls = "bad" if rung.forgetting and rung.forgetting.flagged else ""
            body += f'<h2>Forgetting check</h2><p class="{cls}">{escape(sentence)}</p>'
            columns, rows = cells.forgetting_rows(rung)
            if rows:
                body += _table(["task", *columns], [_tr([escape(c) for c in row]) for row in rows])
        if rung.variants:
            body += "<h2>Fine-tune variants (same eval items)</h2>" + _table(
                cells.VARIANT_COLUMNS, [_tr([escape(c) for c in row]) for row in cells.variant_rows(rung)]
            )
        parts.append(f'<section class="card">{body}</section>')
    return "".join(parts)


def search(record: RunRecord) -> str:
    """The prompt search: candidates, calls, the winner's prompt, the overfitting guard."""
    parts = []
    for rung in record.rungs:
        if rung.search is None:
            continue
        sentences = search_sentences(rung)
        body = "<h2>Prompt search</h2>" + _list(sentences)
        if rung.search.overfit:
            body += f'<p class="bad">{escape(sentences[-1])}</p>'
        body += (
            f"<h2 class=gap>Winner's instruction</h2><pre>{escape(winner_instruction(rung) or '(the data’s own system messages)')}</pre>"
        )
        header_, rows = candidate_rows(rung)
        body += _table(header_, [_tr([escape(c) for c in row]) for row in rows])
        parts.append(f'<section class="card">{body}</section>')
    return "".join(parts)


def checks(record: RunRecord) -> str:
    rows = [
        _tr(
            [
                escape(cells.rung_label(r, record)),
                escape(cells.target_text(c.target)),
                f'<span class="{"ok" if c.passed else "bad"}">{"pass" if c.passed else "miss"}</span>',
                escape(c.reason),
            ],
            text_cols=4,
        )
        for r in record.measured
        for c in r.checks
    ]
    pairs = [
        _tr([escape(text) for text in cells.comparison_cells(r, c, record)], text_cols=3) for r in record.measured for c in r.comparisons
    ]
    if not rows:
        return ""
    body = "<h2>Target checks</h2>" + _table(["Rung", "Target", "Result", "Check"], rows, 4)
    if pairs:
        body += "<h2 class=gap>Paired tests</h2>" + _table(cells.COMPARISON_HEADER, pairs, 3)
        body += f"<p>{escape(cells.comparisons_note(record))}.</p>"
    return f'<section class="card">{body}</section>'


def footer(record: RunRecord) -> str:
    hashes = ", ".join(f"{k} {v[:12]}" for k, v in record.data_sha256.items())
    bits = [
        f"run record v{record.version}",
        f"{record.seconds:,.0f} s",
        record.scenario_path or "",
        f"scenario {record.scenario_sha256[:12]}" if record.scenario_sha256 else "",
        f"data {hashes}" if hashes else "",
    ]
    return f"<footer>{escape(' · '.join(b for b in bits if b))}</footer>"


def learning_curve(record: RunRecord) -> str:
    found = _curve.lines(record)
    if not found:
        return ""
    return '<section class="card"><h2>Learning curve</h2>' + "".join(f"<p>{escape(line)}</p>" for line in found) + "</section>"


def rung_sections(record: RunRecord) -> str:
    """Each rung's own section (its registered summary), as a card."""
    return "".join(
        f'<section class="card"><h2>{escape(title)}</h2>{_list(sentences)}</section>' for title, sentences in cells.rung_sections(record)
    )


def render(record: RunRecord, samples: list | None = None) -> str:
    """The whole report.html; with the run's samples (advisor.record.samples.Sample) it ends with the per-item review."""
    body = "".join(
        [
            banner(record),
            recommendation(record),
            warnings(record),
            rung_table(record),
            models(record),
            figures(record),
            _rag.html(record),
            training(record),
            learning_curve(record),
            search(record),
            rung_sections(record),
            checks(record),
            review_section(samples or []),
            footer(record),
        ]
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>advisor · {escape(record.scenario)} · {cells.verdict(record)}</title>"
        f"<style>{CSS}{REVIEW_CSS}</style></head><body><main>{body}</main></body></html>\n"
    )
