"""Checks the interview runs as the user types: a data file's count and first problem, and what n can show."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from advisor.scenario.metrics import RATE_METRICS
from evals.data import read_jsonl
from evals.kinds import KNOWLEDGE_SUFFIXES, knowledge_files
from evals.stats import max_demonstrable, min_examples


@dataclass(frozen=True)
class DataCheck:
    """One data path's state: how many examples (or documents) it holds and the first problem, if any."""

    count: int = 0
    problem: str | None = None
    noun: str = "examples"

    @property
    def ok(self) -> bool:
        return self.problem is None and self.count > 0

    @property
    def text(self) -> str:
        """E.g. '300 examples' or 'line 4: not valid JSON (and 2 more problems)'."""
        if self.problem is None:
            return f"{self.count:,} {self.noun}"
        return self.problem


def check_jsonl(text: str, name: str, cwd: Path) -> DataCheck | None:
    """Count the examples of a chat JSONL file and name its first problem; None for a blank path."""
    if not text.strip():
        return None
    path = cwd / Path(text.strip()).expanduser()
    if not path.is_file():
        return DataCheck(problem=f"{text.strip()}: {'a folder, not a file' if path.is_dir() else 'not found'}")
    examples, problems = read_jsonl(path, name=name)
    if not problems:
        return DataCheck(len(examples))
    first = problems[0]
    where = f"line {first.line}: " if first.line else ""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return DataCheck(len(examples), f"{len(examples):,} valid; {where}{first.message}{more}")


def check_knowledge(text: str, cwd: Path) -> DataCheck | None:
    """Count the documents of a knowledge folder; None for a blank path."""
    if not text.strip():
        return None
    folder = cwd / Path(text.strip()).expanduser()
    if not folder.is_dir():
        return DataCheck(problem=f"{text.strip()}: {'a file, not a folder' if folder.exists() else 'not found'}", noun="documents")
    docs = len(knowledge_files(folder))
    if not docs:
        return DataCheck(problem=f"no {', '.join(KNOWLEDGE_SUFFIXES)} files in {text.strip()}", noun="documents")
    return DataCheck(docs, noun="documents")


def sample_hint(n: int, confidence: float, limit: int | None = None) -> str:
    """What an eval set of n examples can demonstrate at best, e.g. 'Your 120 eval examples can demonstrate ...'."""
    if n <= 0:
        return "No eval examples yet: nothing can be demonstrated."
    used = min(n, limit) if limit else n
    of = f" (the first {used} of {n})" if used < n else ""
    return f"Your {used:,} eval examples{of} {demonstrable(used, confidence)} (with no failures)."


def demonstrable(n: int, confidence: float) -> str:
    """E.g. 'can demonstrate at most 96.9% at 95% confidence'."""
    return f"can demonstrate at most {max_demonstrable(n, confidence):.1%} at {confidence:.0%} confidence"


def target_hint(metric: str, bound: float | None, n: int, confidence: float) -> str | None:
    """A rate target the eval set is too small to ever show, and how many examples would do."""
    if metric not in RATE_METRICS or bound is None or n <= 0 or not 0 < bound < 1:
        return None
    if max_demonstrable(n, confidence) >= bound:
        return None
    return f"{n:,} examples cannot show ≥ {bound:g}; that needs at least {min_examples(bound, confidence):,} with no failures"
