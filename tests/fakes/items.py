"""Eval items the fakes answer deterministically: the user text is `ID words... LABEL`, answered LABEL."""

from __future__ import annotations

from evals.example import Example

LABELS = ["billing", "refund", "shipping", "account"]


def make_items(n: int, *, wrong: frozenset[str] = frozenset(), system: str = "Answer with one label.") -> list[tuple[Example, list[dict]]]:
    """`n` (example, messages) items `q0..q{n-1}`; ids in `wrong` expect a label the server will not say."""
    items = []
    for i in range(n):
        key, label = f"q{i}", LABELS[i % len(LABELS)]
        expected = "other" if key in wrong else label
        messages = [{"role": "system", "content": system}, {"role": "user", "content": f"{key} my ticket is about {label}"}]
        example = Example.model_validate({"id": key, "messages": [*messages, {"role": "assistant", "content": expected}]})
        items.append((example, messages))
    return items
