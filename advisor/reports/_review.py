"""The review section of report.html: every eval item across the rungs, with filters, search and a detail view.

The samples travel inside the page as one JSON block (prompt texts stored once each, since few-shot
prompts repeat the same shots and system message); review.js draws the table in the browser. The
state lives in the URL hash (`#filter=failed_all&q=word&item=ID`), so a link opens the same view.
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources

from advisor.record.samples import Sample

from . import cells

FILTERS = {
    "all": "every item",
    "failed_all": "failed in every rung",
    "fixed_ft": "fixed by fine-tune",
    "broken_ft": "broken by fine-tune",
    "disagree": "rungs disagree",
}


def page_data(samples: list[Sample]) -> dict:
    """The JSON the page reads: rungs, a table of distinct prompt texts, one entry per item."""
    rungs = list(dict.fromkeys(s.rung for s in samples))
    texts: dict[str, int] = {}

    def text(value: str) -> int:
        return texts.setdefault(value, len(texts))

    items: dict[str, dict] = {}
    for s in samples:
        if s.repeat:
            continue
        item = items.setdefault(s.id, {"id": s.id, "input": s.input or "", "expected": s.expected, "answers": {}})
        item["input"] = item["input"] or s.input or ""
        answer = {
            "output": s.output,
            "score": s.score,
            "answer": s.answer,
            "reason": s.reason,
            "latency_ms": None if s.latency_s is None else round(s.latency_s * 1000, 1),
            "tokens": [s.input_tokens, s.output_tokens],
            "shots": s.shots,
            "cited": s.cited,
            "retrieved": None if s.retrieved is None else [[r.id, r.score] for r in s.retrieved],
            "prompt": None if s.messages is None else [[m.get("role", ""), text(str(m.get("content", "")))] for m in s.messages],
        }
        item["answers"][s.rung] = {k: v for k, v in answer.items() if v is not None}
    return {"rungs": rungs, "titles": {r: cells.title(r) for r in rungs}, "texts": list(texts), "items": list(items.values())}


def _json_for_script(data: dict) -> str:
    """JSON that cannot end its <script> element early: every < is written as its \\u escape."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def section(samples: list[Sample]) -> str:
    """The review card, its data and its script; empty when the run kept no samples."""
    if not samples:
        return ""
    options = "".join(f'<option value="{k}">{escape(v)}</option>' for k, v in FILTERS.items())
    script = resources.files(__package__).joinpath("review.js").read_text(encoding="utf-8")
    return (
        f'<section class="card" id="review"><h2>Every item</h2>'
        f'<div class="review-controls"><label>Show <select id="review-filter">{options}</select></label>'
        f'<input id="review-search" type="search" placeholder="Search input, expected or answers">'
        f'<span id="review-count" class="muted"></span></div>'
        f'<div class="scroll review-table"><table id="review-table"><thead></thead><tbody></tbody></table></div>'
        f'<div id="review-detail" hidden></div></section>'
        f'<script type="application/json" id="review-data">{_json_for_script(page_data(samples))}</script>'
        f"<script>{script}</script>"
    )
