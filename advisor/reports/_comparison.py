"""A RunComparison as plain text, Markdown (a pull-request comment) and JUnit XML (a case per rung and metric)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from advisor.compare.runs import Flip, MetricDelta, RunComparison, RungDelta

from ._junit import clean
from ._markdown import esc, table
from .cells import title

MARKER = "<!-- advisor-compare -->"
"""Opens the Markdown, so that a pull-request comment can be found again and updated."""

TEST_TEXT = (
    "paired non-inferiority: a rung regresses when the upper bound of the paired interval of "
    "new - base lies below -margin (exact conditional binomial test on the discordant items "
    "for 0/1 scores, paired bootstrap otherwise)"
)


def verdict_line(cmp: RunComparison) -> str:
    worse = [r for r in cmp.rungs if r.regressed]
    if worse:
        names = ", ".join(title(r.rung) for r in worse)
        return f"REGRESSION: {names} worse than the baseline by more than {_pts(cmp.margin)} at {cmp.confidence:.0%} confidence"
    if not cmp.rungs:
        return "NOTHING COMPARED: the runs share no measured rung"
    return f"NO REGRESSION beyond {_pts(cmp.margin)} at {cmp.confidence:.0%} confidence"


def _pts(x: float) -> str:
    return f"{x * 100:g} pts"


def _delta(m: MetricDelta) -> str:
    return f"{m.diff * 100:+.1f} pts [{m.lower * 100:+.1f}, {m.upper * 100:+.1f}]"


def data_notes(cmp: RunComparison) -> list[str]:
    """The differences in what was compared, stated rather than silently compared."""
    notes = []
    if cmp.data_changed:
        notes.append(f"data changed between the runs: {', '.join(cmp.data_changed)}")
    for ids, word in ((cmp.added, "added (new run only)"), (cmp.dropped, "dropped (base run only)")):
        if ids:
            notes.append(f"{len(ids)} item(s) {word}, not compared: {', '.join(ids[:10])}{' ...' if len(ids) > 10 else ''}")
    if cmp.only_base:
        notes.append(f"measured in the base run only: {', '.join(map(title, cmp.only_base))}")
    if cmp.only_new:
        notes.append(f"measured in the new run only: {', '.join(map(title, cmp.only_new))}")
    return notes


def render_text(cmp: RunComparison) -> str:
    lines = [f"compare {cmp.scenario}: base {cmp.base} -> new {cmp.new}", verdict_line(cmp)]
    for rung in cmp.rungs:
        lines.append(f"  {title(rung.rung)} ({rung.n} shared items): {rung.fixed} fixed, {rung.broken} broken")
        for m in rung.metrics:
            lines.append(f"    {m.metric:<13} {m.base:.3f} -> {m.new:.3f}  {_delta(m)}  {m.verdict} (p_worse {m.p_worse:.3g})")
        for word, flips in (("broken", rung.broken_items), ("fixed", rung.fixed_items)):
            lines += [f"    {word}: {_flip_text(f)}" for f in flips]
    lines += [f"  note: {n}" for n in data_notes(cmp)]
    lines.append(f"  test: {TEST_TEXT}")
    return "\n".join(lines) + "\n"


def _flip_text(flip: Flip) -> str:
    return f"{flip.id}: {_short(flip.input)!r} expected {_short(flip.expected)!r}, base {_short(flip.base_output)!r}, new {_short(flip.new_output)!r}"


def _short(text: str | None, width: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_markdown(cmp: RunComparison) -> str:
    badge = "❌" if cmp.regressed else "✅"
    lines = [MARKER, f"### advisor compare · {esc(cmp.scenario)} · {badge} {esc(verdict_line(cmp))}", ""]
    rows = [
        [
            title(r.rung),
            esc(m.metric),
            str(m.n),
            f"{m.base:.3f}",
            f"{m.new:.3f}",
            _delta(m),
            f"{m.p_worse:.3g}",
            m.verdict,
            f"{r.fixed} / {r.broken}",
        ]
        for r in cmp.rungs
        for m in r.metrics
    ]
    if rows:
        lines += table(["Rung", "Metric", "n", "base", "new", "new − base [interval]", "p (worse)", "verdict", "fixed / broken"], rows) + [
            ""
        ]
    for rung in cmp.rungs:
        lines += _flips_md(rung)
    lines += [f"- {esc(n)}" for n in data_notes(cmp)]
    lines += ["", f"<sub>{esc(TEST_TEXT)}; margin {_pts(cmp.margin)}, confidence {cmp.confidence:.0%}.</sub>", ""]
    return "\n".join(lines)


def _flips_md(rung: RungDelta) -> list[str]:
    if not rung.broken_items and not rung.fixed_items:
        return []
    lines = [f"<details><summary>{title(rung.rung)}: {rung.broken} broken, {rung.fixed} fixed</summary>", ""]
    rows = [
        [word, esc(f.id), esc(_short(f.input)), esc(_short(f.expected, 30)), esc(_short(f.base_output, 30)), esc(_short(f.new_output, 30))]
        for word, flips in (("broken", rung.broken_items), ("fixed", rung.fixed_items))
        for f in flips
    ]
    return lines + table(["", "id", "input", "expected", "base", "new"], rows) + ["", "</details>", ""]


def render_junit(cmp: RunComparison) -> str:
    """A test case per compared rung and metric; a regression is a failure."""
    root = ET.Element("testsuites", name="advisor-compare")
    suite = ET.SubElement(root, "testsuite", name=clean(f"{cmp.scenario}.compare"))
    cases = failures = 0
    for rung in cmp.rungs:
        for m in rung.metrics:
            cases += 1
            case = ET.SubElement(
                suite,
                "testcase",
                classname=clean(f"{cmp.scenario}.{rung.rung}"),
                name=clean(f"{m.metric} not worse than base by more than {_pts(cmp.margin)}"),
                time="0",
            )
            if m.verdict == "worse":
                failures += 1
                failure = ET.SubElement(case, "failure", type="Regression", message=clean(f"{m.metric} {_delta(m)}"))
                failure.text = clean(f"{title(rung.rung)}: {m.metric} {m.base:.3f} -> {m.new:.3f}, p_worse {m.p_worse:.3g}")
    counts = {"tests": str(cases), "failures": str(failures), "errors": "0"}
    suite.attrib.update(counts)
    root.attrib.update(counts)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
