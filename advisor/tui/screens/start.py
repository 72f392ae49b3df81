"""Where the wizard starts: a blank scenario, a shipped one, or a scenario.yaml the user already has."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from advisor.scenario.file import load_scenario
from advisor.scenario.schema import Scenario
from evals.errors import InputError

from ..places import Shipped, shown

INTRO = (
    "Prompt, RAG or fine-tune? Answer a few questions about your use case, get a first opinion, "
    "then measure each approach on your own eval set."
)


class StartScreen(Screen):
    """Offers the ways in; posts Chosen with the scenario to prefill the interview from (None: blank)."""

    BINDINGS = [("ctrl+o", "open_file", "Open a file")]

    class Chosen(Message):
        def __init__(self, scenario: Scenario | None, path: Path | None = None):
            super().__init__()
            self.scenario, self.path = scenario, path

    def __init__(self, shipped: list[Shipped], path: Path | None = None):
        super().__init__()
        self.shipped, self.path = shipped, path
        """A scenario file to open at once (from the command line)."""
        self.error_for: str | None = None
        """The path the error shown is about; typing anything else clears it."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="start"):
            yield Static(INTRO, id="intro", markup=False)
            yield OptionList(*self._options(), id="choices")
            yield Label("Or open a scenario.yaml:", id="open-label")
            yield Input(str(self.path or ""), placeholder="path/to/scenario.yaml", id="open-path", compact=True)
            yield Static(id="open-error", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show_error(None)
        self.query_one("#choices").focus()
        if self.path is not None:
            self._open(self.path)

    def _options(self) -> list[Option | None]:
        blank = Option(Content.from_markup("[b]Blank scenario[/]\n[dim]answer every question yourself[/]"), id="blank")
        shipped = [
            Option(Content.from_markup("[b]$name[/]\n[dim]$text[/]", name=s.name, text=s.description or shown(s.path)), id=f"shipped-{i}")
            for i, s in enumerate(self.shipped)
        ]
        return [blank, *([None] if shipped else []), *shipped]

    @on(OptionList.OptionSelected, "#choices")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option_id == "blank":
            self.post_message(self.Chosen(None))
            return
        self._open(self.shipped[int(str(event.option_id).removeprefix("shipped-"))].path)

    @on(Input.Submitted, "#open-path")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self._open(Path(event.value.strip()).expanduser())

    @on(Input.Changed, "#open-path")
    def _typing(self, event: Input.Changed) -> None:
        if event.value != self.error_for:  # the box filling in on mount is not the user typing
            self._show_error(None)

    def _open(self, path: Path) -> None:
        try:
            scenario = load_scenario(path)
        except InputError as exc:
            self.error_for = self.query_one("#open-path", Input).value
            self._show_error("\n".join(str(p) for p in exc.problems[:3]))
            self.query_one("#open-path").focus()
            return
        self.post_message(self.Chosen(scenario, path))

    def _show_error(self, text: str | None) -> None:
        box = self.query_one("#open-error", Static)
        box.update(Content(f"✗ {text}") if text else "")
        box.display = bool(text)

    def action_open_file(self) -> None:
        self.query_one("#open-path").focus()
