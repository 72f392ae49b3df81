"""The wizard app: owns the answers, the run folder and the last record; screens ask it for things by message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from advisor.record.run import RunRecord
from advisor.scenario.checks import check_scenario
from advisor.scenario.file import dump_scenario
from advisor.scenario.schema import Scenario
from evals.errors import InputError

from .answers import Answers
from .job import Job, LadderJob, RunChoices
from .places import Shipped, reproduce_command, shipped_scenarios, shown
from .screens.interview import InterviewScreen
from .screens.results import ResultsScreen
from .screens.run import RunScreen
from .screens.save import SaveScreen
from .screens.start import StartScreen

JobFactory = Callable[[Path, Path, RunChoices], Job]


class WizardApp(App[RunRecord | None]):
    """Start → interview → live run → results; the app's result is the last RunRecord (None if nothing ran)."""

    CSS_PATH = "wizard.tcss"
    TITLE = "advisor"
    SUB_TITLE = "prompt, RAG or fine-tune?"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(
        self,
        scenario_path: Path | None = None,
        *,
        limit: int | None = None,
        make_job: JobFactory = LadderJob,
        runs_dir: Path = Path("runs"),
        shipped: list[Shipped] | None = None,
    ):
        super().__init__()
        self.scenario_path, self.limit, self.make_job, self.runs_dir = scenario_path, limit, make_job, runs_dir
        self.shipped = shipped_scenarios() if shipped is None else shipped
        self.source: Path | None = None
        """The user's own scenario file the answers came from (the default place to save)."""
        self.measured: tuple[Scenario, Path, RunChoices] | None = None
        """The scenario last sent to measure, its run folder, and how it was run."""
        self.saved: tuple[Path, Scenario] | None = None
        self.record: RunRecord | None = None

    def on_mount(self) -> None:
        self.push_screen(StartScreen(self.shipped, self.scenario_path))  # opens the file, or says why it cannot

    def _interview(self, scenario: Scenario | None, path: Path | None) -> None:
        shipped = {s.path.resolve() for s in self.shipped}
        self.source = path if path is not None and path.resolve() not in shipped else None
        answers = Answers.from_scenario(scenario, limit=self.limit) if scenario else Answers()
        if scenario is None and self.limit:
            answers.values["limit"] = str(self.limit)
        self.sub_title = scenario.name if scenario else "new scenario"
        self.push_screen(InterviewScreen(answers))

    def on_start_screen_chosen(self, message: StartScreen.Chosen) -> None:
        self._interview(message.scenario, message.path)

    def on_interview_screen_start_over(self) -> None:
        self.pop_screen()

    def on_interview_screen_save(self, message: InterviewScreen.Save) -> None:
        if message.build.scenario is not None:  # the interview sends only a build that made a scenario
            self._save(message.build.scenario)

    def on_interview_screen_measure(self, message: InterviewScreen.Measure) -> None:
        scenario, choices = message.build.scenario, message.build.choices
        if scenario is None:
            return
        out_dir = self.runs_dir / scenario.name
        copy = dump_scenario(scenario, out_dir / "scenario.yaml", force=True)  # the run folder's own copy of what ran
        try:
            check_scenario(copy)
        except InputError as exc:
            data = scenario.data
            assert isinstance(self.screen, InterviewScreen)
            rest = self.screen.show_problems(exc.problems, {"train": data.train, "eval": data.eval, "knowledge": data.knowledge})
            for problem in rest:
                self.notify(str(problem), severity="error", timeout=10)
            return
        self.measured = (scenario, out_dir, choices)
        self.sub_title = scenario.name
        self.push_screen(RunScreen(lambda: self.make_job(copy, out_dir, choices)))

    def on_run_screen_finished(self, message: RunScreen.Finished) -> None:
        self.record = message.record
        assert self.measured is not None  # a run finishes only after it was started
        self.switch_screen(ResultsScreen(message.record, self.measured[1], self.command()))

    def on_run_screen_edit(self) -> None:
        self.pop_screen()

    def on_results_screen_edit(self) -> None:
        self.pop_screen()

    def on_results_screen_save(self) -> None:
        if self.measured is not None:
            self._save(self.measured[0])

    def command(self) -> str:
        """`advisor run` on the saved file when it holds what ran, else on the run folder's copy."""
        assert self.measured is not None
        scenario, out_dir, choices = self.measured
        saved = self.saved[0] if self.saved and self.saved[1] == scenario else out_dir / "scenario.yaml"
        return reproduce_command(saved, out_dir, choices)

    def _save(self, scenario: Scenario) -> None:
        def saved(path: Path | None) -> None:
            if path is None:
                return
            self.saved, self.source = (path, scenario), path
            self.notify(f"Saved {shown(path)}", title="Scenario")
            if isinstance(self.screen, ResultsScreen) and self.measured:
                self.screen.set_command(self.command())

        self.push_screen(SaveScreen(scenario, self.source or Path("scenario.yaml")), saved)


def create_app(
    scenario_path: Path | None = None,
    *,
    limit: int | None = None,
    make_job: JobFactory | None = None,
    runs_dir: Path | None = None,
    shipped: list[Shipped] | None = None,
) -> WizardApp:
    """The wizard, prefilled from `scenario_path` when given; tests pass a scripted `make_job` and their own folders."""
    return WizardApp(scenario_path, limit=limit, make_job=make_job or LadderJob, runs_dir=runs_dir or Path("runs"), shipped=shipped)
