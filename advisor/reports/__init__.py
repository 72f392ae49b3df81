"""Reports rendered from a RunRecord alone: terminal summary, report.md, report.html, junit.xml.

matplotlib is imported only when an HTML report draws its plots.
"""

from __future__ import annotations

from pathlib import Path

from advisor.record.run import RunRecord, for_record
from evals.data import write_atomic

from . import _html, _junit, _markdown, _terminal
from ._comparison import render_junit as comparison_junit
from ._comparison import render_markdown as comparison_markdown
from ._comparison import render_text as comparison_text
from ._curve import fit_text as curve_fit_text
from ._terminal import model_matrix, print_summary

FORMATS = ("terminal", "md", "html", "junit")
FILES = {"md": "report.md", "html": "report.html", "junit": "junit.xml"}

__all__ = [
    "FILES",
    "FORMATS",
    "comparison_junit",
    "comparison_markdown",
    "comparison_text",
    "curve_fit_text",
    "model_matrix",
    "print_summary",
    "render",
    "write_atomic",
    "write_reports",
]


def render(record: RunRecord, fmt: str, run_dir: str | Path | None = None) -> str:
    """The record as text in one format: terminal (no colour), md, html or junit.

    html also shows every item when the run folder's samples are at hand: those of `run_dir`, else
    of the folder the record was loaded from.
    """
    renderers = {
        "terminal": _terminal.render_text,
        "md": _markdown.render,
        "junit": _junit.render,
        "html": lambda r: _html.render(r, for_record(r, run_dir)),
    }
    if fmt not in renderers:
        raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    return renderers[fmt](record)


def write_reports(record: RunRecord, out_dir: str | Path) -> dict[str, Path]:
    """Write report.md, report.html (with the per-item review of out_dir's samples) and junit.xml; returns {format: path}."""
    out = Path(out_dir)
    return {fmt: write_atomic(out / name, render(record, fmt, out)) for fmt, name in FILES.items()}
