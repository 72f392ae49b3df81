"""The wizard on the embedded SmolLM2, end to end: interview, a live run, results, a saved scenario.yaml that
`advisor validate` accepts and `advisor run` reproduces from the cache without calling the model again.

A private answer cache makes the wizard's run really ask the model; the eval set is cut to 12 examples and
the ladder to zero-shot and few-shot so the test takes about a minute on two cores.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import ClassVar

import pytest
from clirun import run_cli
from conftest import copy_shipped
from test_tui_fakes import until

from advisor.measure import events as ev
from advisor.record.run import load_record
from advisor.registry import rung_order
from advisor.tui import LadderJob, Prepared, create_app
from advisor.tui.screens.interview import InterviewScreen
from advisor.tui.screens.results import ResultsScreen
from advisor.tui.screens.run import RunScreen
from advisor.tui.screens.save import SaveScreen
from advisor.tui.widgets.question import Question
from advisor.tui.widgets.rung_row import RungRow

LIMIT = 12


class Recorded(LadderJob):
    """The real job, keeping every event it sends to the run screen."""

    events: ClassVar[list[object]] = []

    def run(self, on_event):
        def keep(event: object) -> None:
            Recorded.events.append(event)
            on_event(event)

        return super().run(keep)


@pytest.fixture(scope="module")
def wizard_run(tmp_path_factory, embedded_model):
    """Drive the wizard on support-intents (zero-shot and few-shot, first 12 eval examples) and save the scenario."""
    import asyncio

    workdir = tmp_path_factory.mktemp("wizard")
    copy_shipped("support-intents", workdir)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(workdir)
        cache = workdir / "cache"  # private answers, shared converted model
        cache.mkdir()
        (cache / "models").symlink_to(Path(os.environ["ADVISOR_CACHE"]) / "models")
        patch.setenv("ADVISOR_CACHE", str(cache))
        Recorded.events = []
        app = create_app(workdir / "support-intents.yaml", limit=LIMIT, make_job=Recorded, runs_dir=workdir / "runs")
        seen: dict[str, object] = {}

        async def drive() -> None:
            async with app.run_test(size=(100, 30)) as pilot:
                await until(pilot, lambda: isinstance(app.screen, InterviewScreen), 10)
                rungs = next(q for q in app.screen.query(Question) if q.key == "rungs").control
                rungs.deselect("finetune")
                rungs.deselect("prompt_search")
                await pilot.pause()
                assert app.screen.answers.values["rungs"] == ["zero_shot", "few_shot"]
                await pilot.press("ctrl+r")
                await until(pilot, lambda: isinstance(app.screen, RunScreen), 10)
                rows, details = {}, set()

                def watch() -> bool:
                    """Keep what the run screen shows while it is up: each row's state and the few-shot line."""
                    if isinstance(app.screen, RunScreen):
                        rows.update({row.rung: set(row.classes) for row in app.screen.query(RungRow)})
                        details.add(str(app.screen.query_one("#rung-few_shot .rung-detail").render()))
                    return isinstance(app.screen, ResultsScreen)

                await until(pilot, watch, 600)
                seen["rows"], seen["details"] = rows, details
                # the results screen is current before its widgets mount: on a busy machine the table comes a moment later
                await until(pilot, lambda: bool(app.screen.query("#rung-table")), 10)
                table = app.screen.query_one("#rung-table")
                await until(pilot, lambda: table.row_count == len(rung_order()), 10)  # rows are added once the table mounts
                seen["table"] = [str(cell) for cell in table.get_row("few_shot")]
                await pilot.press("s")
                await until(pilot, lambda: isinstance(app.screen, SaveScreen), 10)
                app.screen.query_one("#save-path").value = "my-scenario.yaml"
                await pilot.press("enter")
                # the save callback runs just after the dialog closes; then the command names the saved file
                await until(pilot, lambda: isinstance(app.screen, ResultsScreen) and app.saved is not None, 10)
                seen["command"] = app.screen.command
                await pilot.press("q")

        asyncio.run(drive())
        yield app, seen, workdir


def test_the_wizard_measures_the_embedded_model_live_and_shows_the_results(wizard_run):
    app, seen, workdir = wizard_run
    record = app.return_value
    assert record is not None and record.model_dump() == load_record(workdir / "runs" / "support-intents" / "run.json").model_dump()
    assert [r.name for r in record.measured] == ["zero_shot", "few_shot"]
    # sequential stopping (the default) may settle a rung before its last item
    assert all(r.n <= LIMIT and r.stopping.available == LIMIT and r.errors == 0 for r in record.measured)
    assert record.rung("finetune").status == "skipped" and record.rung("rag").status == "skipped"

    events = Recorded.events
    prepared = events[0]
    assert isinstance(prepared, Prepared) and (prepared.n_eval, prepared.n_eval_total) == (LIMIT, 120)
    assert dict(prepared.rungs)["finetune"] is not None  # left out in the interview, so never started
    started = [e.rung for e in events if isinstance(e, ev.RungStarted)]
    assert started == ["zero_shot", "few_shot"]
    done = [e for e in events if isinstance(e, ev.RowsDone) and e.rung == "few_shot"]
    assert done[-1].done == done[-1].total == LIMIT and len(done) > 1  # progress came row by row, not at the end
    finished = {e.result.name: e.result for e in events if isinstance(e, ev.RungFinished)}
    assert finished["few_shot"] == record.rung("few_shot")

    assert "-skipped" in seen["rows"]["finetune"] and "-skipped" in seen["rows"]["rag"]
    assert "-failed" in seen["rows"]["zero_shot"] or "-passed" in seen["rows"]["zero_shot"]
    live = [d for d in seen["details"] if re.match(rf"\d+/{LIMIT} · acc \d\.\d{{3}} \[", d)]
    assert live, seen["details"]  # the running score with its interval, while few-shot was measured
    few = record.rung("few_shot").metrics["accuracy"]
    assert f"{few.value:.3f}" in seen["table"][1]  # the results table shows the measured accuracy
    assert seen["command"] == f"advisor run my-scenario.yaml --out runs/support-intents --limit {LIMIT}"


def test_the_saved_scenario_validates_and_advisor_run_reproduces_the_numbers_from_the_cache(wizard_run, capsys, monkeypatch):
    app, _, workdir = wizard_run
    saved = workdir / "my-scenario.yaml"
    code, _, err = run_cli(["validate", str(saved)], capsys)
    assert code == 0, err

    from evals.backends.local import LocalBackend

    async def no_model(*args, **kwargs):
        raise AssertionError("the model was asked again: the answers should come from the cache")

    monkeypatch.setattr(LocalBackend, "complete", no_model)
    again = workdir / "again"  # a fresh folder: no journal to resume from, only the cache
    code, _, err = run_cli(["run", str(saved), "--out", str(again), "--limit", str(LIMIT)], capsys)
    assert code in (0, 1), err
    rerun, first = load_record(again / "run.json"), app.return_value
    assert [r.name for r in rerun.measured] == ["zero_shot", "few_shot"]
    for name in ("zero_shot", "few_shot"):
        assert rerun.rung(name).metrics == first.rung(name).metrics
        assert rerun.rung(name).tokens_per_call == first.rung(name).tokens_per_call
    assert rerun.recommendation == first.recommendation
