"""catalogue-assistant: product-faq's facts in a house style, then a catalogue update that moves some of them.

Train and eval ask about the same facts in different words, so a fine-tune can learn both the facts and the
"Tidewell answer: ..." style; after the update (kb_v2/, eval_v2.jsonl) the answers of the moved facts differ
from what the fine-tune learned, and only retrieval from the changed documents knows the new ones.
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from dataclasses import replace

from _common import chat, unique
from _product_faq import _question
from _product_faq_kb import DOCS, Doc, answers
from rapidfuzz import fuzz

SYSTEM = (
    "You answer customer questions about Tidewell products and store policies. "
    "Reply in the house style: 'Tidewell answer:' then the short fact, e.g. 'Tidewell answer: 18 hours.' "
    "No full sentence."
)
STYLE = "Tidewell answer: {}"

PRODUCTS = ["aurora-x2.md", "pebblebuds.md", "nimbus-go.md", "thunderbox-500.md", "cirrus-watch.md", "strider-band.md"]
_BY_FILE = {doc.file: doc for doc in DOCS}
# Two store-policy facts in one small document, worded with product-faq's sentences and taken from its policy docs.
POLICIES = Doc(
    "policies.md",
    "Store policies",
    "Tidewell sells its products in its own online store. These policies apply to every order.",
    {"window": _BY_FILE["returns.md"].facts["window"], "express": _BY_FILE["shipping.md"].facts["express"]},
    "Unopened items are returned with no restocking fee. Express orders placed before 2 pm leave the warehouse the same day.",
)
KB = [_BY_FILE[file] for file in PRODUCTS] + [POLICIES]

# The catalogue update: every price and every warranty, and a few other facts. Each new value differs from every
# old value of its attribute (checked in `updated_docs`), so an answer learned before the update is wrong after it.
UPDATE = {
    "aurora-x2.md": {"price": "$139", "warranty": "20 months", "devices": "3 devices"},
    "pebblebuds.md": {"price": "$69", "warranty": "9 months"},
    "nimbus-go.md": {"price": "$65", "warranty": "21 months"},
    "thunderbox-500.md": {"price": "$299", "warranty": "48 months", "battery": "24 hours"},
    "cirrus-watch.md": {"price": "$199", "warranty": "27 months"},
    "strider-band.md": {"price": "$45", "warranty": "10 months"},
    "policies.md": {"window": "30 days"},
}

# Train never nearly repeats an eval question: `advisor validate` flags pairs at a similarity of 90 (rapidfuzz
# fuzz.ratio of the normalized texts); a small margin under it keeps the shipped data clear of the warning.
NEAR = 86.0


def facts(docs: list[Doc]) -> list[tuple]:
    """Every (doc, attribute, value) of the knowledge base, in document order."""
    return [(doc, key, value) for doc in docs for key, value in doc.facts.items()]


def updated_docs() -> list[Doc]:
    """The documents after the catalogue update: same files and names, some facts with new values."""
    old_values: dict[str, set[str]] = {}
    for _, key, value in facts(KB):
        old_values.setdefault(key, set()).add(value)
    docs = []
    for doc in KB:
        changes = UPDATE.get(doc.file, {})
        for key, value in changes.items():
            if key not in doc.facts or value in old_values[key]:
                raise ValueError(f"update of {doc.file} {key}: {value!r} must replace a fact with a value new to {key}")
        docs.append(replace(doc, facts={**doc.facts, **changes}))
    return docs


def _text(text: str) -> str:
    """The normalization of the validator's duplicate checks: case-folded, punctuation dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(ch for ch in text if not unicodedata.category(ch).startswith("P")).split())


def _maker(fact_list: list[tuple], avoid: list[str]):
    """Questions round-robin over the facts, each far from every text in `avoid`."""
    turn = itertools.count()

    def make(rng: random.Random) -> dict:
        fact = fact_list[next(turn) % len(fact_list)]  # round-robin so every fact gets asked
        for _ in range(200):
            user = _question(fact, rng)
            text = _text(user)
            if all(fuzz.ratio(text, other) < NEAR for other in avoid):
                return {"user": user, "fact": fact}
        raise RuntimeError(f"no question about {fact[0].name} {fact[1]} far enough from eval: add more variety")

    return make


def _record(id_: str, user: str, fact: tuple) -> dict:
    doc, key, value = fact
    meta = {"answers": [STYLE.format(a) for a in answers(value)], "source": doc.file, "attribute": key}
    return chat(id_, SYSTEM, user, STYLE.format(value) + ".", meta)


def build(rng: random.Random, n_train: int = 240, n_eval: int = 80) -> dict[str, list[dict]]:
    """Eval first, then train over the same facts in other words, then eval_v2: the eval lines whose fact moved."""
    seen: set[str] = set()
    fact_list = facts(KB)
    rng.shuffle(fact_list)
    eval_rows = unique(_maker(fact_list, []), n_eval, rng, seen)
    rng.shuffle(fact_list)
    train_rows = unique(_maker(fact_list, [_text(r["user"]) for r in eval_rows]), n_train, rng, seen)
    for split, rows in (("eval", eval_rows), ("train", train_rows)):
        asked = {(r["fact"][0].file, r["fact"][1]) for r in rows}
        if len(asked) != len(fact_list):
            raise RuntimeError(f"{split} asks about {len(asked)} of {len(fact_list)} facts")
    new = {(doc.file, key): value for doc, key, value in facts(updated_docs())}
    out = {
        "eval": [_record(f"cat-eval-{i:04d}", r["user"], r["fact"]) for i, r in enumerate(eval_rows, 1)],
        "train": [_record(f"cat-train-{i:04d}", r["user"], r["fact"]) for i, r in enumerate(train_rows, 1)],
    }
    out["eval_v2"] = []  # the same id and question, the answer after the update
    for i, r in enumerate(eval_rows, 1):
        doc, key, value = r["fact"]
        if new[doc.file, key] != value:
            out["eval_v2"].append(_record(f"cat-eval-{i:04d}", r["user"], (doc, key, new[doc.file, key])))
    return out


def knowledge() -> dict[str, dict[str, str]]:
    """Folder -> file name -> text: kb/ before the catalogue update, kb_v2/ after it (same file names)."""
    return {"kb": {doc.file: doc.text() for doc in KB}, "kb_v2": {doc.file: doc.text() for doc in updated_docs()}}
