"""The two failures a user can meet: their input is wrong (exit 2) or a backend failed (exit 3)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input, located as precisely as we can, with its fix."""

    message: str
    fix: str = ""
    file: str | Path | None = None
    line: int | None = None
    field: str | None = None

    @property
    def where(self) -> str:
        parts = []
        if self.file is not None:
            parts.append(str(self.file) + (f":{self.line}" if self.line else ""))
        elif self.line:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text}. Fix: {self.fix}" if self.fix else text


class InputError(Exception):
    """The user's input is wrong; carries every problem found so they can all be fixed at once."""

    exit_code = 2

    def __init__(self, problems: Problem | list[Problem], title: str = "Invalid input"):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        self.title = title
        super().__init__("\n".join(str(p) for p in self.problems))


class BackendError(Exception):
    """A model backend or its infrastructure failed after retries."""

    exit_code = 3
