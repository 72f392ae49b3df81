"""Saving scenario.yaml: the user picks the path; an existing file is overwritten only when they say so."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from advisor.scenario.file import dump_scenario
from advisor.scenario.schema import Scenario
from evals.errors import InputError

from ..places import free_path, shown


class SaveScreen(ModalScreen[Path | None]):
    """Asks where to write the scenario; dismisses with the path written, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, scenario: Scenario, default: Path):
        super().__init__()
        self.scenario, self.default = scenario, default

    def compose(self) -> ComposeResult:
        with Vertical(id="save-dialog"):
            yield Label("[b]Save the scenario as[/]")
            yield Input(shown(self.default), id="save-path", compact=True)
            yield Static(id="save-note", markup=False)
            with Horizontal(id="save-buttons"):
                yield Button("Save", id="save", variant="primary", compact=True)
                yield Button("Overwrite", id="overwrite", variant="error", compact=True)
                yield Button("Save as new", id="new-name", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self._asking(False)

    def _asking(self, exists: bool) -> None:
        """Offer overwrite and a new name only while the chosen path already holds a file."""
        self.query_one("#save").display = not exists
        self.query_one("#overwrite").display = self.query_one("#new-name").display = exists

    def _path(self) -> Path:
        return Path(self.query_one("#save-path", Input).value.strip() or "scenario.yaml").expanduser()

    @on(Input.Changed, "#save-path")
    def _typing(self) -> None:
        self._asking(False)
        self.query_one("#save-note", Static).update("")

    @on(Input.Submitted, "#save-path")
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        path = self._path()
        if path.exists():
            new = free_path(path)
            self.query_one("#save-note", Static).update(Content(f"{shown(path)} already exists. Overwrite it, or save as {shown(new)}?"))
            self.query_one("#new-name", Button).label = f"Save as {new.name}"
            self._asking(True)
            self.query_one("#new-name").focus()
            return
        self._write(path, force=False)

    @on(Button.Pressed, "#overwrite")
    def _overwrite(self) -> None:
        self._write(self._path(), force=True)

    @on(Button.Pressed, "#new-name")
    def _new_name(self) -> None:
        self._write(free_path(self._path()), force=False)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def _write(self, path: Path, force: bool) -> None:
        try:
            dump_scenario(self.scenario, path, force=force)
        except (InputError, OSError) as exc:
            self.query_one("#save-note", Static).update(Content(f"✗ {exc}"))
            return
        self.dismiss(path)
