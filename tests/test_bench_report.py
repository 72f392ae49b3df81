"""benchmarks/run_all.py and the RESULT line every benchmark ends with: ratios point one way, failures are listed, notes survive."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import _report  # noqa: E402
import run_all  # noqa: E402


def test_ratio_above_one_means_we_are_ahead_whichever_way_the_unit_points(capsys):
    faster = _report.emit("t", ours=1.0, peer=3.0, unit="s", peer_name="p", lower_is_better=True)
    slower = _report.emit("t", ours=1.0, peer=3.0, unit="items/s", peer_name="p")
    assert (faster["ratio"], faster["met"]) == (3.0, True)
    assert (round(slower["ratio"], 3), slower["met"]) == (0.333, False)
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line[len(_report.PREFIX) :])["ratio"] for line in lines] == [3.0, 0.333]


def test_a_goal_with_a_second_condition_is_missed_when_that_condition_fails(capsys):
    row = _report.emit("t", ours=2.0, peer=1.0, unit="x", peer_name="p", goal=">= 1x, 100% valid", also_holds=False)
    assert row["ratio"] == 2.0 and row["met"] is False


@pytest.fixture
def scripts(tmp_path, monkeypatch):
    monkeypatch.setattr(run_all, "HERE", tmp_path)
    (tmp_path / "ok.py").write_text('print(\'working\')\nprint(\'RESULT \' + \'{"name": "ok", "ratio": 1.5, "met": true}\')\n')
    (tmp_path / "plain.py").write_text("print('first')\nprint('speed-up 4x')\n")
    (tmp_path / "broken.py").write_text("import sys\nsys.exit('no model here')\n")
    return tmp_path


def test_run_one_reads_the_result_line_or_says_why_there_is_none(scripts):
    assert run_all.run_one("ok.py", [], 1, 60)["ratio"] == 1.5
    assert run_all.run_one("plain.py", [], 1, 60)["note"] == "speed-up 4x"
    assert run_all.run_one("broken.py", [], 1, 60)["skipped"] == "exit 1: no model here"
    assert run_all.run_one("absent.py", ["--n", "2"], 1, 60) == {
        "script": "absent.py",
        "command": "python benchmarks/absent.py --n 2",
        "skipped": "not in this checkout",
    }


def test_results_keep_the_notes_written_below_the_mark(scripts):
    out = scripts / "RESULTS.md"
    rows = [run_all.run_one(s, [], 1, 60) for s in ("ok.py", "broken.py")]
    header = {"date": "d", "machine": "m", "command": "c", "threads": 1, "minutes": 0.1, "load": (0.0, 0.0)}
    out.write_text(run_all.render(rows, header, "\nwhy the ratio is what it is\n"))
    text = run_all.render(rows, header, run_all.kept_notes(out))
    assert text.endswith(run_all.NOTES_MARK + "\nwhy the ratio is what it is\n")
    table = [line for line in text.splitlines() if line.startswith("| ")][1:]
    assert ["| ok |" in table[0], "| skipped | exit 1: no model here |" in table[1]] == [True, True]
