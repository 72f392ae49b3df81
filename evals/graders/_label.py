"""Classification: map a free-text output to one of a fixed set of labels, and the label metrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import InputError, Problem
from ..example import Example
from ._score import Grader, Score

if TYPE_CHECKING:  # numpy is imported when label metrics are computed
    import numpy as np

INVALID = "(invalid)"
"""The predicted label of an output that names no known label (a column of the confusion matrix)."""
_WRAPPING = " \t\r\n\"'`*_.,;:!?()[]<>“”‘’"


def clean_label(text: str) -> str:
    """The matching form of a label: no surrounding quotes, markup or punctuation, case-folded, single spaces."""
    return " ".join(text.strip(_WRAPPING).split()).casefold()


def match_label(output: str, labels: Sequence[str]) -> str | None:
    """The label the output names: the whole output, else its first line; None when it names none."""
    known = {clean_label(label): label for label in labels}
    lines = output.strip().splitlines()
    for candidate in (output, lines[0] if lines else ""):
        if clean_label(candidate) in known:
            return known[clean_label(candidate)]
    return None


def label_grader(labels: Sequence[str]) -> Grader:
    """1 when the output names an accepted answer's label; an output naming no known label is invalid."""
    labels = list(labels)
    if not labels:
        fix = "list them under task.labels"
        raise InputError(Problem("grader kind 'label' needs the label set", fix=fix, field="task.labels"))

    def label(output: str, example: Example) -> Score:
        predicted = match_label(output, labels)
        accepted = [match_label(answer, labels) or answer for answer in example.answers]
        expected = predicted if predicted in accepted else accepted[0]
        details = {"predicted": predicted, "expected": expected}
        return Score(float(predicted is not None and predicted == expected), predicted is not None, details)

    return label


def label_codes(expected: Sequence[str], predicted: Sequence[str | None], labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of expected and predicted labels (index in `labels`; anything else `len(labels)`)."""
    import numpy as np

    index = {label: i for i, label in enumerate(labels)}
    invalid = len(labels)
    true = np.array([index.get(e, invalid) for e in expected], dtype=int)
    pred = np.array([index.get(p, invalid) if p is not None else invalid for p in predicted], dtype=int)
    return true, pred


def macro_f1(expected: Sequence[str], predicted: Sequence[str | None], labels: Sequence[str]) -> float:
    """scikit-learn's macro-F1 over the labels that occur (expected or predicted); invalid outputs are misses."""
    from sklearn.metrics import f1_score

    true, pred = label_codes(expected, predicted, labels)
    present = sorted((set(true.tolist()) | set(pred.tolist())) - {len(labels)})
    if not present:
        return float("nan")
    return float(f1_score(true, pred, labels=present, average="macro", zero_division=0))


def macro_f1_codes(rows: np.ndarray, size: int) -> float:
    """Macro-F1 of an (n, 2) array of (expected, predicted) `label_codes`; `size` is len(labels) + 1.

    The same definition as `macro_f1`, in numpy, fast enough to recompute on thousands of resamples.
    """
    import numpy as np

    true, pred = rows[:, 0], rows[:, 1]
    support = np.bincount(true, minlength=size)
    predicted = np.bincount(pred, minlength=size)
    hits = np.bincount(true[true == pred], minlength=size)
    present = (support + predicted)[:-1] > 0
    if not present.any():
        return float("nan")
    return float(np.mean(2 * hits[:-1][present] / (support + predicted)[:-1][present]))


def confusion(expected: Sequence[str], predicted: Sequence[str | None], labels: Sequence[str]) -> dict[str, list]:
    """Counts (scikit-learn) with rows = expected `labels` and columns = predicted `columns` (the labels, then INVALID)."""
    from sklearn.metrics import confusion_matrix

    true, pred = label_codes(expected, predicted, labels)
    columns = [*labels, INVALID]
    matrix = confusion_matrix(true, pred, labels=list(range(len(columns))))[: len(labels)]
    return {"labels": list(labels), "columns": columns, "matrix": matrix.astype(int).tolist()}
