"""A corpus of hostile inputs across every command: each must end with its exit status, no traceback,
and a message that names the offending file (with line and field where they apply).

The files are generated here; every command runs in-process through the real CLI entry point.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from clirun import run_cli

GOOD_ROWS = [
    {"messages": [{"role": "user", "content": f"q{i} text {i}"}, {"role": "assistant", "content": "yes" if i % 2 else "no"}]}
    for i in range(6)
]
DEEP = 20_000


def jsonl(rows: list) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


# Bad contents for any text file the user hands over: (name, bytes, what the message must say).
BAD_BYTES: dict[str, tuple[bytes, str]] = {
    "binary": (bytes(range(256)) * 4, "not UTF-8"),
    "utf16": ("name: x\n".encode("utf-16"), "UTF-16"),
    "latin1": ("name: caf\xe9\n".encode("latin-1"), "not UTF-8"),
    "nul": (b"\x00\x00\x00\x00", ""),
}
BAD_JSONL: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "0 rows"),
    "deep": (b"[" * DEEP + b"]" * DEEP + b"\n", "deeply"),
    "deep-object": (b'{"messages": ' + b"[" * DEEP + b"]" * DEEP + b"}\n", "deeply"),
    "surrogate": (b'{"messages": [{"role": "user", "content": "a\\ud800"}, {"role": "assistant", "content": "b"}]}\n', "surrogate"),
    "not-json": (b"{nope\n", "not valid JSON"),
    "scalar": (b"42\n", "JSON object"),
    "no-messages": (b'{"text": "hi"}\n', "messages"),
}
SCENARIO = {
    "name": "hostile",
    "task": {"kind": "classification"},
    "data": {"eval": "eval.jsonl"},
    "grader": {"kind": "exact"},
    "targets": [{"metric": "accuracy", "min": 0.5}],
    "model": "local:smollm2-135m",
}


@dataclass
class Case:
    id: str
    args: Callable[[Path], list[str]]
    files: dict[str, bytes | str | None] = field(default_factory=dict)
    """Files to create under the test folder (None: a folder)."""
    code: int = 2
    names: tuple[str, ...] = ()
    """Strings the output must contain: file names, 'file:line', fields."""
    seconds: float | None = None
    """The longest the refusal may take (2 CPU cores), for inputs built to make a command run for minutes."""


def scenario_text(**changes) -> str:
    data = json.loads(json.dumps(SCENARIO))
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if value is DROP:
            node.pop(last, None)
        else:
            node[last] = value
    return json.dumps(data)  # JSON is YAML; one key per line is not needed for these cases


DROP = object()


def scenario_cases() -> list[Case]:
    """Bad scenarios, each checked by validate, run and train alike (validate checks what run checks)."""
    good_eval = jsonl(GOOD_ROWS)
    base = {"eval.jsonl": good_eval}
    raw: list[tuple[str, dict, tuple[str, ...]]] = []
    for name, (content, says) in BAD_BYTES.items():
        raw.append((f"scenario-{name}", {"s.yaml": content}, ("s.yaml", says)))
    raw += [
        ("scenario-missing", {}, ("s.yaml", "not found")),
        ("scenario-folder", {"s.yaml": None}, ("s.yaml",)),
        ("scenario-empty", {"s.yaml": b""}, ("s.yaml", "mapping")),
        ("scenario-list", {"s.yaml": b"- a\n- b\n"}, ("s.yaml:1", "mapping")),
        ("scenario-deep-flow", {"s.yaml": b"[" * DEEP + b"]" * DEEP}, ("s.yaml",)),
        ("scenario-deep-map", {"s.yaml": b"{a: " * DEEP + b"1" + b"}" * DEEP}, ("s.yaml",)),
        ("scenario-bad-yaml", {"s.yaml": b"name: [unclosed\n"}, ("s.yaml",)),
        ("scenario-tab-yaml", {"s.yaml": b"name: x\n\ttask: y\n"}, ("s.yaml:2",)),
        ("duplicate-key", {"s.yaml": _duplicate_min(), **base}, ("s.yaml:8", "lines 7 and 8", "min")),
        ("duplicate-top-key", {"s.yaml": "name: a\nname: b\n" + _rest_yaml(), **base}, ("s.yaml:2", "name")),
    ]
    bad_values = {
        "unknown-key": ({"colour": "red"}, ("colour",)),
        "bad-task-kind": ({"task.kind": "poetry"}, ("task.kind",)),
        "bad-grader-kind": ({"grader.kind": "vibes"}, ("grader.kind",)),
        "bad-regex": ({"grader.kind": "regex", "grader.pattern": "([a-z"}, ("grader", "regular expression")),
        "regex-no-pattern": ({"grader.kind": "regex"}, ("grader", "pattern")),
        "bogus-model": ({"model": "bogus:thing"}, ("model", "unknown backend")),
        "empty-model": ({"model": ""}, ("model",)),
        "hosted-no-key": ({"model": "openai:gpt-4o-mini"}, ("OPENAI_API_KEY", "model")),
        "named-key-unset": (
            {"model": "openai:http://10.0.0.1:8000/v1#m", "model_options": {"api_key_env": "HOSTILE_UNSET_KEY"}},
            ("HOSTILE_UNSET_KEY",),
        ),
        "bad-key-env-name": ({"model_options": {"api_key_env": "not a name"}}, ("model_options.api_key_env",)),
        "judge-bogus-model": ({"grader.kind": "judge", "grader.judge": {"model": "nope:x"}}, ("grader.judge.model",)),
        "judge-no-key": ({"grader.kind": "judge", "grader.judge": {"model": "openai:gpt-4o-mini"}}, ("grader.judge.model",)),
        "min-above-max": ({"targets": [{"metric": "accuracy", "min": 0.9}, {"metric": "accuracy", "max": 0.5}]}, ("contradict",)),
        "negative-latency": ({"targets": [{"metric": "p95_latency_ms", "max": -5}]}, ("targets.0", "negative")),
        "negative-cost": ({"targets": [{"metric": "cost_per_1k_calls_usd", "max": -0.1}]}, ("targets.0",)),
        "rate-above-one": ({"targets": [{"metric": "accuracy", "min": 1.5}]}, ("targets.0",)),
        "nan-bound": ({"targets": [{"metric": "accuracy", "min": "nan"}]}, ("targets.0.min",)),
        "inf-bound": ({"targets": [{"metric": "p95_latency_ms", "max": "inf"}]}, ("targets.0.max",)),
        "no-targets": ({"targets": []}, ("targets",)),
        "no-bound": ({"targets": [{"metric": "accuracy"}]}, ("targets.0",)),
        "unknown-metric": ({"targets": [{"metric": "vibes", "min": 0.5}]}, ("vibes",)),
        "metric-needs-grader": ({"targets": [{"metric": "macro_f1", "min": 0.5}]}, ("macro_f1",)),
        "empty-stop": ({"generation": {"stop": [""]}}, ("generation.stop", "empty")),
        "max-tokens-beyond-context": ({"generation": {"max_tokens": 100_000}}, ("generation.max_tokens", "context")),
        "max-tokens-zero": ({"generation": {"max_tokens": 0}}, ("generation.max_tokens",)),
        "confidence-one": ({"confidence": 1.0}, ("confidence",)),
        "nan-confidence": ({"confidence": "nan"}, ("confidence",)),
        "bad-name": ({"name": "../../etc"}, ("name",)),
        "negative-timeout": ({"model_options": {"timeout": -1}}, ("model_options.timeout",)),
        "negative-price": ({"pricing": {"input_per_1m": -1}}, ("pricing.input_per_1m",)),
        "nan-price": ({"pricing": {"input_per_1m": "nan"}}, ("pricing.input_per_1m",)),
        "labels-twice": ({"task.labels": ["yes", "yes"]}, ("task",)),
        "few-shot-k-zero": ({"ladder": {"few_shot": {"k": 0}}}, ("ladder.few_shot.k",)),
        "bad-rung": ({"ladder": {"prompt_golf": {}}}, ("prompt_golf",)),
        "models-and-model": ({"models": [{"model": "local:smollm2-135m"}]}, ("'model' (one model) or 'models'",)),
        "models-empty": ({"model": DROP, "models": []}, ("models",)),
        "models-bogus-spec": ({"model": DROP, "models": [{"model": "nope:x"}]}, ("models.0.model", "unknown backend")),
        "models-twice": (
            {"model": DROP, "models": [{"model": "local:smollm2-135m"}, {"model": "local:smollm2-135m"}]},
            ("more than once",),
        ),
        "models-unknown-rung": ({"model": DROP, "models": [{"model": "local:smollm2-135m", "rungs": ["distil"]}]}, ("models.0.rungs.0",)),
        "models-rung-twice": (
            {"model": DROP, "models": [{"model": "local:smollm2-135m", "rungs": ["zero_shot", "zero_shot"]}]},
            ("models.0.rungs", "once"),
        ),
        "models-negative-price": (
            {"model": DROP, "models": [{"model": "local:smollm2-135m", "pricing": {"hardware_per_hour": -1}}]},
            ("models.0.pricing.hardware_per_hour",),
        ),
        "models-unknown-key": ({"model": DROP, "models": [{"model": "local:smollm2-135m", "price": 1}]}, ("models.0.price",)),
        "models-hosted-no-key": ({"model": DROP, "models": [{"model": "openai:gpt-4o-mini"}]}, ("OPENAI_API_KEY", "models.0.model")),
        "models-hosted-finetune": (
            {"model": DROP, "models": [{"model": "openai:http://127.0.0.1:9/v1#big", "rungs": ["zero_shot", "finetune"]}]},
            ("models.0.rungs", "finetune", "local weights"),
        ),
        "models-rung-turned-off": (
            {"model": DROP, "ladder": {"rag": None}, "models": [{"model": "local:smollm2-135m", "rungs": ["rag"]}]},
            ("models.0.rungs", "ladder.rag"),
        ),
        "horizon-zero": ({"profile": {"horizon_days": 0}}, ("profile.horizon_days",)),
        "distill-no-teacher": ({"ladder": {"distill": {}}}, ("ladder.distill.teacher",)),
        "distill-teacher-no-key": ({"ladder": {"distill": {"teacher": "openai:gpt-4o"}}}, ("OPENAI_API_KEY", "ladder.distill.teacher")),
        "distill-bogus-teacher": ({"ladder": {"distill": {"teacher": "nope:x"}}}, ("ladder.distill.teacher", "unknown backend")),
        "distill-bad-inputs": ({"ladder": {"distill": {"teacher": "local:x", "inputs": "all"}}}, ("ladder.distill.inputs",)),
        "models-hosted-distill": (
            {
                "model": DROP,
                "ladder": {"distill": {"teacher": "local:x"}},
                "models": [{"model": "openai:http://127.0.0.1:9/v1#b", "rungs": ["distill"]}],
            },
            ("models.0.rungs", "distill", "local weights"),
        ),
        "rag-extract-not-bool": ({"ladder": {"rag": {"extract": "sometimes"}}}, ("ladder.rag.extract",)),
    }
    for name, (changes, names) in bad_values.items():
        raw.append((name, {"s.yaml": scenario_text(**_floats(changes)), **base}, ("s.yaml", *names)))
    data_cases = {
        "eval-missing": ({}, ("eval.jsonl", "not found")),
        "eval-folder": ({"eval.jsonl": None}, ("eval.jsonl",)),
        **{f"eval-{k}": ({"eval.jsonl": v[0]}, ("eval.jsonl", v[1])) for k, v in {**BAD_BYTES, **BAD_JSONL}.items()},
        "answer-not-a-label": ({"eval.jsonl": good_eval}, ("eval.jsonl:1", "task.labels")),
        "unlabeled-missing": ({"eval.jsonl": good_eval}, ("data.unlabeled", "not found")),
        "unlabeled-answered": ({"eval.jsonl": good_eval, "in.jsonl": good_eval}, ("in.jsonl:1", "must end with the user turn")),
        "unlabeled-not-json": ({"eval.jsonl": good_eval, "in.jsonl": b"{nope\n"}, ("in.jsonl:1", "not valid JSON")),
    }
    for name, (files, names) in data_cases.items():
        text = scenario_text(
            **({"task.labels": ["maybe"]} if name == "answer-not-a-label" else {}),
            **({"data.unlabeled": "in.jsonl"} if name.startswith("unlabeled") else {}),
        )
        raw.append((name, {"s.yaml": text, **files}, names))
    knowledge = {
        "binary": ({"kb/doc.md": bytes(range(256))}, ("doc.md", "not UTF-8")),
        "utf16": ({"kb/faq.TXT": "hello".encode("utf-16")}, ("faq.TXT", "UTF-16")),
        "deep-jsonl": ({"kb/docs.jsonl": b"[" * DEEP + b"]" * DEEP + b"\n"}, ("docs.jsonl:1",)),
        "jsonl-no-text": ({"kb/docs.jsonl": b'{"id": "a"}\n'}, ("docs.jsonl:1", "text")),
        "no-documents": ({"kb/image.png": b"\x89PNG"}, ("data.knowledge",)),
        "missing-folder": ({}, ("data.knowledge", "not found")),
    }
    for name, (files, names) in knowledge.items():
        raw.append((f"knowledge-{name}", {"s.yaml": scenario_text(**{"data.knowledge": "kb"}), **base, **files}, names))
    schema = {
        "binary": (bytes(range(256)), ("schema.json", "not UTF-8")),
        "deep": (b"[" * DEEP + b"]" * DEEP, ("schema.json",)),
        "not-json": (b"{nope", ("schema.json",)),
        "not-a-schema": (b'{"type": 12}', ("schema.json",)),
    }
    json_rows = [{"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": '{"a": 1}'}]} for i in range(3)]
    for name, (content, names) in schema.items():
        text = scenario_text(**{"task.kind": "extraction", "grader.kind": "json", "grader.schema": "schema.json"})
        raw.append((f"schema-{name}", {"s.yaml": text, "eval.jsonl": jsonl(json_rows), "schema.json": content}, names))
    cases = []
    for name, files, names in raw:
        cases.append(Case(f"validate/{name}", lambda d: ["validate", str(d / "s.yaml")], files, 2, names))
        cases.append(Case(f"run/{name}", lambda d: ["run", str(d / "s.yaml"), "--out", str(d / "out"), "--ci"], files, 2, names))
    for name, files, names in raw[:12]:
        cases.append(Case(f"train/{name}", lambda d: ["train", str(d / "s.yaml"), "--out", str(d / "out")], files, 2, names))
        cases.append(Case(f"retrieve/{name}", lambda d: ["retrieve", str(d / "s.yaml")], files, 2, names))
    return cases


def _floats(changes: dict) -> dict:
    """'nan'/'inf' strings as the floats YAML would make of .nan/.inf."""

    def convert(value):
        if value in ("nan", "inf"):
            return float(value)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    return {k: convert(v) for k, v in changes.items()}


def _rest_yaml() -> str:
    return "task: {kind: classification}\ndata: {eval: eval.jsonl}\ngrader: {kind: exact}\ntargets: [{metric: accuracy, min: 0.5}]\n"


def _duplicate_min() -> str:
    return (
        "name: dup\ntask: {kind: classification}\ndata: {eval: eval.jsonl}\ngrader: {kind: exact}\ntargets:\n"
        "  - metric: accuracy\n    min: 0.99\n    min: 0.1\n"
    )


def record(**changes) -> str:
    rung = {
        "name": "zero_shot",
        "status": "measured",
        "n": 10,
        "meets_targets": True,
        "metrics": {"accuracy": {"value": 0.9, "lower": 0.6, "upper": 0.98}},
    }
    data = {
        "scenario": "r",
        "model": "local:smollm2-135m",
        "grader": "exact",
        "targets": [{"metric": "accuracy", "min": 0.5}],
        "confidence": 0.95,
        "profile": {},
        "rungs": [rung],
        "recommendation": {"rung": "zero_shot", "rationale": ["x"]},
    }
    for key, value in changes.items():
        if key.startswith("rung."):
            rung[key[5:]] = value
        else:
            data[key] = value
    return json.dumps(data)


def record_cases() -> list[Case]:
    bad: dict[str, tuple[bytes | str | None, tuple[str, ...]]] = {
        **{name: (content, ("run.json", says)) for name, (content, says) in BAD_BYTES.items()},
        "empty": (b"", ("run.json",)),
        "folder": (None, ("run.json",)),
        "deep": (b"[" * DEEP + b"]" * DEEP, ("run.json",)),
        "not-json": (b"{nope", ("run.json",)),
        "list": (b"[]", ("run.json",)),
        "lower-above-one": (record(**{"rung.metrics": {"accuracy": {"value": 1.2, "lower": 1.5, "upper": 1.6}}}), ("run.json", "accuracy")),
        "negative-n": (record(**{"rung.n": -5}), ("run.json", "rungs.0.n")),
        "unordered-bounds": (
            record(**{"rung.metrics": {"accuracy": {"value": 0.5, "lower": 0.9, "upper": 0.2}}}),
            ("run.json", "out of order"),
        ),
        "nan-value": (
            record(**{"rung.metrics": {"accuracy": {"value": "NaN", "lower": 0.1, "upper": 0.9}}}).replace('"NaN"', "NaN"),
            ("run.json", "accuracy"),
        ),
        "duplicate-rung": (record(rungs=[json.loads(record())["rungs"][0]] * 2), ("run.json", "more than once")),
        "errors-above-n": (record(**{"rung.errors": 50}), ("run.json", "errors")),
        "confidence-two": (record(confidence=2.0), ("run.json", "confidence")),
        "newer-version": (record(version=99), ("run.json", "version")),
        "bad-rung-name": (record(**{"rung.name": "../vibes"}), ("run.json", "rungs.0.name")),  # any identifier names a rung
        "missing-field": (json.dumps({"scenario": "r"}), ("run.json",)),
    }
    cases = [
        Case("gate/missing", lambda d: ["gate", str(d / "run.json")], {}, 2, ("run.json", "not found")),
        Case("report/missing", lambda d: ["report", str(d / "run.json")], {}, 2, ("run.json", "not found")),
    ]
    for name, (content, names) in bad.items():
        files = {"run.json": content}
        cases.append(Case(f"gate/{name}", lambda d: ["gate", str(d / "run.json")], files, 2, names))
        cases.append(Case(f"report/{name}", lambda d: ["report", str(d / "run.json"), "--format", "md"], files, 2, names))
        cases.append(Case(f"compare/{name}", lambda d: ["compare", str(d / "run.json"), str(d / "run.json")], files, 2, names))
        cases.append(Case(f"view/{name}", lambda d: ["view", str(d / "run.json")], files, 2, names))
    good = {"run.json": record()}
    for target in ["accuracy>=2", "accuracy>=nan", "vibes>=0.5", "accuracy=0.5", "p95_latency_ms<=-1", ""]:
        cases.append(
            Case(
                f"gate/target-{target or 'empty'}", lambda d, t=target: ["gate", str(d / "run.json"), "--target", t], good, 2, ("--target",)
            )
        )
    cases += [
        Case(
            "gate/junit-into-proc", lambda d: ["gate", str(d / "run.json"), "--junit", "/proc/hostile/junit.xml"], good, 2, ("junit.xml",)
        ),
        Case(
            "gate/junit-is-folder",
            lambda d: ["gate", str(d / "run.json"), "--junit", str(d / "folder")],
            {**good, "folder": None},
            2,
            ("folder",),
        ),
        Case(
            "report/out-into-proc",
            lambda d: ["report", str(d / "run.json"), "--format", "md", "--out", "/proc/hostile/r.md"],
            good,
            2,
            ("r.md",),
        ),
        Case(
            "report/out-exists",
            lambda d: ["report", str(d / "run.json"), "--format", "md", "--out", str(d / "r.md")],
            {**good, "r.md": "x"},
            2,
            ("r.md",),
        ),
        Case("report/bad-format", lambda d: ["report", str(d / "run.json"), "--format", "pdf"], good, 2, ("--format",)),
        Case("export/missing-run", lambda d: ["export", str(d / "nowhere"), "--merged", str(d / "m")], {}, 2, ("run.json",)),
        Case(
            "export/binary-record",
            lambda d: ["export", str(d), "--merged", str(d / "m")],
            {"run.json": bytes(range(256))},
            2,
            ("run.json", "not UTF-8"),
        ),
        Case("export/no-adapter", lambda d: ["export", str(d), "--merged", str(d / "m")], good, 2, ("adapter",)),
        Case(
            "export/bogus-model",
            lambda d: ["export", str(d), "--merged", str(d / "m")],
            {"run.json": record(model="bogus:x")},
            2,
            ("bogus:x",),
        ),
    ]
    return cases


def data_file_cases() -> list[Case]:
    contents = {**BAD_BYTES, **BAD_JSONL}
    cases = []
    for name, (content, says) in contents.items():
        files = {"d.jsonl": content}
        names = ("d.jsonl", says)
        cases.append(Case(f"data-validate/{name}", lambda d: ["data", "validate", str(d / "d.jsonl")], files, 2, names))
        cases.append(Case(f"data-stats/{name}", lambda d: ["data", "stats", str(d / "d.jsonl")], files, 2, names))
        cases.append(Case(f"eval/{name}", lambda d: ["eval", str(d / "d.jsonl"), "--out", str(d / "out")], files, 2, names))
        cases.append(
            Case(
                f"data-split/{name}",
                lambda d: ["data", "split", str(d / "d.jsonl"), "--train-out", str(d / "t.jsonl"), "--eval-out", str(d / "e.jsonl")],
                files,
                2,
                names,
            )
        )
    for name in ("binary", "utf16", "latin1"):
        content, says = BAD_BYTES[name]
        cases.append(
            Case(
                f"data-convert/csv-{name}",
                lambda d: ["data", "convert", str(d / "in.csv"), str(d / "out.jsonl")],
                {"in.csv": content},
                2,
                ("in.csv", says),
            )
        )
    good = {"d.jsonl": jsonl(GOOD_ROWS)}
    cases += [
        Case(
            "data-convert/deep-array",
            lambda d: ["data", "convert", str(d / "in.json"), str(d / "out.jsonl")],
            {"in.json": b"[" * DEEP + b"]" * DEEP},
            2,
            ("in.json",),
        ),
        Case(
            "data-convert/deep-lines",
            lambda d: ["data", "convert", str(d / "in.jsonl"), str(d / "out.jsonl")],
            {"in.jsonl": b'{"a": ' + b"[" * DEEP + b"]" * DEEP + b"}\n"},
            2,
            ("in.jsonl",),
        ),
        Case("data-convert/missing", lambda d: ["data", "convert", str(d / "nope.csv"), str(d / "out.jsonl")], {}, 2, ("nope.csv",)),
        Case(
            "data-convert/into-proc",
            lambda d: ["data", "convert", str(d / "in.csv"), "/proc/hostile/out.jsonl"],
            {"in.csv": "prompt,completion\nhi,there\n"},
            2,
            ("out.jsonl",),
        ),
        Case(
            "data-split/into-folder",
            lambda d: ["data", "split", str(d / "d.jsonl"), "--train-out", str(d / "dir"), "--eval-out", str(d / "e.jsonl"), "--force"],
            {**good, "dir": None},
            2,
            ("dir",),
        ),
        Case(
            "data-split/into-proc",
            lambda d: ["data", "split", str(d / "d.jsonl"), "--train-out", "/proc/hostile/t.jsonl", "--eval-out", str(d / "e.jsonl")],
            good,
            2,
            ("t.jsonl",),
        ),
        Case(
            "data-split/nan-fraction",
            lambda d: [
                "data",
                "split",
                str(d / "d.jsonl"),
                "--eval-fraction",
                "nan",
                "--train-out",
                str(d / "t"),
                "--eval-out",
                str(d / "e"),
            ],
            good,
            2,
            ("--eval-fraction",),
        ),
        Case(
            "data-split/fraction-two",
            lambda d: [
                "data",
                "split",
                str(d / "d.jsonl"),
                "--eval-fraction",
                "2",
                "--train-out",
                str(d / "t"),
                "--eval-out",
                str(d / "e"),
            ],
            good,
            2,
            ("--eval-fraction",),
        ),
        Case("data-stats/nan-epochs", lambda d: ["data", "stats", str(d / "d.jsonl"), "--epochs", "nan"], good, 2, ("--epochs",)),
        Case(
            "data-stats/inf-price", lambda d: ["data", "stats", str(d / "d.jsonl"), "--price-per-1m", "inf"], good, 2, ("--price-per-1m",)
        ),
        Case(
            "data-stats/hosted-tokenizer",
            lambda d: ["data", "stats", str(d / "d.jsonl"), "--model", "openai:gpt-4o"],
            good,
            2,
            ("--model",),
        ),
        Case("eval/bogus-model", lambda d: ["eval", str(d / "d.jsonl"), "--model", "bogus:thing"], good, 2, ("model", "bogus:thing")),
        Case(
            "eval/hosted-no-key",
            lambda d: ["eval", str(d / "d.jsonl"), "--model", "openai:gpt-4o-mini", "--out", str(d / "o")],
            good,
            2,
            ("OPENAI_API_KEY",),
        ),
        Case(
            "eval/bad-regex",
            lambda d: ["eval", str(d / "d.jsonl"), "--grader", "regex", "--pattern", "([a", "--out", str(d / "o")],
            good,
            2,
            ("pattern",),
        ),
        Case(
            "eval/schema-binary",
            lambda d: ["eval", str(d / "d.jsonl"), "--grader", "json", "--schema", str(d / "s.json")],
            {**good, "s.json": bytes(range(256))},
            2,
            ("s.json",),
        ),
        Case("eval/nan-temperature", lambda d: ["eval", str(d / "d.jsonl"), "--temperature", "nan"], good, 2, ("--temperature",)),
        Case("eval/zero-timeout", lambda d: ["eval", str(d / "d.jsonl"), "--timeout", "0"], good, 2, ("--timeout",)),
        Case(
            "eval/out-is-file",
            lambda d: ["eval", str(d / "d.jsonl"), "--model", "openai:http://127.0.0.1:9/v1#m", "--out", str(d / "d.jsonl")],
            good,
            2,
            ("d.jsonl",),
        ),
    ]
    return cases


def option_cases() -> list[Case]:
    good_scenario = {"s.yaml": scenario_text(), "eval.jsonl": jsonl(GOOD_ROWS)}
    plan = [
        ("zero", ["0"]),
        ("negative", ["-0.5"]),
        ("one", ["1"]),
        ("nan", ["nan"]),
        ("inf", ["inf"]),
        ("word", ["abc"]),
        ("failures-negative", ["0.9", "--failures=-1"]),
        ("failures-word", ["0.9", "--failures", "x"]),
        ("failures-huge", ["0.9", "--failures", "99999999"]),
        ("confidence-two", ["0.9", "--confidence", "2"]),
        ("confidence-nan", ["0.9", "--confidence", "nan"]),
        ("have-zero", ["0.9", "--have", "0"]),
        ("none", []),
    ]
    cases = [Case(f"plan/{name}", lambda d, a=args: ["plan", *a]) for name, args in plan]
    run = [
        ("rungs-bogus", ["--rungs", "bogus"], ("--rungs",)),
        ("rungs-empty", ["--rungs", ","], ("--rungs",)),
        ("limit-zero", ["--limit", "0"], ("--limit",)),
        ("max-cost-nan", ["--max-cost", "nan"], ("--max-cost",)),
        ("concurrency-zero", ["--concurrency", "0"], ("--concurrency",)),
        ("timeout-zero", ["--timeout", "0"], ("--timeout",)),
        ("repeat-zero", ["--repeat", "0"], ("--repeat",)),
        ("out-is-file", ["--out", "eval.jsonl"], ("eval.jsonl",)),
    ]
    for name, extra, names in run:
        cases.append(
            Case(
                f"run/{name}",
                lambda d, e=extra: ["run", str(d / "s.yaml"), "--ci", *[str(d / x) if x == "eval.jsonl" else x for x in e]],
                good_scenario,
                2,
                names,
            )
        )
    cases += [
        Case("serve/open-host-without-key", lambda d: ["serve", "--host", "0.0.0.0"], {}, 2, ("--api-key",)),
        Case("serve/port-too-big", lambda d: ["serve", "--port", "70000"], {}, 2, ("--port",)),
        Case("serve/hosted-model", lambda d: ["serve", "--model", "openai:gpt-4o"], {}, 2, ("openai:gpt-4o",)),
        Case("serve/missing-adapter", lambda d: ["serve", "--adapter", str(d / "nope")], {}, 2, ("nope",)),
        Case("serve/body-limit-zero", lambda d: ["serve", "--max-body-bytes", "0"], {}, 2, ("--max-body-bytes",)),
        Case("schema/extra-argument", lambda d: ["schema", "extra"], {}, 2),
        Case("validate/no-argument", lambda d: ["validate"], {}, 2),
        Case("unknown-command", lambda d: ["frobnicate"], {}, 2, ("frobnicate",)),
        Case("train/no-out", lambda d: ["train", str(d / "s.yaml")], good_scenario, 2, ("--out",)),
        Case(
            "train/zero-steps",
            lambda d: ["train", str(d / "s.yaml"), "--out", str(d / "o"), "--max-steps", "0"],
            good_scenario,
            2,
            ("--max-steps",),
        ),
        Case(
            "train/too-few-examples", lambda d: ["train", str(d / "s.yaml"), "--out", str(d / "o")], good_scenario, 2, ("ladder.finetune",)
        ),
        Case("wizard/limit-zero", lambda d: ["wizard", "--limit", "0"], {}, 2, ("--limit",)),
    ]
    return cases


def _laughs(levels: int, width: int) -> str:
    """A 'billion laughs': each level lists `width` aliases of the one before, width**levels nodes from a few hundred bytes."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def _mapping_laughs(levels: int, width: int) -> str:
    """The same growth through mappings: each level's keys all alias the level before."""
    keys = [f"k{j}" for j in range(width)]
    lines = [f"m0: &m0 {{{', '.join(f'{k}: lol' for k in keys)}}}"]
    lines += [f"m{i}: &m{i} {{{', '.join(f'{k}: *m{i - 1}' for k in keys)}}}" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


# YAML whose aliases expand far beyond the text: (file text, line the message must name).
BOMBS: dict[str, tuple[str, int]] = {
    "deep": ("name: laughs\n" + _laughs(9, 9), 6),
    "wide": ("name: wide\nblock: &b [" + ", ".join(["x"] * 1000) + "]\nuses: [" + ", ".join(["*b"] * 50_000) + "]\n", 3),
    "mapping": ("name: maps\n" + _mapping_laughs(8, 10), 5),
    "merge-keys": ("name: merges\n" + _mapping_laughs(3, 10) + "top: {<<: [*m2, *m2, *m2, *m2, *m2]}\n", 5),
    "self-sequence": ("name: loop\nlabels: &l [a, *l]\n", 2),
    "self-mapping": ("name: loop\ntask: &t {kind: classification, again: *t}\n", 2),
}


def scenario_yaml(**changes) -> str:
    """scenario_text as block YAML, one key a line, so that a message's line can be checked."""
    return yaml.safe_dump(json.loads(scenario_text(**changes)), sort_keys=False)


def line_of(text: str, start: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if line.strip().startswith(start))


def _on_scenario(command: str, *extra: str) -> Callable[[Path], list[str]]:
    """`advisor COMMAND s.yaml EXTRA...` in the test folder."""
    return lambda d: [command, str(d / "s.yaml"), *extra]


def out_of_proportion_cases() -> list[Case]:
    """Inputs built to make a command run for minutes or hang: each must be refused, with its place and fix, in seconds."""
    good: dict[str, bytes | str | None] = {"eval.jsonl": jsonl(GOOD_ROWS)}
    cases = []
    for name, (text, line) in BOMBS.items():
        files: dict[str, bytes | str | None] = {"s.yaml": text, **good}
        names: tuple[str, ...] = (f"s.yaml:{line}", "alias")
        for command in ("validate", "run", "wizard", "train", "retrieve"):
            extra = {"run": ("--out", "out", "--ci"), "train": ("--out", "out")}.get(command, ())
            cases.append(Case(f"{command}/bomb-{name}", _on_scenario(command, *extra), files, 2, names, 10))
    wizard_files: dict[str, tuple[dict[str, bytes | str | None], tuple[str, ...]]] = {
        "binary": ({"s.yaml": BAD_BYTES["binary"][0]}, ("s.yaml", "not UTF-8")),
        "utf16": ({"s.yaml": BAD_BYTES["utf16"][0]}, ("s.yaml", "UTF-16")),
        "list": ({"s.yaml": b"- a\n- b\n"}, ("s.yaml:1", "mapping")),
        "scalar": ({"s.yaml": b"just words\n"}, ("s.yaml:1", "mapping")),
        "missing": ({}, ("s.yaml", "not found")),
        "not-yaml": ({"s.yaml": b"name: [unclosed\n"}, ("s.yaml", "not valid YAML")),
        "schema": ({"s.yaml": scenario_text(colour="red"), **good}, ("s.yaml", "colour")),
        "no-terminal": ({"s.yaml": scenario_text(), **good}, ("terminal", "advisor run")),
    }
    for name, (wizard_input, says) in wizard_files.items():
        cases.append(Case(f"wizard/{name}", _on_scenario("wizard"), wizard_input, 2, says, 10))
    cases += [
        Case("wizard/no-file-no-terminal", lambda d: ["wizard"], {}, 2, ("terminal",), 10),
        Case("wizard/no-command-no-terminal", lambda d: [], {}, 2, ("terminal",), 10),
    ]
    huge = 10_000_000
    max_tokens: dict[str, tuple[dict, tuple[str, ...]]] = {
        "local": ({"generation": {"max_tokens": huge}}, ("8192", "local:smollm2-135m")),
        "local-candidate": (
            {"model": DROP, "models": [{"model": "local:smollm2-135m"}], "generation": {"max_tokens": huge}},
            ("8192",),
        ),
        "remote": ({"model": "openai:http://127.0.0.1:9/v1#m", "generation": {"max_tokens": huge}}, ("1,000,000",)),
        "hosted": ({"model": "openai:gpt-4o-mini", "generation": {"max_tokens": huge}}, ("1,000,000", "OPENAI_API_KEY")),
        "remote-candidate": (
            {
                "model": DROP,
                "models": [{"model": "local:smollm2-135m"}, {"model": "openai:http://127.0.0.1:9/v1#m"}],
                "generation": {"max_tokens": 2_000_000},
            },
            ("8192", "1,000,000", "openai:http://127.0.0.1:9/v1#m"),
        ),
    }
    for name, (changes, said) in max_tokens.items():
        text = scenario_yaml(**changes)
        names = (f"s.yaml:{line_of(text, 'max_tokens:')}", "generation.max_tokens", *said)
        files = {"s.yaml": text, **good}
        cases.append(Case(f"validate/max-tokens-huge-{name}", _on_scenario("validate"), files, 2, names, 10))
        cases.append(Case(f"run/max-tokens-huge-{name}", _on_scenario("run", "--out", "out", "--ci"), files, 2, names, 10))
    return cases


def custom_rung_cases() -> list[Case]:
    """Bad `ladder.custom` entries (a team's own system on the ladder): refused by validate and run before any call."""
    module = "VALUE = 3\n\ndef answer(messages):\n    return 'yes'\n"
    broken = {
        "syntax": "def answer(messages)\n    return 'yes'\n",
        "raises-on-import": "raise RuntimeError('the index is not built')\n",
        "imports-missing": "import not_installed_anywhere\n",
    }
    entries: dict[str, tuple[object, tuple[str, ...]]] = {
        "not-a-list": ({"name": "ours"}, ("ladder.custom",)),
        "no-name": ([{"python": "mod:answer"}], ("ladder.custom.0.name",)),
        "name-upper": ([{"name": "Ours", "python": "mod:answer"}], ("ladder.custom.0.name",)),
        "name-path": ([{"name": "../ours", "python": "mod:answer"}], ("ladder.custom.0.name",)),
        "name-shipped": ([{"name": "finetune", "python": "mod:answer"}], ("ladder.custom", "taken")),
        "name-twice": ([{"name": "a", "python": "mod:answer"}, {"name": "a", "python": "mod:answer"}], ("ladder.custom", "taken")),
        "neither": ([{"name": "ours"}], ("ladder.custom.0", "exactly one")),
        "both": ([{"name": "ours", "python": "mod:answer", "http": {"url": "http://127.0.0.1:9/a"}}], ("exactly one",)),
        "python-no-colon": ([{"name": "ours", "python": "mod.answer"}], ("ladder.custom.0", "module:function")),
        "python-empty": ([{"name": "ours", "python": ""}], ("ladder.custom.0",)),
        "python-number": ([{"name": "ours", "python": 42}], ("ladder.custom.0.python",)),
        "python-missing-module": (
            [{"name": "ours", "python": "nosuchmodule:answer"}],
            ("s.yaml:", "ladder.custom.0.python", "nosuchmodule"),
        ),
        "python-missing-function": ([{"name": "ours", "python": "mod:nope"}], ("ladder.custom.0.python", "nope")),
        "python-not-callable": ([{"name": "ours", "python": "mod:VALUE"}], ("ladder.custom.0.python",)),
        "http-no-url": ([{"name": "ours", "http": {}}], ("ladder.custom.0.http.url",)),
        "http-scheme": ([{"name": "ours", "http": {"url": "file:///etc/passwd"}}], ("ladder.custom.0.http",)),
        "http-no-host": ([{"name": "ours", "http": {"url": "http:///answer"}}], ("ladder.custom.0.http",)),
        "http-unset-env": (
            [{"name": "ours", "http": {"url": "http://127.0.0.1:9/a", "headers": {"X": "${UNSET_KEY_9F}"}}}],
            ("UNSET_KEY_9F",),
        ),
        "http-no-placeholder": (
            [{"name": "ours", "http": {"url": "http://127.0.0.1:9/a", "body": {"q": "fixed"}}}],
            ("ladder.custom.0.http",),
        ),
        "http-bad-output": ([{"name": "ours", "http": {"url": "http://127.0.0.1:9/a", "output": ""}}], ("ladder.custom.0.http",)),
        "http-timeout-zero": ([{"name": "ours", "http": {"url": "http://127.0.0.1:9/a", "timeout": 0}}], ("ladder.custom.0.http.timeout",)),
        "price-negative": ([{"name": "ours", "python": "mod:answer", "pricing": {"per_call": -1}}], ("ladder.custom.0.pricing.per_call",)),
        "price-nan": ([{"name": "ours", "python": "mod:answer", "pricing": {"per_call": "nan"}}], ("ladder.custom.0.pricing.per_call",)),
        "unknown-key": ([{"name": "ours", "python": "mod:answer", "endpoint": "x"}], ("ladder.custom.0",)),
    }
    cases = []
    for name, (custom, names) in entries.items():
        files = {"s.yaml": scenario_text(**_floats({"ladder.custom": custom})), "eval.jsonl": jsonl(GOOD_ROWS), "mod.py": module}
        cases.append(Case(f"validate/custom-{name}", lambda d: ["validate", str(d / "s.yaml")], files, 2, names))
        cases.append(Case(f"run/custom-{name}", lambda d: ["run", str(d / "s.yaml"), "--out", str(d / "out"), "--ci"], files, 2, names))
    for name, source in broken.items():
        files = {"s.yaml": scenario_text(**{"ladder.custom": [{"name": "ours", "python": "mod:answer"}]}), "eval.jsonl": jsonl(GOOD_ROWS)}
        files["mod.py"] = source
        cases.append(
            Case(f"validate/custom-module-{name}", lambda d: ["validate", str(d / "s.yaml")], files, 2, ("ladder.custom.0.python",))
        )
        cases.append(Case(f"run/custom-module-{name}", lambda d: ["run", str(d / "s.yaml"), "--out", str(d / "out")], files, 2, ("mod",)))
    cases.append(
        Case(
            "run/custom-not-a-rung",
            lambda d: ["run", str(d / "s.yaml"), "--rungs", "theirs", "--out", str(d / "out")],
            {
                "s.yaml": scenario_text(**{"ladder.custom": [{"name": "ours", "python": "mod:answer"}]}),
                "eval.jsonl": jsonl(GOOD_ROWS),
                "mod.py": module,
            },
            2,
            ("--rungs", "theirs"),
        )
    )
    return cases


def knowledge_update_cases() -> list[Case]:
    """Bad `data.knowledge_update` (the knowledge after a change): refused by validate and run before any call."""
    doc = "# Doc\n\nThe answer is yes.\n"
    good: dict[str, bytes | str | None] = {
        "eval.jsonl": jsonl(GOOD_ROWS),
        "kb/doc.md": doc,
        "kb2/doc.md": doc,
        "eval2.jsonl": jsonl(GOOD_ROWS),
    }
    update = {"knowledge": "kb2", "eval": "eval2.jsonl"}
    entries: dict[str, tuple[dict, dict[str, bytes | str | None], tuple[str, ...]]] = {
        "no-knowledge": ({"data.knowledge_update": update}, {}, ("data", "set data.knowledge")),
        "no-eval": ({"data.knowledge_update": {"knowledge": "kb2"}}, {}, ("data.knowledge_update.eval", "Field required")),
        "not-a-mapping": ({"data.knowledge_update": "kb2"}, {}, ("data.knowledge_update",)),
        "unknown-key": ({"data.knowledge_update": {**update, "docs": "kb2"}}, {}, ("data.knowledge_update.docs",)),
        "folder-missing": ({"data.knowledge_update": {**update, "knowledge": "kb3"}}, {}, ("data.knowledge_update.knowledge", "kb3")),
        "folder-is-file": ({"data.knowledge_update": {**update, "knowledge": "eval2.jsonl"}}, {}, ("data.knowledge_update.knowledge",)),
        "folder-empty": (
            {"data.knowledge_update": {**update, "knowledge": "kb4"}},
            {"kb4": None},
            ("data.knowledge_update.knowledge", "add documents"),
        ),
        "doc-binary": ({"data.knowledge_update": update}, {"kb2/doc.md": BAD_BYTES["binary"][0]}, ("doc.md", "UTF-8")),
        "eval-missing": ({"data.knowledge_update": {**update, "eval": "nope.jsonl"}}, {}, ("data.knowledge_update.eval", "nope.jsonl")),
        "eval-not-json": (
            {"data.knowledge_update": update},
            {"eval2.jsonl": BAD_JSONL["not-json"][0]},
            ("eval2.jsonl:1", "not valid JSON"),
        ),
        "eval-empty": ({"data.knowledge_update": update}, {"eval2.jsonl": b""}, ("eval2.jsonl", "0 rows")),
        "eval-no-answer": (
            {"data.knowledge_update": update},
            {"eval2.jsonl": jsonl([{"messages": [{"role": "user", "content": "q"}]}])},
            ("eval2.jsonl:1",),
        ),
    }
    cases = []
    for name, (changes, files, names) in entries.items():
        given = {"s.yaml": scenario_text(**{"data.knowledge": "kb", **changes}), **good, **files}
        if name == "no-knowledge":
            given["s.yaml"] = scenario_text(**changes)
        cases.append(Case(f"validate/update-{name}", _on_scenario("validate"), given, 2, names))
        cases.append(Case(f"run/update-{name}", _on_scenario("run", "--out", "out", "--ci"), given, 2, names))
    return cases


CASES = (
    scenario_cases()
    + record_cases()
    + data_file_cases()
    + option_cases()
    + out_of_proportion_cases()
    + custom_rung_cases()
    + knowledge_update_cases()
)


def test_the_corpus_is_large_and_covers_every_command():
    from advisor.cli import COMMANDS

    assert len(CASES) >= 150 and len({c.id for c in CASES}) == len(CASES)
    covered = {c.id.split("/")[0].split("-")[0] for c in CASES}
    assert set(COMMANDS) <= covered | {"data"}, set(COMMANDS) - covered


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_is_refused_cleanly(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for name, content in case.files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            path.mkdir()
        else:
            path.write_bytes(content.encode() if isinstance(content, str) else content)
    started = time.perf_counter()
    code, out, err = run_cli(case.args(tmp_path), capsys)
    elapsed = time.perf_counter() - started
    text = out + err
    assert "Traceback" not in text and "Internal error" not in text, text
    assert code == case.code, text
    for name in case.names:
        assert name in text, f"{name!r} not in:\n{text}"
    assert case.seconds is None or elapsed < case.seconds, f"took {elapsed:.1f} s"


def test_aliases_in_proportion_still_read(tmp_path):
    from advisor.scenario.file import load_scenario

    text = (
        "name: anchors\ntask: {kind: classification, labels: [spam, ham]}\ndata: {eval: eval.jsonl}\ngrader: {kind: exact}\n"
        "targets:\n  - &target {metric: accuracy, min: 0.5}\n  - {<<: *target, min: 0.6}\n"
        "models:\n  - {model: 'local:m0', rungs: &rungs [zero_shot]}\n  - {model: 'local:m1', rungs: *rungs}\n"
        "ladder: {zero_shot: {}, few_shot: null, prompt_search: null, rag: null, finetune: null}\n"
    )
    (tmp_path / "s.yaml").write_text(text)
    scenario = load_scenario(tmp_path / "s.yaml")  # a merge key that overrides a value is no duplicate key
    assert [t.min for t in scenario.targets] == [0.5, 0.6] and [c.rungs for c in scenario.candidates] == [["zero_shot"]] * 2


def test_yaml_that_blows_up_is_left_out_of_the_shipped_scenarios(tmp_path):
    from advisor.tui.places import shipped_scenarios

    for name, (text, _) in BOMBS.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    (tmp_path / "fine.yaml").write_text("name: fine\ndescription: &d a scenario\nnote: *d\n")
    started = time.perf_counter()
    assert [s.name for s in shipped_scenarios([tmp_path])] == ["fine"]
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize(
    "args, stdin, says",
    [
        (["wizard", "{binary}"], "{binary}", "not UTF-8"),  # the file as argument and as stdin, as `advisor wizard f < f`
        (["wizard", "{list}"], None, "mapping"),
        (["wizard", "{good}"], None, "terminal"),
        (["wizard"], None, "terminal"),
        ([], None, "terminal"),
    ],
    ids=["binary", "list", "good-file", "no-file", "no-command"],
)
def test_the_wizard_without_a_terminal_ends_at_once(args, stdin, says, tmp_path):
    """As a script or CI step would start it: stdin a file, or a pipe held open that never sends a key; stdout a pipe."""
    import os
    import subprocess
    import sys

    files = {"binary": BAD_BYTES["binary"][0], "list": b"- a\n- b\n", "good": scenario_text().encode()}
    for name, content in files.items():
        (tmp_path / f"{name}.yaml").write_bytes(content)
    args = [a.format(**{name: tmp_path / f"{name}.yaml" for name in files}) for a in args]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    silent, held = os.pipe()
    source = open(stdin.format(binary=tmp_path / "binary.yaml"), "rb") if stdin else os.fdopen(silent, "rb")  # noqa: SIM115 (closed in the finally below, with the pipe it may stand for)
    started = time.perf_counter()
    try:
        with subprocess.Popen(
            [sys.executable, "-m", "advisor", *args], stdin=source, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
        ) as process:
            try:
                output = process.communicate(timeout=10)[0].decode(errors="replace")
            finally:
                process.kill()
    finally:
        source.close()
        os.close(held)
        if stdin:
            os.close(silent)
    assert process.returncode == 2 and says in output and "Traceback" not in output, output
    assert time.perf_counter() - started < 10


def test_a_csv_cell_past_the_csv_module_limit_converts(tmp_path, capsys):
    answer = "long answer " * 20_000  # 240,000 characters, past the csv module's 131,072
    (tmp_path / "in.csv").write_text(f'prompt,completion\nhi,"{answer}"\nhello,there\n')
    code, out, err = run_cli(["data", "convert", str(tmp_path / "in.csv"), str(tmp_path / "out.jsonl")], capsys)
    assert code == 0, out + err
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [len(r["messages"][1]["content"]) for r in rows] == [len(answer.strip()), 5]


@pytest.mark.parametrize(
    "content, where",
    [
        ("prompt,completion\nhi,there\n{long},yes\n", ("in.csv:3", "field 'prompt'")),
        ("id,prompt,completion\n1,hi,there\n2,hello,{long}\n", ("in.csv:3", "field 'completion'")),
        ("prompt,completion\n{long},{long}\n", ("in.csv:2", "field 'prompt'", "field 'completion'")),
        ('prompt,completion\nhi,"{long}\n{long}"\nhello,there\n', ("in.csv:3", "field 'completion'")),
        ('prompt,completion\nhi,"there\n' + "hello,there\n" * 300, ("in.csv:302", "field 'completion'", "never closed")),
        ("prompt,{long}\nhi,there\n", ("in.csv:1", "field 'column 2'")),
        ("prompt\tcompletion\nhi\t{long}\n", ("in.tsv:2", "field 'completion'")),
    ],
    ids=["first-column", "last-column", "both-columns", "quoted-across-lines", "open-quote", "header", "tab-separated"],
)
def test_a_csv_cell_past_the_bound_is_named_by_line_and_column(content, where, tmp_path, capsys, monkeypatch):
    """The bound is lowered to 1,000 characters here so that each shape takes a small file; the test below has the real one."""
    monkeypatch.setattr("evals.data._records.CSV_CELL_LIMIT", 1_000)
    src = tmp_path / ("in.tsv" if "\t" in content else "in.csv")
    src.write_text(content.format(long="x" * 1_001))
    started = time.perf_counter()
    code, out, err = run_cli(["data", "convert", str(src), str(tmp_path / "out.jsonl")], capsys)
    text = out + err
    assert code == 2 and "Traceback" not in text and "1,000 a cell may hold" in text and "Fix:" in text, text
    for part in where:
        assert part in text, f"{part!r} not in:\n{text}"
    assert time.perf_counter() - started < 10 and not (tmp_path / "out.jsonl").exists()


def test_a_csv_cell_past_the_real_bound_is_refused(tmp_path, capsys):
    from evals.data._records import CSV_CELL_LIMIT

    assert CSV_CELL_LIMIT == 64 * 1024 * 1024
    (tmp_path / "in.csv").write_bytes(b"prompt,completion\nhi,there\nhello," + b"x" * (CSV_CELL_LIMIT + 1) + b"\n")
    started = time.perf_counter()
    code, out, err = run_cli(["data", "convert", str(tmp_path / "in.csv"), str(tmp_path / "out.jsonl")], capsys)
    text = out + err
    assert code == 2 and "Traceback" not in text and "shorten it" in text, text
    assert "in.csv:3" in text and "field 'completion'" in text and f"{CSV_CELL_LIMIT + 1:,} characters" in text, text
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize("model, max_tokens", [("local:smollm2-135m", 8191), ("openai:http://127.0.0.1:9/v1#m", 1_000_000)])
def test_max_tokens_within_what_the_model_can_write_passes(model, max_tokens, tmp_path, capsys):
    (tmp_path / "s.yaml").write_text(scenario_yaml(model=model, generation={"max_tokens": max_tokens}))
    (tmp_path / "eval.jsonl").write_bytes(jsonl(GOOD_ROWS))
    code, out, err = run_cli(["validate", str(tmp_path / "s.yaml")], capsys)
    assert "generation.max_tokens" not in out + err and code == 0, out + err
