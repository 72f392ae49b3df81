"""The wizard driven by Pilot with the scripted fake of the ladder: the flow, inline errors, cancel, saving."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import yaml
from test_reports import make_record
from test_tui_fakes import FIXTURES, ScriptedLadder, until

from advisor.tui import RunChoices, create_app
from advisor.tui.places import Shipped
from advisor.tui.screens.interview import InterviewScreen
from advisor.tui.screens.results import ResultsScreen
from advisor.tui.screens.run import RunScreen
from advisor.tui.screens.save import SaveScreen
from advisor.tui.screens.start import StartScreen
from advisor.tui.widgets.question import Question


def question(app, key: str) -> Question:
    return next(q for q in app.screen.query(Question) if q.key == key)


def note(app, key: str) -> str:
    return str(question(app, key).query_one(".note").render())


async def answer(pilot, key: str, text: str) -> None:
    """Type an answer into a text question, as a user replacing what was there."""
    await pilot.pause()  # the interview focuses its first question after its first refresh
    control = question(pilot.app, key).control
    control.focus()
    control.value = ""
    await pilot.press(*text)
    await pilot.pause()


def shipped(workdir: Path) -> list[Shipped]:
    return [Shipped("support-intents", "Route messages to five queues.", workdir / "support-intents.yaml")]


async def test_a_shipped_scenario_goes_from_interview_to_a_live_run_to_results(workdir, steady):
    job = ScriptedLadder()
    app = create_app(make_job=job, runs_dir=workdir / "runs", shipped=shipped(workdir))
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, StartScreen)
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, InterviewScreen))
        values = app.screen.answers.values
        assert values["name"] == "support-intents" and values["rungs"] == ["zero_shot", "few_shot", "prompt_search", "finetune"]
        assert "300 examples" in note(app, "train") and "120 examples" in note(app, "eval")
        assert question(app, "eval").has_class("-ok")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        assert app.record is job.record
    copy = workdir / "runs" / "support-intents" / "scenario.yaml"
    assert job.calls == [(copy, workdir / "runs" / "support-intents", RunChoices())]
    assert yaml.safe_load(copy.read_text())["ladder"]["rag"] is None  # a rung left out stays out
    assert app.return_value is None  # quit with ctrl+q, not from the results


async def test_a_bad_path_and_a_bad_number_show_inline_errors_and_keep_every_other_answer(workdir, steady):
    job = ScriptedLadder()
    app = create_app(make_job=job, runs_dir=workdir / "runs", shipped=shipped(workdir))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # Blank scenario
        await until(pilot, lambda: isinstance(app.screen, InterviewScreen))
        await answer(pilot, "name", "tickets")
        await answer(pilot, "calls_per_day", "-5")  # the box takes only digits, so a negative number
        await answer(pilot, "train", "support-intents/train.jsonl")
        await answer(pilot, "eval", "support-intents/missing.jsonl")
        assert note(app, "eval") == "✗ support-intents/missing.jsonl: not found"  # checked as typed
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, InterviewScreen) and job.calls == []
        assert note(app, "calls_per_day") == "✗ must be at least 0"
        assert note(app, "eval") == "✗ support-intents/missing.jsonl not found"
        assert question(app, "calls_per_day").has_error and question(app, "eval").has_error
        assert not question(app, "name").has_error and not question(app, "train").has_error
        values = app.screen.answers.values
        assert (values["name"], values["train"]) == ("tickets", "support-intents/train.jsonl")
        assert question(app, "name").control.value == "tickets"
        assert [str(app.screen.query_one("TabbedContent").get_tab(s).label) for s in ("usecase", "data", "task")] == [
            "Use case ✗",
            "Data ✗",
            "Task & model",
        ]
        await answer(pilot, "calls_per_day", "5000")
        await answer(pilot, "eval", "support-intents/eval.jsonl")
        assert not question(app, "eval").has_error and "120 examples" in note(app, "eval")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
    assert job.calls and job.calls[0][1] == workdir / "runs" / "tickets"


async def test_bad_lines_in_a_data_file_show_under_its_question_as_typed_and_on_measuring(workdir, steady):
    bad = workdir / "eval.jsonl"
    bad.write_bytes((FIXTURES / "eval_bad_line.jsonl").read_bytes())
    job = ScriptedLadder()
    app = create_app(workdir / "support-intents.yaml", make_job=job, runs_dir=workdir / "runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InterviewScreen))
        await answer(pilot, "eval", "eval.jsonl")
        assert note(app, "eval").startswith("✗ 3 valid; line 3: not valid JSON")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, InterviewScreen) and job.calls == []
        assert note(app, "eval").startswith("✗ line 3: not valid JSON")  # the data check's problem, by its file
        assert app.screen.query_one("TabbedContent").active == "data"
        assert app.focused is question(app, "eval").control


async def test_the_sample_size_hint_follows_the_eval_set_the_limit_and_the_confidence(workdir):
    app = create_app(workdir / "support-intents.yaml", runs_dir=workdir / "runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InterviewScreen))
        hint = lambda: str(app.screen.query_one("#sample-hint").render())
        assert hint() == "Your 120 eval examples can demonstrate at most 96.9% at 95% confidence (with no failures)."
        await answer(pilot, "limit", "8")
        assert hint().startswith("Your 8 eval examples (the first 8 of 120) can demonstrate at most 67.6%")
        assert note(app, "target.accuracy") == "! 8 examples cannot show ≥ 0.9; that needs at least 35 with no failures"
        await answer(pilot, "confidence", "0.9")
        assert "at 90% confidence" in hint()


async def test_the_first_opinion_follows_the_answers(workdir):
    app = create_app(workdir / "support-intents.yaml", runs_dir=workdir / "runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InterviewScreen))
        line = lambda: str(app.screen.query_one("#opinion-line").render())
        assert line().startswith("First opinion: A fine-tune, if prompting falls short")
        question(app, "must_change").control.deselect_all()
        await pilot.pause()
        assert line().startswith("First opinion: Prompting is likely enough")
        await pilot.click("#a-needs-citations")
        await pilot.pause()
        assert line().startswith("First opinion: RAG is likely to win")
        assert "Add a knowledge folder" in str(app.screen.query_one("#first-opinion").render())


async def test_cancel_stops_the_run_promptly_keeps_the_app_usable_and_resume_finishes(workdir, steady):
    job = ScriptedLadder(hold=True)
    app = create_app(workdir / "support-intents.yaml", make_job=job, runs_dir=workdir / "runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InterviewScreen))
        await pilot.press("ctrl+r")
        await until(pilot, job.holding.is_set)
        screen = app.screen
        assert isinstance(screen, RunScreen) and "120/200" in str(screen.query_one("#rung-finetune .rung-detail").render())
        started = time.monotonic()
        await pilot.press("escape")
        await until(pilot, lambda: screen.state == "cancelled", timeout=2)
        assert job.ended.wait(1) and time.monotonic() - started < 2
        assert "stopped 120/200" in str(screen.query_one("#rung-finetune .rung-detail").render())
        assert [b.binding.key for b in app.active_bindings.values() if b.binding.show and b.enabled][:2] == ["r", "e"]
        job.hold = False
        await pilot.press("r")  # resume: a fresh job, answers come from the cache
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
    assert len(job.calls) == 2


async def test_a_failing_run_says_why_and_goes_back_to_the_answers(workdir, steady):
    job = ScriptedLadder(script=[], rest=[])
    job.run = lambda on_event: (_ for _ in ()).throw(RuntimeError("the model server went away"))
    app = create_app(workdir / "support-intents.yaml", make_job=job, runs_dir=workdir / "runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InterviewScreen))
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.state == "failed")
        assert "RuntimeError: the model server went away" in str(app.screen.query_one("#notes .note").render())
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, InterviewScreen))
        assert app.screen.answers.values["name"] == "support-intents"


async def test_results_write_reports_copy_the_command_and_never_overwrite_a_scenario_silently(workdir, steady):
    job = ScriptedLadder()
    (workdir / "scenario.yaml").write_text("# mine\n")
    app = create_app(make_job=job, runs_dir=workdir / "runs", shipped=shipped(workdir))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, InterviewScreen))
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        await pilot.press("w")
        assert sorted(p.name for p in (workdir / "runs" / "support-intents").iterdir()) == [
            "junit.xml",
            "report.html",
            "report.md",
            "scenario.yaml",
        ]
        await pilot.press("y")
        assert app.clipboard == "advisor run runs/support-intents/scenario.yaml --out runs/support-intents"
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SaveScreen))
        await pilot.press("enter")  # scenario.yaml: it exists, so the dialog asks
        assert "scenario.yaml already exists" in str(app.screen.query_one("#save-note").render())
        await pilot.click("#new-name")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen) and app.saved is not None)
        assert (workdir / "scenario.yaml").read_text() == "# mine\n"
        assert yaml.safe_load((workdir / "scenario-2.yaml").read_text())["name"] == "support-intents"
        await pilot.press("y")
        assert app.clipboard == "advisor run scenario-2.yaml --out runs/support-intents"
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SaveScreen))
        await pilot.press("enter")
        await pilot.click("#overwrite")  # said in so many words
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        await pilot.press("q")
    assert app.return_value is job.record


async def test_an_existing_file_opens_prefilled_and_a_bad_one_says_why(workdir):
    app = create_app(workdir / "nowhere.yaml", runs_dir=workdir / "runs", shipped=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        assert "scenario file not found" in str(app.screen.query_one("#open-error").render())
        app.screen.query_one("#open-path").value = "support-intents.yaml"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InterviewScreen))
        assert question(app, "labels").control.value == "refund, shipping, account, billing, product_question"


async def test_every_screen_survives_resizing_from_narrow_to_wide(workdir, steady):
    job = ScriptedLadder(hold=True)
    app = create_app(workdir / "support-intents.yaml", make_job=job, runs_dir=workdir / "runs")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(3):
            for size in ((50, 16), (140, 45), (80, 24)):
                await pilot.resize_terminal(*size)
                await pilot.pause()
            if isinstance(app.screen, InterviewScreen):
                await pilot.press("pagedown", "pagedown", "pagedown", "ctrl+r")
                await until(pilot, job.holding.is_set)
            elif isinstance(app.screen, RunScreen):
                job.hold = False
                job.cancel()
                await until(pilot, lambda: app.screen.state == "cancelled")
                await pilot.press("r")
                await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        assert isinstance(app.screen, ResultsScreen)


def test_the_run_screen_cancels_its_job_when_the_app_quits(workdir):
    job = ScriptedLadder(hold=True)
    app = create_app(workdir / "support-intents.yaml", make_job=job, runs_dir=workdir / "runs")

    async def drive() -> None:
        async with app.run_test() as pilot:
            await until(pilot, lambda: isinstance(app.screen, InterviewScreen))
            await pilot.press("ctrl+r")
            await until(pilot, job.holding.is_set)
            await pilot.press("ctrl+q")

    asyncio.run(drive())
    assert job.ended.wait(2)


async def test_when_no_rung_passes_the_results_open_on_the_closest_rung_and_its_misses(workdir, steady):
    job = ScriptedLadder(record=make_record(finetune_correct=150))  # fine-tune 0.750: misses accuracy >= 0.8
    app = create_app(workdir / "support-intents.yaml", make_job=job, runs_dir=workdir / "runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InterviewScreen))
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        await until(pilot, lambda: str(app.screen.query_one("#checks").render()))  # filled when the table highlights
        assert "FAIL" in str(app.screen.query_one("#verdict").render())
        checks = str(app.screen.query_one("#checks").render())
        assert checks.startswith("fine-tune against the targets") and "✗ accuracy >= 0.8" in checks
        assert "Closest: fine-tune" in str(app.screen.query_one("#rationale").render())


async def test_a_binary_scenario_says_why_on_the_start_screen_instead_of_crashing(workdir):
    (workdir / "binary.yaml").write_bytes(bytes(range(256)) * 4)
    app = create_app(workdir / "binary.yaml", runs_dir=workdir / "runs", shipped=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        error = str(app.screen.query_one("#open-error").render())
        assert "binary.yaml" in error and "not UTF-8" in error
    assert app.return_code in (0, None)


def curved_record():
    """The sample record with a learning curve: the fine-tune on 75, 150 and 300 train examples, fitted and forecast."""
    from advisor.record.run import CurvePoint, LearningCurve
    from advisor.rungs.finetune.curve import forecast
    from evals.stats import wilson

    record = make_record()
    points = []
    for n, correct in ((75, 140), (150, 168), (300, 186)):  # of 200 eval items
        rate = wilson(correct, 200, 0.95)
        points.append(CurvePoint(n=n, value=rate.value, lower=rate.lower, upper=rate.upper))
    fit, needed, sentence = forecast(points, "accuracy", 0.95, 0.95)
    assert fit is not None
    record.learning_curve = LearningCurve(
        metric="accuracy", target=0.95, points=points, fit=list(fit), examples_needed=needed, forecast=sentence
    )
    return record


async def test_the_learning_curve_is_offered_with_the_fine_tune_passed_to_the_run_and_shown_in_the_results(workdir, steady):
    from advisor.reports._curve import fit_text

    record = curved_record()
    job = ScriptedLadder(record=record)
    app = create_app(workdir / "support-intents.yaml", make_job=job, runs_dir=workdir / "runs")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InterviewScreen))
        offer = question(app, "learning_curve")
        assert "25%, 50%, 100% of train" in str(offer.control.label) and not offer.control.value
        rungs = question(app, "rungs").control
        rungs.deselect("finetune")
        await pilot.pause()
        assert not offer.display  # no fine-tune, nothing to curve
        rungs.select("finetune")
        await pilot.press("pagedown", "pagedown")  # the task section
        assert offer.display
        offer.control.focus()
        await pilot.press("space")
        assert app.screen.answers.values["learning_curve"] is True
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen))
        shown = str(app.screen.query_one("#learning-curve").render())
        curve = record.learning_curve
        for point in curve.points:
            assert f"{point.n:>14,}  {point.value:>9.3f}  [{point.lower:.3f}, {point.upper:.3f}]" in shown
        assert fit_text(curve) in shown and curve.forecast in shown and "examples would reach accuracy >= 0.95" in shown
        await pilot.press("y")
        assert app.clipboard == "advisor run runs/support-intents/scenario.yaml --out runs/support-intents --learning-curve"
    assert [choices for _, _, choices in job.calls] == [RunChoices(learning_curve=True)]
