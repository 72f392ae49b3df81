"""`data.knowledge_update`: every measured rung asked again after the documents changed, nothing retrained.

A scripted backend stands in for the model: asked with retrieved passages it reads the fact from them;
asked without, it answers from what it "learned" of the old documents, as a fine-tune does. So the
prompt-only rung is right before the update and stale after it, and RAG follows the change.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from clirun import run_cli
from conftest import copy_shipped

from advisor.reports import write_reports
from advisor.run import RunOptions, climb
from advisor.scenario.workspace import prepare
from evals.backends.base import Completion
from evals.strategies import ZeroShot

MOVED = 8
"""Eval questions whose answer the update moves: prices and warranties of the shipped product FAQ."""


class Remembers:
    """Reads the fact from the passage when given one; without, answers from the old documents it memorised."""

    spec = "fake:remembers"
    identity = {"backend": "fake", "model": "remembers"}

    def __init__(self, memory: dict[str, str]):
        self.memory, self.calls = memory, 0

    async def complete(self, messages, params) -> Completion:
        self.calls += 1
        user = messages[-1]["content"]
        if user.startswith("Context:"):
            context, _, question = user.rpartition("Question: ")
            return Completion(_fact(context, question), 300, 5, 0.01)
        return Completion(self.memory.get(user, "not sure"), 30, 5, 0.01)


def _fact(context: str, question: str) -> str:
    """The end of the context line that shares the most words with the question."""
    words = set(re.findall(r"\w+", question.lower()))
    lines = [line for line in context.splitlines() if " is " in line or " costs " in line or " lasts " in line]
    best = max(lines, key=lambda line: len(words & set(re.findall(r"\w+", line.lower()))), default="")
    return re.split(r" is | costs | lasts ", best)[-1].split(" on one")[0].rstrip(".")


def _updated(tmp_path: Path, frequency: str = "monthly") -> Path:
    """product-faq with a changed copy of its knowledge and the eval questions whose answers moved (same ids)."""
    path = copy_shipped("product-faq", tmp_path)
    folder = path.parent / "product-faq"
    shutil.copytree(folder / "kb", folder / "kb_v2")
    moved = []
    for line in (folder / "eval.jsonl").read_text().splitlines():
        item = json.loads(line)
        old, doc = item["messages"][-1]["content"], folder / "kb_v2" / item["meta"]["source"]
        if item["meta"]["attribute"] not in ("price", "warranty") or len(moved) == MOVED:
            continue
        number = int(re.sub(r"\D", "", old))
        new = old.replace(str(number), str(number + 7))
        doc.write_text(doc.read_text().replace(f" {old}.", f" {new}."))
        item["messages"][-1]["content"], item["meta"]["answers"] = new, [new]
        moved.append(json.dumps(item))
    assert len(moved) == MOVED  # the shipped eval asks about these facts
    (folder / "eval_v2.jsonl").write_text("\n".join(moved) + "\n")
    data = yaml.safe_load(path.read_text())
    data["data"]["knowledge_update"] = {"knowledge": "product-faq/kb_v2", "eval": "product-faq/eval_v2.jsonl"}
    data["profile"]["knowledge_changes"] = frequency
    data["targets"] = [{"metric": "accuracy", "min": 0.3}]  # the scripted reader's heuristic finds half of the facts
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _remembering(ws) -> Remembers:
    """A backend that learned the old documents: asked a question the zero-shot way, it says the old fact."""
    strategy = ZeroShot(ws.system_prompt)
    return Remembers({strategy(ex).messages[-1]["content"]: ex.expected for ex in ws.eval_set})


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("update")
    ws = prepare(_updated(tmp))
    backend, out = _remembering(ws), tmp / "run"
    opts = RunOptions(out, use_cache=False, backend=backend, rungs=["zero_shot", "rag"], latency_probe=0, sequential=False, full=True)
    return ws, asyncio.run(climb(ws, opts)), out, backend


def test_every_measured_rung_is_asked_again_after_the_update(measured):
    ws, record, out, backend = measured
    n = len(ws.eval_set)
    moved = len(ws.update_set)
    assert backend.calls == 2 * (n + moved)  # each rung: the eval, then the moved questions once
    zero, rag = record.rung("zero_shot"), record.rung("rag")
    assert zero.update.n == rag.update.n == moved
    # The prompt-only rung answers from what it memorised: right before, stale after, on the same ids.
    assert zero.update.before == 1.0 and zero.update.metrics["accuracy"].value == 0.0
    assert zero.update.change.n == moved and zero.update.change.diff == -1.0 and zero.update.change.p_value < 0.05
    # RAG reads the changed documents: it follows the update.
    assert rag.update.metrics["accuracy"].value >= 0.75
    [against] = rag.update.comparisons  # after the update, paired with the zero-shot's answers to the same questions
    assert against.against == "zero_shot" and against.n == moved and against.diff >= 0.75
    samples = [json.loads(line) for line in (out / "samples" / "rag-update.jsonl").read_text().splitlines()]
    assert len(samples) == moved and all(s["retrieved"] for s in samples)
    assert {s["id"] for s in samples} == {ex.key for ex in ws.update_set}


def test_a_rung_that_goes_stale_is_not_recommended_when_the_knowledge_changes(measured):
    _, record, out, _ = measured
    zero = record.rung("zero_shot")
    stale = [c for c in zero.checks if c.after_update]
    assert stale and not stale[0].passed and "after the knowledge update" in stale[0].reason
    assert not zero.meets_targets  # it met the accuracy target before the update
    assert zero.metrics["accuracy"].lower >= 0.9
    assert record.recommendation.rung == "rag"
    said = " ".join(record.recommendation.rationale)
    assert "Zero-shot goes stale: 1.00 → 0.00 after the knowledge update" in said
    markdown = write_reports(record, out)["md"].read_text()
    assert "after the update" in markdown and "(-100 pts)" in markdown
    assert "vs zero-shot +" in markdown  # RAG against the stale rung, on the questions asked after the update


def test_when_the_knowledge_rarely_changes_the_update_is_reported_but_does_not_bind(tmp_path):
    ws = prepare(_updated(tmp_path, frequency="rarely"))
    opts = RunOptions(tmp_path / "run", use_cache=False, backend=_remembering(ws), rungs=["zero_shot"], latency_probe=0, sequential=False)
    zero = asyncio.run(climb(ws, opts)).rung("zero_shot")
    assert zero.update is not None and not zero.update.binding
    assert zero.update.metrics["accuracy"].value == 0.0 and zero.meets_targets
    assert not any(c.after_update for c in zero.checks)


def test_validate_names_a_missing_update_folder_and_a_malformed_update_eval(tmp_path, capsys):
    path = _updated(tmp_path)
    data = yaml.safe_load(path.read_text())
    data["data"]["knowledge_update"]["knowledge"] = "product-faq/kb_v3"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    (path.parent / "product-faq" / "eval_v2.jsonl").write_text('{"id": "faq-eval-0001", "messages": [}\n')
    code, out, err = run_cli(["validate", str(path)], capsys)
    assert code == 2 and "Traceback" not in err
    assert "data.knowledge_update.knowledge" in err and "kb_v3" in err and "check the path" in err
    assert "eval_v2.jsonl" in err and ":1" in err  # the bad line, located


@pytest.mark.parametrize(
    ("drop", "said"),
    [(("knowledge",), "set data.knowledge to the knowledge before it"), (("knowledge_update", "eval"), "data.knowledge_update.eval")],
)
def test_an_update_without_knowledge_or_without_eval_is_refused_with_the_fix(tmp_path, capsys, drop, said):
    path = _updated(tmp_path)
    data = yaml.safe_load(path.read_text())
    *parents, key = drop
    holder = data["data"]
    for parent in parents:
        holder = holder[parent]
    del holder[key]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    code, _, err = run_cli(["validate", str(path)], capsys)
    assert code == 2 and "Traceback" not in err
    assert said in err and "Fix:" in err


def test_update_questions_that_match_no_eval_id_are_a_warning(tmp_path, capsys):
    path = _updated(tmp_path)
    update = path.parent / "product-faq" / "eval_v2.jsonl"
    lines = [json.loads(line) for line in update.read_text().splitlines()]
    for i, item in enumerate(lines):
        item["id"] = f"moved-{i}"
    update.write_text("".join(json.dumps(item) + "\n" for item in lines))
    code, _, err = run_cli(["validate", str(path)], capsys)
    assert code in (0, None)
    assert "none of the" in err and "id of the eval question it asks again" in err


def test_only_a_rung_the_update_made_worse_is_called_stale():
    from advisor.decide.decision import after_update
    from advisor.record.run import Comparison, KnowledgeUpdate, MetricValue, RungResult, TargetCheck
    from advisor.scenario.schema import Target

    target = Target(metric="accuracy", min=0.6)

    def rung(name: str, before: float, diff: float) -> RungResult:
        missed = TargetCheck(target=target, passed=False, observed=0.0, reason="after the knowledge update: …", after_update=True)
        change = Comparison(against=name, test="mcnemar-exact", n=20, diff=diff, p_value=0.01)
        after = MetricValue(value=before + diff, lower=0.0, upper=before + diff)
        update = KnowledgeUpdate(n=20, metrics={"accuracy": after}, before=before, change=change, binding=True)
        return RungResult(name=name, status="measured", n=20, checks=[missed], update=update)

    said = after_update([rung("few_shot", 0.35, -0.35), rung("zero_shot", 0.0, 0.0)])
    assert said == [said[0]] and said[0].startswith("Few-shot goes stale: 0.35 → 0.00")
