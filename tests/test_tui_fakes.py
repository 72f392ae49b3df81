"""The scripted fake of the ladder the TUI tests drive the wizard with, and the fixtures they share.

`ScriptedLadder` stands in for `advisor.tui.LadderJob`: it plays a fixed list of the ladder's events
and returns a stored RunRecord (`make_record()` of the report tests), so screens are deterministic
and no model runs. It can hold mid-run until cancelled, to show or stop a live run.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from test_reports import make_record

from advisor.measure import events as ev
from advisor.record.run import RunRecord
from advisor.tui import Prepared, RunCancelled, RunChoices

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tui"


def live_script(record: RunRecord) -> list[object]:
    """A run seen late: prompting measured and missed, the fine-tune trained and now measured, 120 of 200 done."""
    steps = [ev.TrainingStep(s, 40, 2.6 * 0.8 ** (s / 4) + 0.05, (40 - s) * 2.0) for s in range(4, 41, 4)]
    return [
        Prepared(
            "support-intents",
            "local:smollm2-135m",
            200,
            200,
            300,
            [
                ("zero_shot", None),
                ("few_shot", None),
                ("prompt_search", "left out of the scenario's ladder"),
                ("rag", "no knowledge folder (data.knowledge)"),
                ("finetune", None),
            ],
            0.95,
            {"calls": 600, "input_tokens": 152_400, "output_tokens": 4_800, "cost_usd": 0.0213},
            ["200 eval examples can show at most accuracy >= 0.981 at 95% confidence"],
        ),
        ev.RungStarted("zero_shot", 200),
        ev.RowsDone("zero_shot", 200, 200, 0, 0.0, 0.0),
        ev.RungFinished(record.rung("zero_shot")),
        ev.RungStarted("few_shot", 200),
        ev.RowsDone("few_shot", 200, 200, 1, 0.47, 0.0),
        ev.RungFinished(record.rung("few_shot")),
        ev.RungFinished(record.rung("rag")),
        ev.Note("fine-tune: LoRA r=16 on 300 examples, 2 epochs"),
        *steps,
        ev.Note("fine-tune: forgetting check (canary tasks, base vs adapter, through lm-eval)"),
        ev.RungStarted("finetune", 200),
        ev.RowsDone("finetune", 120, 200, 0, 0.983, 64.0),
    ]


def finish_script(record: RunRecord) -> list[object]:
    """The rest of the run: the fine-tune's last answers."""
    return [ev.RowsDone("finetune", 200, 200, 0, 0.985, 0.0), ev.RungFinished(record.rung("finetune"))]


class ScriptedLadder:
    """A fake of LadderJob: plays `script`, optionally holds until cancelled, then plays `rest` and returns `record`."""

    def __init__(
        self, record: RunRecord | None = None, script: list[object] | None = None, rest: list[object] | None = None, hold: bool = False
    ):
        self.record = record or make_record()
        self.script = live_script(self.record) if script is None else script
        self.rest = finish_script(self.record) if rest is None else rest
        self.hold = hold
        self.holding = threading.Event()
        """Set once the script has played and the job waits to be cancelled."""
        self.ended = threading.Event()
        self._cancelled = threading.Event()
        self.calls: list[tuple[Path, Path, RunChoices]] = []

    def __call__(self, scenario_path: Path, out_dir: Path, choices: RunChoices) -> ScriptedLadder:
        """The app's job factory: remember what it was asked to run, hand back a fresh job."""
        self.calls.append((scenario_path, out_dir, choices))
        self._cancelled.clear()
        self.holding.clear()
        self.ended.clear()
        return self

    def run(self, on_event) -> RunRecord:
        try:
            self._play(self.script, on_event)
            if self.hold:
                self.holding.set()
                self._cancelled.wait(30)
            self._play(self.rest, on_event)
            return self.record
        finally:
            self.ended.set()

    def _play(self, events: list[object], on_event) -> None:
        for event in events:
            if self._cancelled.is_set():
                raise RunCancelled()
            on_event(event)

    def cancel(self) -> None:
        self._cancelled.set()


async def until(pilot, check, timeout: float = 5.0) -> None:
    """Let the app run until `check()` holds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await pilot.pause(0.02)


def test_the_scripted_ladder_plays_then_returns_its_record():
    job = ScriptedLadder()(Path("s.yaml"), Path("out"), RunChoices())
    seen: list[object] = []
    assert job.run(seen.append) is job.record
    assert isinstance(seen[0], Prepared) and isinstance(seen[-1], ev.RungFinished)
    assert job.calls == [(Path("s.yaml"), Path("out"), RunChoices())]
