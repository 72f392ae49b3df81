"""SVG snapshots of the wizard at 80x24: the interview, the live run and the results (scripted ladder, no model).

After a deliberate change of the look, rerun with `--snapshot-update` and look at the new SVGs before
committing them (`tests/__snapshots__/test_tui_snapshots/`).
"""

from __future__ import annotations

from test_tui_fakes import ScriptedLadder, until

from advisor.tui import create_app
from advisor.tui.screens.interview import InterviewScreen
from advisor.tui.screens.results import ResultsScreen

SIZE = (80, 24)


async def still(pilot) -> None:
    """Stop the text cursors blinking, so a screenshot does not depend on when in the blink it is taken."""
    for box in pilot.app.screen.query("Input, TextArea"):
        box.cursor_blink = False
    await pilot.pause()


def opened(workdir, job=None):
    return create_app(workdir / "support-intents.yaml", make_job=job or ScriptedLadder(), runs_dir=workdir / "runs")


def at_section(pages: int):
    """Open the interview `pages` sections past the first, cursors still."""

    async def run_before(pilot) -> None:
        await until(pilot, lambda: isinstance(pilot.app.screen, InterviewScreen))
        await pilot.press(*["pagedown"] * pages)
        await pilot.pause()
        await still(pilot)

    return run_before


def test_interview_data_section_with_counts(snap_compare, workdir, steady):
    assert snap_compare(opened(workdir), terminal_size=SIZE, run_before=at_section(1))


def test_interview_targets_with_the_sample_size_hint(snap_compare, workdir, steady):
    assert snap_compare(opened(workdir), terminal_size=SIZE, run_before=at_section(3))


def test_interview_inline_error_on_a_bad_path(snap_compare, workdir, steady):
    async def bad_eval(pilot):
        await until(pilot, lambda: isinstance(pilot.app.screen, InterviewScreen))
        await pilot.press("pagedown")
        box = pilot.app.screen.query_one("#a-eval")
        box.value = "support-intents/eval.jsonl.bak"
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(pilot.app.screen, InterviewScreen)
        pilot.app.clear_notifications()
        await pilot.pause()
        await still(pilot)

    assert snap_compare(opened(workdir), terminal_size=SIZE, run_before=bad_eval)


def test_live_run_mid_fine_tune(snap_compare, workdir, steady):
    job = ScriptedLadder(hold=True)

    async def mid_run(pilot):
        await until(pilot, lambda: isinstance(pilot.app.screen, InterviewScreen))
        await pilot.press("ctrl+r")
        await until(pilot, job.holding.is_set)
        await pilot.pause(0.2)

    try:
        assert snap_compare(opened(workdir, job), terminal_size=SIZE, run_before=mid_run)
    finally:
        job.cancel()


def test_results_with_the_recommendation(snap_compare, workdir, steady):
    async def to_results(pilot):
        await until(pilot, lambda: isinstance(pilot.app.screen, InterviewScreen))
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(pilot.app.screen, ResultsScreen))
        await until(pilot, lambda: pilot.app.screen.query_one("#rung-table").row_count == 4)
        await pilot.pause()

    assert snap_compare(opened(workdir), terminal_size=SIZE, run_before=to_results)
