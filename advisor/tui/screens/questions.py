"""The interview's questions, section by section, each control built holding the current answer."""

from __future__ import annotations

from typing import Any, Literal

from textual.widgets import Checkbox, Input, Select, SelectionList, TextArea

from advisor.registry import wizard_rungs
from advisor.rungs.finetune.curve import FRACTIONS
from advisor.scenario.metrics import BY_NAME, target_label
from advisor.scenario.schema import TASK_KINDS as SCENARIO_TASK_KINDS
from evals.kinds import MODEL_FREE_GRADER_KINDS

from ..widgets.question import Question

SECTIONS = {"usecase": "Use case", "data": "Data", "task": "Task & model", "targets": "Targets", "opinion": "First opinion"}
MUST_CHANGE = [
    ("Knowledge: facts it does not know", "knowledge"),
    ("Output format (labels, JSON)", "format"),
    ("Tone or style", "style"),
    ("A task skill", "skill"),
    ("Cost per call", "cost"),
    ("Latency", "latency"),
]
FREQUENCIES = ["never", "rarely", "monthly", "weekly", "daily"]
TASK_KINDS = list(SCENARIO_TASK_KINDS)
GRADERS = list(MODEL_FREE_GRADER_KINDS)  # the judge is offered only to a scenario that already has one


def rung_choices() -> list[tuple[str, str]]:
    """The rungs the wizard offers, each as (its line, its name), in ladder order."""
    return [(r.wizard or r.title, r.name) for r in wizard_rungs()]


SHARES = ", ".join(f"{f:.0%}" for f in FRACTIONS)
"""The learning curve's shares of train, as the interview names them."""


def _text(
    v: dict, key: str, label: str, placeholder: str = "", hint: str = "", kind: Literal["integer", "number", "text"] = "text"
) -> Question:
    box = Input(str(v[key]), placeholder=placeholder, compact=True, type=kind, select_on_focus=False)
    return Question(key, label, box, hint=hint)


def _choice(v: dict, key: str, label: str, options: list[str]) -> Question:
    return Question(key, label, Select([(o, o) for o in options], value=v[key], allow_blank=False, compact=True))


def _flag(v: dict, key: str, label: str, text: str) -> Question:
    return Question(key, label, Checkbox(text, bool(v[key]), compact=True))


def _many(v: dict, key: str, label: str, options: list[tuple[str, str]]) -> Question:
    chosen = set(v[key])
    return Question(key, label, SelectionList(*[(t, value, value in chosen) for t, value in options], compact=True), tall=True)


def use_case(v: dict[str, Any]) -> list[Question]:
    return [
        _text(v, "name", "Name", "support-tickets", "letters, digits, - _ ."),
        _text(v, "description", "What it is for", "one line on what the model does"),
        _many(v, "must_change", "What must change", MUST_CHANGE),
        _choice(v, "knowledge_changes", "Knowledge changes", FREQUENCIES),
        _flag(v, "needs_citations", "Citations", "answers must cite their sources"),
        _text(v, "calls_per_day", "Calls per day", "10000", kind="integer"),
        _text(v, "latency_budget_ms", "Latency budget ms", "none", "largest acceptable p95 per call", kind="number"),
        _flag(v, "data_must_stay_local", "Privacy", "data must stay on our machines"),
    ]


def data(v: dict[str, Any]) -> list[Question]:
    return [
        _text(v, "train", "Train set", "train.jsonl", "chat JSONL: few-shot pool and fine-tune data"),
        _text(v, "eval", "Eval set", "eval.jsonl", "chat JSONL: the last assistant turn is the expected answer"),
        _text(v, "knowledge", "Knowledge folder", "kb/", ".txt .md .jsonl documents; enables RAG"),
        _text(v, "limit", "Evaluate first", "all", "a quick trial on the first N eval examples", kind="integer"),
    ]


def task(v: dict[str, Any], graders: list[str]) -> list[Question]:
    prompt = TextArea(str(v["system_prompt"]), compact=True, soft_wrap=True, show_line_numbers=False)
    return [
        _text(
            v,
            "model",
            "Which models could you use?",
            "local:smollm2-135m",
            "the embedded local:smollm2-135m and any OpenAI-compatible endpoint (openai:MODEL, openai:URL#MODEL), "
            "comma-separated: each is measured and the cheapest that meets the targets at your volume wins",
        ),
        _choice(v, "task_kind", "Task", TASK_KINDS),
        _choice(v, "grader", "Grader", graders),
        _text(v, "labels", "Labels", "inferred from train", "comma-separated"),
        _text(v, "schema", "JSON Schema", "schema.json", "every output must satisfy it (optional)"),
        _text(v, "pattern", "Pattern", r"^\d{4}-\d{2}-\d{2}$", "a regular expression the output must match"),
        Question("system_prompt", "System prompt", prompt, tall=True),
        _many(v, "rungs", "Rungs to try", rung_choices()),
        _flag(v, "learning_curve", "Learning curve", f"also fine-tune on {SHARES} of train: would more data reach the target?"),
    ]


def targets(v: dict[str, Any], metrics: list[str]) -> list[Question]:
    rows = [_text(v, f"target.{m}", target_label(m), "none", BY_NAME[m].hint) for m in metrics]
    return rows + [_text(v, "confidence", "Confidence", "0.95", "of every interval and target check", kind="number")]


def graders_for(v: dict[str, Any]) -> list[str]:
    """The grader kinds offered; judge only when the opened scenario already configures one."""
    return GRADERS + (["judge"] if v["grader"] == "judge" else [])
