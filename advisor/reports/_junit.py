"""junit.xml: one test case per target per rung, so CI shows which rung missed which target and why."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from advisor.record.run import RungResult, RunRecord

from . import cells

# Characters XML 1.0 cannot carry at all, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: object) -> str:
    return _INVALID_XML.sub("?", str(text))


def _case(suite: ET.Element, record: RunRecord, rung: RungResult, name: str, seconds: float) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=clean(f"{record.scenario}.{rung.name}"), name=clean(name), time=f"{seconds:.3f}")


def _measured_cases(suite: ET.Element, record: RunRecord, rung: RungResult) -> int:
    """A case per target check; returns how many failed."""
    per_check = rung.seconds / len(rung.checks) if rung.checks else 0.0
    failed = 0
    for check in rung.checks:
        case = _case(suite, record, rung, cells.target_text(check.target), per_check)
        if not check.passed:
            failed += 1
            failure = ET.SubElement(case, "failure", message=clean(check.reason), type="TargetMissed")
            failure.text = clean(f"{cells.title(rung.name)}: {cells.target_text(check.target)} not met: {check.reason}")
    return failed


def _skipped_cases(suite: ET.Element, record: RunRecord, rung: RungResult) -> int:
    """The same case names as a measured rung, marked skipped, so CI history lines up across runs."""
    for target in record.targets:
        case = _case(suite, record, rung, cells.target_text(target), 0.0)
        ET.SubElement(case, "skipped", message=clean(cells.status(rung)))
    return len(record.targets)


def _properties(suite: ET.Element, record: RunRecord) -> None:
    rec = record.recommendation
    props = ET.SubElement(suite, "properties")
    pairs = [
        ("verdict", cells.verdict(record)),
        ("recommendation", rec.rung or "none"),
        ("model", record.model),
        ("confidence", f"{record.confidence:g}"),
    ]
    pairs += [(f"rationale.{i}", line) for i, line in enumerate(rec.rationale, 1)]
    pairs += [(f"next_step.{i}", line) for i, line in enumerate(rec.next_steps, 1)]
    pairs += [(f"warning.{i}", line) for i, line in enumerate(cells.alerts(record), 1)]
    for name, value in pairs:
        ET.SubElement(props, "property", name=name, value=clean(value))


def render(record: RunRecord) -> str:
    """The whole junit.xml: one suite named after the scenario."""
    root = ET.Element("testsuites", name="advisor")
    suite = ET.SubElement(root, "testsuite", name=clean(record.scenario), timestamp=record.created)
    _properties(suite, record)
    failures = skipped = tests = 0
    for rung in record.rungs:
        if rung.status == "measured":
            failures += _measured_cases(suite, record, rung)
            tests += len(rung.checks)
        else:
            n = _skipped_cases(suite, record, rung)
            skipped, tests = skipped + n, tests + n
    counts = {"tests": str(tests), "failures": str(failures), "errors": "0", "skipped": str(skipped), "time": f"{record.seconds:.3f}"}
    suite.attrib.update(counts)
    root.attrib.update({k: v for k, v in counts.items() if k != "skipped"})
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
