"""`advisor validate`'s check that the eval set's `meta.source` names documents of the knowledge folder."""

from __future__ import annotations

from pathlib import Path

from evals.errors import InputError, Problem
from evals.example import Example


def source_warnings(eval_set: list[Example], knowledge: Path | None, eval_file: Path) -> list[Problem]:
    """A warning when eval sources match no knowledge document (recall would read 0 for a data bug)."""
    if knowledge is None or not knowledge.is_dir() or not any("source" in ex.meta for ex in eval_set):
        return []
    from evals.strategies import FORMS, SourceIndex, load_knowledge

    try:
        index = SourceIndex(load_knowledge(knowledge))
    except InputError:  # an empty or broken folder is reported as a problem of its own
        return []
    given = [ex for ex in eval_set if "source" in ex.meta]
    unmatched = [ex for ex in given if not index.gold(ex)]
    if not unmatched:
        return []
    first = unmatched[0]
    some = sorted(index.documents)[:2]
    what = (
        "no eval meta.source matches any knowledge document"
        if len(unmatched) == len(given)
        else f"{len(unmatched)} of {len(given)} eval meta.source values match no knowledge document"
    )
    return [
        Problem(
            f"{what} (e.g. {first.meta['source']!r}; tried {FORMS}), so retrieval recall and citations cannot be measured for them",
            fix=f"name documents as they are under {knowledge.name}/, e.g. {', '.join(repr(d) for d in some)}",
            file=eval_file,
            line=first.line,
            field="meta.source",
        )
    ]
