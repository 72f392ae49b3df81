"""The interview: five sections of questions, checked as they are answered, with a first opinion kept current."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Checkbox, Footer, Header, Input, Select, SelectionList, Static, TabbedContent, TabPane, TextArea

from advisor.decide.advice import Facts, first_opinion
from advisor.scenario.metrics import TARGET_METRICS

from ..answers import Answers, Build
from ..datacheck import DataCheck, check_jsonl, check_knowledge, demonstrable, sample_hint, target_hint
from ..parse import PATH_KEYS, problem_key
from ..widgets.opinion import OpinionView, opinion_line
from ..widgets.question import Question, value_of
from . import questions as q

ORDER = list(q.SECTIONS)


class InterviewScreen(Screen):
    """Asks about the use case, data, task and targets; posts Measure or Save with the scenario they make."""

    BINDINGS = [
        Binding("ctrl+r", "measure", "Measure", priority=True),
        Binding("ctrl+s", "save", "Save scenario", priority=True),
        Binding("pagedown", "section(1)", "Next section", key_display="PgDn", priority=True),
        Binding("pageup", "section(-1)", "Previous section", key_display="PgUp", priority=True, show=False),
        Binding("ctrl+o", "start", "Start over", show=False),
    ]

    class Measure(Message):
        """The answers make a valid scenario and the user wants it measured."""

        def __init__(self, build: Build):
            super().__init__()
            self.build = build

    class Save(Measure):
        """The answers make a valid scenario and the user wants it written to a file."""

    class StartOver(Message):
        """Back to the start screen to pick another scenario."""

    def __init__(self, answers: Answers, cwd: Path | None = None):
        super().__init__()
        self.answers, self.cwd = answers, cwd or Path.cwd()
        self.checks: dict[str, DataCheck | None] = {}

    def compose(self) -> ComposeResult:
        v = self.answers.values
        sections = {
            "usecase": q.use_case(v),
            "data": q.data(v),
            "task": q.task(v, q.graders_for(v)),
            "targets": q.targets(v, list(TARGET_METRICS)),
        }
        yield Header()
        with TabbedContent(initial="usecase"):
            for key, title in q.SECTIONS.items():
                with TabPane(title, id=key), VerticalScroll(classes="section"):
                    yield from sections.get(key, [])
                    if key == "targets":
                        yield Static(id="sample-hint", markup=False)
                    if key == "opinion":
                        yield OpinionView(id="first-opinion")
        yield Static(id="opinion-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for key in PATH_KEYS:
            self._check_path(key)
        self._refresh()
        self._focus_first()

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(SelectionList.SelectedChanged)
    @on(TextArea.Changed)
    def _answered(self, event: Message) -> None:
        control = getattr(event, "control", None)
        question = next((a for a in control.ancestors if isinstance(a, Question)), None) if control is not None else None
        if question is None:
            return
        self.answers.values[question.key] = value_of(question.control)
        question.show_error(None)
        if question.key in PATH_KEYS:
            self._check_path(question.key)
        self._refresh()

    def _check_path(self, key: str) -> None:
        """Count and validate one data path, and say so under it."""
        text = self.answers.values[key]
        check = check_knowledge(text, self.cwd) if key == "knowledge" else check_jsonl(text, f"{key} set", self.cwd)
        self.checks[key] = check
        question = self._question(key)
        if check is None:
            question.show_note(question.hint)
        else:
            question.show_note(check.text, "ok" if check.ok else "error")

    def _refresh(self) -> None:
        """Recompute what depends on several answers: visible questions, hints, the opinion, the tab marks."""
        v = self.answers.values
        self._question("labels").display = v["task_kind"] == "classification"
        self._question("schema").display = v["grader"] == "json"
        self._question("pattern").display = v["grader"] == "regex"
        self._question("learning_curve").display = "finetune" in v["rungs"]
        visible = self.answers.visible_targets()
        for metric in TARGET_METRICS:
            self._question(f"target.{metric}").display = metric in visible
        self._sample_hints()
        facts = Facts(
            n_eval=self._count("eval"),
            n_train=self._count("train"),
            has_knowledge=self._ok("knowledge"),
            confidence=self.answers.confidence(),
        )
        opinion = first_opinion(self.answers.profile(), facts, self.answers.targets())
        self.query_one(OpinionView).show(opinion)
        self.query_one("#opinion-line", Static).update(opinion_line(opinion))
        self._mark_tabs()

    def _sample_hints(self) -> None:
        n, confidence = self._count("eval"), self.answers.confidence()
        limit = self.answers.limit()
        self.query_one("#sample-hint", Static).update(sample_hint(n, confidence, limit))
        used = min(n, limit) if limit else n
        for target in self.answers.targets():
            question = self._question(f"target.{target.metric}")
            if not question.has_error:
                hint = target_hint(target.metric, target.min, used, confidence)
                question.show_note(hint, "warning") if hint else question.show_note(question.hint)
        check = self.checks.get("eval")
        if check is not None and check.ok:
            first = f"the first {used} " if used < n else ""
            self._question("eval").show_note(f"{check.text} · {first}{demonstrable(used, confidence)}", "ok")

    def _ok(self, key: str) -> bool:
        check = self.checks.get(key)
        return check is not None and check.ok

    def _count(self, key: str) -> int:
        check = self.checks.get(key)
        return check.count if check is not None else 0

    def _question(self, key: str) -> Question:
        return next(w for w in self.query(Question) if w.key == key)

    def _mark_tabs(self) -> None:
        tabs = self.query_one(TabbedContent)
        for section in ORDER:
            bad = any(w.has_error for w in tabs.get_pane(section).query(Question) if w.display)
            label = Content.from_markup(f"$title{' [b $error]✗[/]' if bad else ''}", title=q.SECTIONS[section])
            tabs.get_tab(section).label = label

    def show_errors(self, errors: dict[str, str]) -> list[str]:
        """Put each error under its question, mark the sections, go to the first; returns those no question owns."""
        keys, rest = {w.key for w in self.query(Question)}, []
        for name, message in errors.items():
            key = name if name in keys else f"target.{self.answers.visible_targets()[0]}" if name == "targets" else None
            if key is None:
                rest.append(message)
            else:
                self._question(key).show_error(message)
        self._mark_tabs()
        first = next((w for w in self.query(Question) if w.has_error and w.display), None)
        if first is not None:
            self.query_one(TabbedContent).active = next(s for s in ORDER if first in self._pane(s).query(Question))
            self.call_after_refresh(first.control.focus)
        return rest

    def show_problems(self, problems: list, paths: dict[str, Path | None]) -> list:
        """Data problems found on measuring, under the data questions; returns the ones no question owns."""
        errors: dict[str, str] = {}
        rest = []
        for problem in problems:
            key = problem_key(problem, paths)
            if key is None:
                rest.append(problem)
            else:
                line = f"line {problem.line}: " if problem.line and key != "schema" else ""
                errors.setdefault(key, f"{line}{problem.message}")
        self.show_errors(errors)
        return rest

    def _pane(self, section: str) -> Widget:
        return self.query_one(TabbedContent).get_pane(section)

    def _submit(self, message: type[Measure]) -> None:
        build = self.answers.build(self.cwd)
        if build.errors:
            rest = self.show_errors(build.errors)
            marked = len(build.errors) - len(rest)
            lines = [f"{marked} answer{'s' if marked != 1 else ''} to fix first (marked ✗)."] if marked else []
            self.notify("\n".join(lines + rest), title="Not ready to measure", severity="error")
            return
        self.post_message(message(build))

    def action_measure(self) -> None:
        self._submit(self.Measure)

    def action_save(self) -> None:
        self._submit(self.Save)

    def action_start(self) -> None:
        self.post_message(self.StartOver())

    def action_section(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = ORDER[(ORDER.index(tabs.active) + step) % len(ORDER)]
        self._focus_first()

    def _focus_first(self) -> None:
        """Focus the first visible question of the open section (the section itself when it asks none)."""
        pane = self._pane(self.query_one(TabbedContent).active)
        first = next((w for w in pane.query(Question) if w.display), None)
        self.call_after_refresh((first.control if first else pane.query_one(VerticalScroll)).focus)
