"""report.md: a short GitHub-flavoured summary that fits a pull-request comment."""

from __future__ import annotations

import re

from advisor.record.run import RungResult, RunRecord

from . import _curve, _frontier, _rag, cells
from ._search import candidate_rows, search_sentences, winner_instruction


def esc(text: object) -> str:
    """Text safe inside Markdown: no raw HTML or entities, no table-breaking pipes or newlines.

    Only a `<` that could open a tag and an `&` that could start an entity are escaped, so that
    `lower bound 0.4 < 0.8` stays readable in the raw file.
    """
    text = re.sub(r"&(?=#?\w+;)", "&amp;", str(text))
    text = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def header(record: RunRecord) -> list[str]:
    word = cells.verdict(record)
    badge = {"PASS": "✅ PASS", "FAIL": "❌ FAIL"}.get(word, "⛔ ERROR")
    targets = ", ".join(f"`{cells.target_text(t)}`" for t in record.targets)
    lines = [f"## advisor · {esc(record.scenario)} · {badge}", ""]
    if record.description:
        lines += [f"_{esc(record.description)}_", ""]
    models = ", ".join(f"`{esc(m)}`" for m in record.models or [record.model])
    lines.append(
        f"Model{'s' * (len(record.models) > 1)} {models} · grader `{esc(record.grader)}` · targets {targets} at {record.confidence:.0%} confidence"
    )
    return lines + [""]


def rung_rows(record: RunRecord) -> list[str]:
    columns, update = cells.metric_columns(record), cells.update_columns(record)
    head = ["Rung", "Status", "n", *columns, *update, "p50 / p95 ms", "tokens in / out", "$ / 1M calls", "Meets targets"]
    note = cells.latency_note(record)
    rows = table(head, [_row(r, columns, record) for r in record.rungs]) + (["", f"_{note}._"] if note else [])
    return rows + (
        ["", "After the knowledge update:", ""] + [f"- {esc(line)}" for line in cells.update_sentences(record)] if update else []
    )


def _row(rung: RungResult, columns: list[str], record: RunRecord) -> list[str]:
    label = esc(cells.rung_label(rung, record))
    name = f"**{label}** ★" if cells.is_chosen(rung, record) else label
    if rung.status != "measured":
        return [name, esc(cells.status(rung)), *[cells.DASH] * (len(columns) + len(cells.update_columns(record)) + 5)]
    return [
        name,
        esc(cells.status(rung)),
        str(rung.n),
        *(cells.metric(rung.metrics.get(c)) for c in columns),
        *(cells.after_update(rung, record) for _ in cells.update_columns(record)),
        cells.latency(rung),
        cells.tokens(rung),
        cells.money(rung.cost_per_1m_calls_usd),
        cells.meets(rung, "✅", "❌"),
    ]


def recommendation(record: RunRecord) -> list[str]:
    rec = record.recommendation
    lines = [f"**Recommendation: {cells.recommended(record) if rec.rung else 'no rung meets the targets'}**", ""]
    lines += [f"- {esc(line)}" for line in rec.rationale]
    if rec.next_steps:
        lines += ["", "Next steps:", ""] + [f"- {esc(step)}" for step in rec.next_steps]
    return lines + [""]


def warnings(record: RunRecord) -> list[str]:
    if not cells.alerts(record):
        return []
    return ["**Warnings**", ""] + [f"- ⚠️ {esc(w)}" for w in cells.alerts(record)] + [""]


def training(record: RunRecord) -> list[str]:
    """Fine-tune facts and the forgetting check, for each rung that has them."""
    lines: list[str] = []
    for rung in record.rungs:
        facts = cells.training_facts(rung)
        if facts:
            lines += [f"**Training ({cells.title(rung.name)})**: " + " · ".join(f"{k} {esc(v)}" for k, v in facts), ""]
        if taught := cells.distill_sentence(rung):
            lines += [f"**Distillation**: {esc(taught)}", ""]
        sentence = cells.forgetting_sentence(rung)
        if sentence:
            mark = "⚠️ " if rung.forgetting and rung.forgetting.flagged else ""
            lines += [f"**Forgetting check**: {mark}{esc(sentence)}", ""]
        if rung.variants:
            rows = [[esc(c) for c in row] for row in cells.variant_rows(rung)]
            lines += ["**Fine-tune variants (same eval items)**", "", *table(cells.VARIANT_COLUMNS, rows), ""]
    return lines


def learning_curve(record: RunRecord) -> list[str]:
    found = _curve.lines(record)
    return ["**Learning curve**: " + esc(found[0]), "", f"- {esc(found[1])}", f"- {esc(found[2])}", ""] if found else []


def search(record: RunRecord) -> list[str]:
    """The prompt search: candidates, calls, the winner's prompt, the overfitting guard."""
    lines: list[str] = []
    for rung in record.rungs:
        if rung.search is None:
            continue
        lines += ["**Prompt search**", ""] + [f"- {esc(line)}" for line in search_sentences(rung)]
        instruction = winner_instruction(rung)
        lines += ["", "Winner's instruction:", "", "```", instruction or "(the data's own system messages)", "```", ""]
        header_, rows = candidate_rows(rung)
        lines += ["<details><summary>Candidates</summary>", "", *table(header_, rows), "", "</details>", ""]
    return lines


def checks(record: RunRecord) -> list[str]:
    """Every target check of every measured rung, folded away."""
    rows = [
        [esc(cells.rung_label(r, record)), f"`{cells.target_text(c.target)}`", "✅" if c.passed else "❌", esc(c.reason)]
        for r in record.measured
        for c in r.checks
    ]
    if not rows:
        return []
    pairs = [[esc(text) for text in cells.comparison_cells(r, c, record)] for r in record.measured for c in r.comparisons]
    body = table(["Rung", "Target", "Result", "Check"], rows)
    if pairs:
        body += ["", *table(cells.COMPARISON_HEADER, pairs), "", f"_{esc(cells.comparisons_note(record))}._"]
    return ["<details><summary>Target checks</summary>", "", *body, "", "</details>", ""]


def models(record: RunRecord) -> list[str]:
    """The models x rungs matrix, the frontier table and where the cheapest cells trade places."""
    found = _frontier.matrix(record)
    if found is None:
        return []
    head, rows = found
    lines = ["### Models × rungs", "", *table(head, [[esc(c) for c in row] for row in rows]), "", f"_{_frontier.caption(record)}._", ""]
    lines += [
        "### Cost–quality frontier",
        "",
        *table(_frontier.FRONTIER_COLUMNS, [[esc(c) for c in r] for r in _frontier.frontier_rows(record)]),
    ]
    return lines + [""] + [f"- {esc(s)}" for s in _frontier.crossover_sentences(record)] + [""]


def rung_sections(record: RunRecord) -> list[str]:
    """Each rung's own section (its registered summary), under its name."""
    lines: list[str] = []
    for title, sentences in cells.rung_sections(record):
        lines += [f"### {esc(title)}", "", *(f"- {esc(s)}" for s in sentences), ""]
    return lines


def render(record: RunRecord) -> str:
    """The whole report.md."""
    parts = [
        header(record),
        rung_rows(record),
        [""],
        models(record),
        recommendation(record),
        warnings(record),
        _rag.markdown(record),
        training(record),
        learning_curve(record),
        search(record),
        rung_sections(record),
        checks(record),
    ]
    return "\n".join(line for part in parts for line in part).rstrip() + "\n"
