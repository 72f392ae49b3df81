"""The open ladder: a team's own system (`ladder.custom`, a Python function or an HTTP endpoint) and a rung
registered from outside the package are measured, recorded and reported like the shipped rungs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from clirun import run_cli
from fakes.endpoint_server import EndpointServer

from advisor.record.run import load_record
from advisor.record.samples import read

LABELS = ["refund", "shipping", "account", "billing"]
WORDS = {"refund": "money back", "shipping": "parcel late", "account": "password reset", "billing": "charged twice"}


def _examples(n: int, offset: int = 0) -> list[dict]:
    rows = []
    for i in range(offset, offset + n):
        label = LABELS[i % len(LABELS)]
        rows.append(
            {
                "id": f"x{i}",
                "messages": [
                    {"role": "user", "content": f"ticket {i}: {WORDS[label]} please"},
                    {"role": "assistant", "content": label},
                ],
            }
        )
    return rows


def _scenario(tmp_path: Path, custom: list[dict], n_eval: int = 24) -> Path:
    for name, rows in (("eval", _examples(n_eval)), ("train", _examples(40, offset=1000))):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    scenario = {
        "name": "own-system",
        "task": {"kind": "classification", "system_prompt": "Route the ticket.", "labels": LABELS},
        "data": {"train": "train.jsonl", "eval": "eval.jsonl"},
        "grader": {"kind": "label"},
        "targets": [{"metric": "accuracy", "min": 0.5}],
        "ladder": {"custom": custom},
    }
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path


def _module(tmp_path: Path, name: str, body: str) -> None:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(body))


MAJORITY = """
    import json, pathlib
    CALLS = pathlib.Path(__file__).with_name("calls.log")

    def answer(messages):
        with CALLS.open("a") as f:
            f.write(messages[-1]["content"] + "\\n")
        text = messages[-1]["content"]
        return "refund" if "money" in text or "parcel" in text else "billing"
"""


def _expected_share(rows: list[dict]) -> float:
    """What the majority function gets right, computed apart from the advisor."""
    right = 0
    for row in rows:
        text, gold = row["messages"][0]["content"], row["messages"][1]["content"]
        said = "refund" if "money" in text or "parcel" in text else "billing"
        right += said == gold
    return right / len(rows)


def test_a_python_rung_is_measured_on_every_item_and_shows_everywhere(tmp_path, run_cache, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _scenario(tmp_path, [{"name": "majority", "python": "mod:answer"}])
    _module(tmp_path, "mod", MAJORITY)
    code, out, err = run_cli(["validate", str(path)], capsys)
    assert code == 0, err

    code, out, err = run_cli(["run", str(path), "--rungs", "majority", "--no-sequential", "--out", "run1"], capsys)
    assert code in (0, 1), err
    record = load_record(tmp_path / "run1" / "run.json")
    rung = record.rung("majority")
    assert rung is not None and rung.status == "measured" and rung.n == 24
    truth = _expected_share(_examples(24))
    assert rung.metrics["accuracy"].value == pytest.approx(truth)
    assert truth == 0.5  # refund and shipping right, account and billing: billing right, account wrong
    samples = read(tmp_path / "run1" / "samples" / "majority.jsonl")
    assert len(samples) == 24 and {s.rung for s in samples} == {"majority"}
    html = (tmp_path / "run1" / "report.html").read_text()
    assert '"majority"' in html  # the review page's data names the rung
    assert "majority" in (tmp_path / "run1" / "report.md").read_text()

    code, out, err = run_cli(["report", str(tmp_path / "run1" / "run.json"), "--format", "csv", "--out", "items.csv"], capsys)
    assert code == 0, err
    lines = (tmp_path / "items.csv").read_text().splitlines()
    assert sum(",majority," in line or line.startswith("majority,") for line in lines) == 24

    code, out, err = run_cli(["run", str(path), "--rungs", "majority", "--no-sequential", "--out", "run2"], capsys)
    code, out, err = run_cli(["compare", "run1", "run2"], capsys)
    assert code == 0, err
    assert "majority" in out


FLAKY = """
    import json, pathlib, time

    HERE = pathlib.Path(__file__).parent

    def answer(messages):
        text = messages[-1]["content"]
        number = int(text.split()[1].rstrip(":"))
        with (HERE / "calls.log").open("a") as log:
            log.write(f"{number}\\n")
        broken = json.loads((HERE / "broken.json").read_text())  # what its index lacks today: data, not code
        if number in broken["raise"]:
            raise ValueError(f"index has no entry for ticket {number}")
        if number in broken["hang"]:
            time.sleep(5)
        return "refund"
"""


def test_a_function_that_raises_or_hangs_fails_those_items_and_a_rerun_asks_only_for_them(tmp_path, run_cache, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _scenario(tmp_path, [{"name": "flaky", "python": "flaky:answer"}], n_eval=20)
    _module(tmp_path, "flaky", FLAKY)
    raised, hung = {0, 5, 10, 15}, {3, 13}
    (tmp_path / "broken.json").write_text(json.dumps({"raise": sorted(raised), "hang": sorted(hung)}))
    args = ["run", str(path), "--rungs", "flaky", "--no-sequential", "--out", "run", "--timeout", "1", "--latency-probe", "0"]
    code, out, err = run_cli(args, capsys)
    assert code in (0, 1), err  # the system's failures are its wrong answers, not a backend failure (exit 3)
    rung = load_record(tmp_path / "run" / "run.json").rung("flaky")
    assert rung is not None and rung.n == 20
    assert rung.errors == len(raised | hung)
    by_id = {s.id: s for s in read(tmp_path / "run" / "samples" / "flaky.jsonl")}
    for i in raised:
        assert "ValueError: index has no entry" in (by_id[f"x{i}"].error or "")
    for i in hung:
        assert "did not return within 1 s" in (by_id[f"x{i}"].error or "")
    html = (tmp_path / "run" / "report.html").read_text()
    assert "index has no entry for ticket 5" in html  # the review page shows each item's reason

    (tmp_path / "broken.json").write_text(json.dumps({"raise": [], "hang": []}))  # the index mended, the code the same
    (tmp_path / "calls.log").unlink()
    code, out, err = run_cli(args, capsys)
    assert code in (0, 1), out + err
    asked = [int(line) for line in (tmp_path / "calls.log").read_text().split()]
    assert sorted(asked) == sorted(raised | hung)  # the 14 answered items come from the run's journal
    rerun = load_record(tmp_path / "run" / "run.json").rung("flaky")
    assert rerun is not None and rerun.errors == 0 and rerun.n == 20


def test_an_http_rung_is_measured_against_a_local_endpoint(tmp_path, run_cache, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OUR_KEY", "sk-our-secret-123456")

    def respond(request):
        assert request["headers"]["authorization"] == "Bearer sk-our-secret-123456"
        question = request["body"]["question"]
        return 200, {"data": {"answer": "shipping" if "parcel" in question else "account"}}

    with EndpointServer(respond) as server:
        http = {
            "url": server.url(),
            "body": {"question": "{{input}}"},
            "output": "data.answer",
            "headers": {"Authorization": "Bearer ${OUR_KEY}"},
        }
        path = _scenario(tmp_path, [{"name": "our_endpoint", "http": http, "pricing": {"per_call": 0.002}}], n_eval=16)
        code, out, err = run_cli(["run", str(path), "--rungs", "our_endpoint", "--no-sequential", "--out", "run"], capsys)
    assert code in (0, 1), err
    rung = load_record(tmp_path / "run" / "run.json").rung("our_endpoint")
    assert rung is not None and rung.n == 16 and rung.errors == 0
    assert rung.metrics["accuracy"].value == pytest.approx(0.5)  # shipping and account right
    assert rung.cost_per_1m_calls_usd == pytest.approx(2000.0)
    for written in (tmp_path / "run").rglob("*"):
        if written.is_file():
            assert "sk-our-secret-123456" not in written.read_text(errors="ignore"), written


def test_a_dead_endpoint_ends_the_run_as_a_backend_failure(tmp_path, run_cache, capsys, monkeypatch):
    import socket
    import time

    monkeypatch.chdir(tmp_path)
    with socket.socket() as free:  # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    http = {"url": f"http://127.0.0.1:{port}/answer", "body": {"question": "{{input}}"}, "output": "answer"}
    path = _scenario(tmp_path, [{"name": "down", "http": http}])
    started = time.perf_counter()
    code, out, err = run_cli(["run", str(path), "--rungs", "down", "--out", "run"], capsys)
    assert code == 3, out + err  # not 24 wrong answers: the system is down
    assert "down" in err and "Traceback" not in err
    assert time.perf_counter() - started < 90


@pytest.mark.parametrize(
    ("custom", "field", "says"),
    [
        ({"name": "ours", "python": "nosuchmodule:answer"}, "ladder.custom.0.python", "no module 'nosuchmodule'"),
        ({"name": "ours", "python": "mod:missing"}, "ladder.custom.0.python", "missing"),
        ({"name": "ours", "python": "mod:VALUE"}, "ladder.custom.0.python", "not a function"),
        ({"name": "ours", "http": {"url": "ftp://example"}}, "ladder.custom.0.http", "url"),
        (
            {"name": "ours", "http": {"url": "http://127.0.0.1:9/x", "headers": {"X-Key": "${NOT_SET_ANYWHERE}"}}},
            "ladder.custom.0.http",
            "NOT_SET_ANYWHERE",
        ),
        ({"name": "few_shot", "python": "mod:answer"}, "ladder.custom", "taken"),
        ({"name": "ours"}, "ladder.custom.0", "exactly one"),
    ],
)
def test_a_bad_custom_rung_is_refused_before_anything_runs(tmp_path, capsys, custom, field, says):
    path = _scenario(tmp_path, [custom])
    _module(tmp_path, "mod", "VALUE = 3\n\ndef answer(messages):\n    return 'refund'\n")
    for command in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "run")]):
        code, out, err = run_cli(command, capsys)
        assert code == 2, (command, out, err)
        assert field in err and says in err and "Traceback" not in err
        assert "scenario.yaml:" in err  # the file and line
    assert not (tmp_path / "run").exists()


@pytest.fixture
def nearest():
    """The nearest-neighbour rung of tests/fakes/knn_rung.py, registered for one test."""
    from fakes.knn_rung import register

    from advisor.registry import unregister_rung

    rung = register()
    yield rung
    unregister_rung(rung.name)


def test_a_rung_registered_from_outside_the_package_is_on_the_whole_ladder(tmp_path, run_cache, capsys, monkeypatch, nearest):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["schema"], capsys)
    ladder = json.loads(out)["properties"]["ladder"]
    ladder = json.loads(out)["$defs"]["Ladder"] if "$ref" in ladder else ladder
    assert "nearest" in ladder["properties"]
    assert json.loads(out)["$defs"]["NearestSettings"]["properties"]["min_overlap"]["description"].startswith("Shared words")

    from advisor.tui.answers import blank
    from advisor.tui.screens.questions import rung_choices

    assert ("nearest neighbour (the answer of the most similar train example)", "nearest") in rung_choices()
    assert "nearest" in blank()["rungs"]

    path = _scenario(tmp_path, [])
    code, out, err = run_cli(["run", str(path), "--rungs", "nearest", "--no-sequential", "--out", "run"], capsys)
    assert code == 0, err
    record = load_record(tmp_path / "run" / "run.json")
    rung = record.rung("nearest")
    assert rung is not None and rung.metrics["accuracy"].value == 1.0  # every eval ticket has its words in train
    assert [r.name for r in record.rungs][:2] == ["zero_shot", "nearest"]  # its place: order 15
    assert record.recommendation.rung == "nearest"
    assert rung.details == {"train_examples": 40, "unknown": 0}  # its own section of the record
    section = "Looked answers up among 40 train examples; 0 items had no overlap."
    markdown = (tmp_path / "run" / "report.md").read_text()
    assert "### nearest neighbour" in markdown and section in markdown
    html = (tmp_path / "run" / "report.html").read_text()
    assert "<h2>nearest neighbour</h2>" in html and section in html


def test_the_shipped_example_puts_a_retrieval_pipeline_on_the_ladder(tmp_path, run_cache, capsys):
    example = Path(__file__).resolve().parent.parent / "examples" / "custom-rung" / "product-faq-pipeline.yaml"
    out = tmp_path / "run"
    code, _, err = run_cli(["run", str(example), "--rungs", "our_pipeline", "--no-sequential", "--out", str(out)], capsys)
    assert code == 0, err
    rung = load_record(out / "run.json").rung("our_pipeline")
    assert rung is not None and rung.n == 100 and rung.errors == 0
    assert rung.metrics["accuracy"].value == pytest.approx(0.71)  # its right answers, counted apart above: 71 of 100
    assert rung.cost_per_1m_calls_usd == pytest.approx(100.0)
