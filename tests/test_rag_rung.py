"""The RAG rung through the real ladder on product-faq, with a scripted backend (no model): grounding,
citations, the failure split and the samples, as the reports show them; and `advisor retrieve`."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

from clirun import run_cli

from advisor.reports import write_reports
from advisor.run import RunOptions, climb
from advisor.scenario.workspace import prepare
from evals.backends.base import Completion

FAQ = Path(__file__).resolve().parent.parent / "scenarios" / "product-faq.yaml"


class ScriptedReader:
    """A scripted backend: answers a fact from the first passage, cites it; every third answer is made up."""

    spec = "fake:scripted-reader"
    identity = {"backend": "fake", "model": "scripted-reader"}

    def __init__(self):
        self.calls = 0

    async def complete(self, messages, params) -> Completion:
        self.calls += 1
        context, _, question = messages[-1]["content"].rpartition("Question: ")
        doc = re.search(r"^\[([^\]]+)\] ", context.split("Context:\n", 1)[1]).group(1)
        answer = "9.99 parsecs" if self.calls % 3 == 0 else _fact(context, question.split("\n")[0])
        return Completion(f"{answer} [{doc}]", 300, 5, 0.01)


def _fact(context: str, question: str) -> str:
    """The end of the context line that shares the most words with the question (the faq states one fact a line)."""
    words = set(re.findall(r"\w+", question.lower()))
    lines = [line for line in context.splitlines() if " is " in line or " costs " in line]
    best = max(lines, key=lambda line: len(words & set(re.findall(r"\w+", line.lower()))), default="")
    return re.split(r" is | costs ", best)[-1].rstrip(".")


def test_product_faq_reports_grounding_citations_and_why_answers_failed(tmp_path):
    ws = prepare(FAQ, limit=30)
    backend = ScriptedReader()
    record = asyncio.run(
        climb(ws, RunOptions(tmp_path, use_cache=False, backend=backend, rungs=["rag"], latency_probe=0, sequential=False))
    )
    rag = record.rung("rag")
    assert backend.calls == 30
    # Every third answer is "9.99 parsecs": in no passage, so grounded is at most 2/3.
    assert rag.metrics["grounded"].value <= 20 / 30 and rag.metrics["grounded"].value >= 0.5
    assert rag.metrics["citation_recall"].value >= 0.9 and rag.metrics["citation_precision"].value >= 0.9
    assert rag.rag.curve.recall[0] >= 0.9 and len(rag.rag.curve.recall) == 10
    wrong = round((1 - rag.metrics["accuracy"].value) * 30)
    assert rag.rag.missed_retrieval + rag.rag.answered_wrong == wrong and rag.rag.failed
    item = rag.rag.failed[0]
    assert item.question and item.retrieved and item.answer and item.expected
    samples = [json.loads(line) for line in (tmp_path / "samples" / "rag.jsonl").read_text().splitlines()]
    assert all(s["retrieved"] and set(s["retrieved"][0]) == {"id", "score"} for s in samples)
    assert all(s["cited"] == [s["retrieved"][0]["id"].split("#")[0]] for s in samples)
    paths = write_reports(record, tmp_path)
    markdown, html = paths["md"].read_text(), paths["html"].read_text()
    assert "citation_recall" in markdown and "grounded" in markdown
    assert "retrieval missed the source" in markdown and "retrieved but answered wrong" in html
    assert "9.99 parsecs" in html  # a failed item, with what the model said


def test_advisor_retrieve_prints_the_recall_curve_of_product_faq_in_seconds(capsys):
    started = time.perf_counter()
    code, out, _ = run_cli(["retrieve", str(FAQ)], capsys)
    assert time.perf_counter() - started < 10
    assert code in (0, None)
    rows = re.findall(r"│\s+(\d+)[^│]*│\s+([\d.]+) │\s+([\d.]+) │", out)
    assert [int(k) for k, _, _ in rows] == list(range(1, 11))
    recalls = [float(r) for _, r, _ in rows]
    assert recalls == sorted(recalls) and recalls[-1] == 1.0
