"""What the run says as it goes (warnings, the fine-tune's stages), wrapped to the width and kept scrolled to the end."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Static


class Notes(VerticalScroll):
    """A list of notes, newest last; a warning is marked and coloured by the `-warning` class."""

    can_focus = False

    def add(self, text: str, level: str = "info") -> None:
        """Append one note and keep the newest in view."""
        mark = "! " if level == "warning" else "· "
        self.mount(Static(mark + text, markup=False, classes=f"note -{level}"))
        self.call_after_refresh(self.scroll_end, animate=False)

    def clear(self) -> None:
        """Forget every note (a resumed run starts a fresh list)."""
        self.remove_children()
