"""Duplicates inside one file: later examples that repeat an earlier one, exactly or nearly.

The rule is the near-duplicate leakage rule (`similarities`, `NEAR_DUPLICATE_THRESHOLD`) applied to a
file against itself: an exact repeat of the normalized user text scores 100. The first example of each
group is kept, and a later one is compared with kept ones only, so every dropped line names a line that stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..example import Example
from ._jsonl import read_jsonl
from ._leakage import user_text
from ._near_dup import _ROWS, NEAR_DUPLICATE_THRESHOLD, similarities
from ._write import check_not_input, check_writable, write_jsonl


@dataclass(frozen=True)
class Duplicate:
    """A dropped example and the earlier, kept example it repeats."""

    line: int | None
    kept_line: int | None
    key: str
    kept_key: str
    similarity: float
    """100 for an exact repeat (after normalizing), else at least the threshold."""
    text: str
    kept_text: str

    @property
    def exact(self) -> bool:
        return self.similarity >= 100

    def __str__(self) -> str:
        texts = repr(_short(self.text)) + ("" if self.exact else f" ~ {_short(self.kept_text)!r}")
        kind = "exact" if self.exact else "near"
        return f"line {self.line or self.key} repeats line {self.kept_line or self.kept_key} (similarity {self.similarity:.0f}, {kind}): {texts}"


def find_duplicates(examples: list[Example], threshold: float = NEAR_DUPLICATE_THRESHOLD) -> list[Duplicate]:
    """Each example within threshold of an earlier kept example, paired with the closest one (the first on a tie), in order."""
    import numpy as np

    texts = [user_text(ex) for ex in examples]
    kept = np.zeros(len(texts), dtype=bool)
    found: list[Duplicate] = []
    for start in range(0, len(texts), _ROWS):
        end = min(start + _ROWS, len(texts))
        block = similarities(texts[start:end], texts[:end], threshold)
        for i in range(start, end):
            scores = np.where(kept[:i], block[i - start, :i], 0)  # earlier kept examples only
            j = int(scores.argmax()) if i else 0
            # A question that normalizing leaves empty ("???") repeats nothing, as in find_leaks.
            kept[i] = not i or not scores[j] or not texts[i].strip(" |")
            if kept[i]:
                continue
            ex, first = examples[i], examples[j]
            found.append(Duplicate(ex.line, first.line, ex.key, first.key, float(scores[j]), ex.user_text, first.user_text))
    return found


def dedupe(src: str | Path, dst: str | Path, *, force: bool = False) -> tuple[list[Example], list[Duplicate]]:
    """Write src less its duplicates to dst (atomically, never over src); returns the kept examples and the dropped ones."""
    check_not_input(src, dst, fix="pass another path to --out: dedupe never writes over its input")
    check_writable(dst, force=force)
    examples, problems = read_jsonl(src, duplicates=False)
    if problems:
        raise InputError(problems, title=f"Invalid data set {src}")
    dropped = find_duplicates(examples)
    gone = {d.line for d in dropped}
    kept = [ex for ex in examples if ex.line not in gone]
    write_jsonl(kept, dst, force=force)
    return kept, dropped


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
