"""The results: the verdict, the rung table, why, the training and learning curves, and what to do with them."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from advisor.record.run import RunRecord

from ...reports import cells, write_reports
from ..places import shown
from ..widgets.results import (
    LossCurve,
    RungTable,
    checks,
    facts,
    fine_tune,
    learning_curve,
    model_matrix,
    rationale,
    verdict,
    warnings,
)


class ResultsScreen(Screen):
    """Shows a RunRecord; saving the scenario and editing the answers are the app's business (messages up)."""

    BINDINGS = [
        Binding("s", "save", "Save scenario"),
        Binding("w", "write", "Write reports"),
        Binding("y", "copy", "Copy command"),
        Binding("e", "edit", "Edit answers"),
        Binding("q", "quit", "Quit"),
        Binding("pagedown", "page(1)", "Scroll", show=False, priority=True),
        Binding("pageup", "page(-1)", "Scroll", show=False, priority=True),
    ]

    class Save(Message):
        """Write the scenario that produced these results to a file."""

    class Edit(Message):
        """Back to the interview to change an answer and measure again."""

    def __init__(self, record: RunRecord, out_dir: Path, command: str):
        super().__init__()
        self.record, self.out_dir, self.command = record, out_dir, command
        self.written: dict[str, Path] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="results"):
            yield Static(verdict(self.record), id="verdict")
            yield RungTable(self.record, id="rung-table")
            if (grid := model_matrix(self.record)) is not None:
                yield grid
            yield Static(id="checks")
            yield Static(rationale(self.record), id="rationale")
            tuned = fine_tune(self.record)
            if tuned is not None:
                yield LossCurve(tuned, id="training")
                yield facts(tuned)
                sentence = cells.forgetting_sentence(tuned)
                if sentence:
                    yield Static(sentence, classes="facts", markup=False)
            curve = learning_curve(self.record)
            if curve is not None:
                yield Static(curve, id="learning-curve")
            alerts = warnings(self.record)
            if alerts is not None:
                yield Static(alerts, id="warnings")
            yield Static(id="command")
            yield Static(id="written")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"{self.record.scenario} · results"
        self._show_command()
        self.query_one("#written").display = False
        self.query_one(RungTable).focus()

    @on(DataTable.RowHighlighted, "#rung-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.query_one("#checks", Static).update(checks(self.record, str(event.row_key.value)))

    def set_command(self, command: str) -> None:
        """The reproducing command changes once the scenario is saved under the user's own name."""
        self.command = command
        self._show_command()

    def _show_command(self) -> None:
        self.query_one("#command", Static).update(
            Content.from_markup("[b]Reproduce[/] [dim](y copies it)[/]\n[$accent]$ $cmd[/]", cmd=self.command)
        )

    def action_write(self) -> None:
        self.written = write_reports(self.record, self.out_dir)
        listing = ", ".join(shown(p) for p in self.written.values())
        box = self.query_one("#written", Static)
        box.update(Content.from_markup("[b]Wrote[/] $files", files=listing))
        box.display = True
        self.query_one("#results", VerticalScroll).scroll_end(animate=False)
        self.notify(f"Reports written to {shown(self.out_dir)}", title="Reports")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.command)
        self.notify(self.command, title="Copied to the clipboard")

    def action_save(self) -> None:
        self.post_message(self.Save())

    def action_edit(self) -> None:
        self.post_message(self.Edit())

    def action_quit(self) -> None:
        self.app.exit(self.record)

    def action_page(self, step: int) -> None:
        scroll = self.query_one("#results", VerticalScroll)
        (scroll.scroll_page_down if step > 0 else scroll.scroll_page_up)(animate=False)
