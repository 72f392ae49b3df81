"""Near-duplicate leakage: eval questions that are *almost* in train ("order 123" / "order 124").

Exact matches are `find_leaks`; this finds the pairs a character edit or two apart. Similarity is
rapidfuzz's normalized Indel similarity (`fuzz.ratio`, 0-100: 100 minus the share of characters to
insert or delete) of the normalized user texts (case-folded, punctuation dropped). A pair at or
above `NEAR_DUPLICATE_THRESHOLD` is reported. At 90, "where is order 123" / "where is order 124"
(94) and "how do i reset my password" / "how can i reset my password" (91) are caught; reworded
paraphrases ("i want a refund for my broken headphones" / "my headphones arrived broken and i want
a refund", 45) are not, and short questions one word apart ("open" / "close on sunday", 92) are
flagged though they differ: review the pairs before dropping them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Problem
from ..example import Example
from ._leakage import user_text

if TYPE_CHECKING:
    import numpy as np

NEAR_DUPLICATE_THRESHOLD = 90.0
_ROWS = 512  # eval rows compared per block, to bound the score matrix's memory


@dataclass(frozen=True)
class NearDuplicate:
    """An eval example whose user text is within the threshold of a train (or few-shot pool) example's."""

    eval_line: int | None
    train_line: int | None
    eval_key: str
    train_key: str
    similarity: float
    eval_text: str
    train_text: str


def find_near_duplicates(
    eval_examples: list[Example], pool: list[Example], threshold: float = NEAR_DUPLICATE_THRESHOLD
) -> list[NearDuplicate]:
    """For each eval example, its closest pool example when their similarity is >= threshold, in eval order.

    Eval examples that the pool holds exactly (after normalizing) are left to `find_leaks`; one pair per
    eval example, so a templated train set does not bury the report under a hundred near-copies of one line.
    """
    import numpy as np

    queries = [user_text(ex) for ex in eval_examples]
    choices = [user_text(ex) for ex in pool]
    exact = set(choices)
    found: list[NearDuplicate] = []
    if not queries or not choices:
        return found
    for start in range(0, len(queries), _ROWS):
        block = similarities(queries[start : start + _ROWS], choices, threshold)
        for row in np.flatnonzero(block.max(axis=1) > 0):
            col = int(block[row].argmax())
            i, j = start + int(row), col
            if block[row, col] >= 100.0 or queries[i] in exact or not queries[i].strip(" |"):
                continue  # an exact leak: find_leaks reports it
            ex, match = eval_examples[i], pool[j]
            found.append(NearDuplicate(ex.line, match.line, ex.key, match.key, float(block[row, col]), ex.user_text, match.user_text))
    return found


def similarities(queries: list[str], choices: list[str], threshold: float = NEAR_DUPLICATE_THRESHOLD) -> np.ndarray:
    """The rule: the similarity of each query to each choice (normalized user texts), 0 where it is under threshold."""
    import numpy as np
    from rapidfuzz import fuzz, process

    return process.cdist(queries, choices, scorer=fuzz.ratio, score_cutoff=threshold, dtype=np.float32, workers=1)


def near_duplicate_problems(pairs: list[NearDuplicate], eval_file: str | Path, train_file: str | Path) -> list[Problem]:
    """Near-duplicates as located problems (callers decide whether they are errors or warnings)."""
    return [
        Problem(
            f"near-duplicate of {train_file}:{pair.train_line or pair.train_key} (similarity {pair.similarity:.0f} >= "
            f"{NEAR_DUPLICATE_THRESHOLD:.0f}): {_short(pair.eval_text)!r} ~ {_short(pair.train_text)!r}",
            file=eval_file,
            line=pair.eval_line,
            field="messages",
            fix="remove or rewrite one of the two (or pass --drop-leaks to leave it out of eval): "
            "a question nearly seen in training overstates quality",
        )
        for pair in pairs
    ]


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
