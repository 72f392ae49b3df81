"""One interview question: its label, the control that answers it, and a note line for a hint or an error."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, SelectionList, Static, TextArea


def control_id(key: str) -> str:
    """The DOM id of the control answering a question key (dots are not allowed in ids)."""
    return "a-" + key.replace(".", "-").replace("_", "-")


def value_of(control: Widget) -> Any:
    """The answer a control holds, in the form `Answers.values` keeps it."""
    if isinstance(control, Input):
        return control.value
    if isinstance(control, TextArea):
        return control.text
    if isinstance(control, Select):
        return "" if control.value is Select.NULL else control.value
    if isinstance(control, SelectionList):
        return list(control.selected)
    if isinstance(control, Checkbox):
        return control.value
    raise TypeError(f"no answer in {type(control).__name__}")


def set_value(control: Widget, value: Any) -> None:
    """Put an answer into its control (when a scenario is opened)."""
    if isinstance(control, Input):
        control.value = str(value)
    elif isinstance(control, TextArea):
        control.load_text(str(value))
    elif isinstance(control, Select):
        control.value = value if value else Select.NULL
    elif isinstance(control, SelectionList):
        control.deselect_all()
        for item in value:
            control.select(item)
    elif isinstance(control, Checkbox):
        control.value = bool(value)


class Question(Vertical):
    """A labelled control; `note` shows a hint, a check's result, or the error that blocks measuring."""

    def __init__(self, key: str, label: str, control: Widget, *, hint: str = "", tall: bool = False):
        super().__init__(id="q-" + control_id(key)[2:], classes="question" + (" -tall" if tall else ""))
        self.key, self.label, self.control, self.hint = key, label, control, hint
        control.id = control_id(key)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(self.label, classes="label")
            yield self.control
        yield Static(self.hint, classes="note", markup=False)

    def on_mount(self) -> None:
        self.show_note(self.hint)

    def show_note(self, text: str | None, state: str | None = None) -> None:
        """Show a line under the control; state is 'ok', 'error', 'warning' or None (a plain hint)."""
        note = self.query_one(".note", Static)
        marks = {"ok": "✓ ", "error": "✗ ", "warning": "! "}
        note.update(Content(marks.get(state or "", "") + text) if text else "")
        note.display = bool(text)
        for name in ("ok", "error", "warning"):
            self.set_class(state == name, f"-{name}")

    def show_error(self, message: str | None) -> None:
        """An error replaces the hint until the answer changes."""
        if message:
            self.show_note(message, "error")
        else:
            self.show_note(self.hint)

    @property
    def has_error(self) -> bool:
        return self.has_class("-error")
