"""A team's own retrieval pipeline in one file, to put on the ladder beside the shipped rungs.

It reads the product docs once, picks the document that names the product asked about, and answers with the
sentence of that document sharing the most words with the question: no model at all. `advisor run` calls
`answer` with each eval item's chat messages (system and user turns) and grades what it returns.
"""

from __future__ import annotations

import re
from pathlib import Path

KB = Path(__file__).resolve().parents[2] / "scenarios" / "product-faq" / "kb"
# Question words that name what a document's sentence says in other words.
SAME = {"weight": "weighs", "weigh": "weighs", "price": "costs", "cost": "costs", "sell": "costs", "much": "costs"}


def _words(text: str) -> set[str]:
    words = set(re.findall(r"[a-z0-9]+", text.lower()))
    return words | {SAME[w] for w in words if w in SAME}


def _load() -> dict[str, list[str]]:
    docs = {}
    for path in sorted(KB.glob("*.md")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        docs[lines[0].lstrip("# ")] = [line for line in lines[1:] if line]
    return docs


DOCS = _load()


def answer(messages: list[dict]) -> str:
    question = _words(messages[-1]["content"])
    product = max(DOCS, key=lambda name: len(_words(name) & question))
    return max(DOCS[product], key=lambda sentence: len(_words(sentence) & question))
