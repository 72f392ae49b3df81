"""Console output shared by the commands: one stderr console, errors as panels."""

from __future__ import annotations

import os

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

err_console = Console(stderr=True, highlight=False)
console = Console(highlight=False)


def set_plain(plain: bool) -> None:
    """--ci: no colours, no live bars."""
    global console, err_console
    if plain or os.environ.get("CI"):
        console = Console(highlight=False, no_color=True, force_terminal=False, width=120)
        err_console = Console(stderr=True, highlight=False, no_color=True, force_terminal=False, width=120)


def quiet_console() -> Console:
    """A console that prints nothing (the other processes of a multi-process launch)."""
    return Console(quiet=True)


def print_error(title: str, lines: list[str]) -> None:
    """A red panel on a terminal; plain unwrapped lines in logs, so that paths and messages stay greppable."""
    body = "\n".join(f"• {line}" for line in lines)
    if err_console.is_terminal:
        err_console.print(Panel(escape(body), title=f"[bold red]{escape(title)}", title_align="left", border_style="red", expand=False))
    else:
        err_console.print(f"error: {escape(title)}\n{escape(body)}", soft_wrap=True)
    n = len(lines)
    err_console.print(f"{n} problem{'s' if n != 1 else ''} found.")
