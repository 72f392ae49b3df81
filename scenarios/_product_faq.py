"""product-faq: customer questions whose short answers sit in exactly one knowledge document."""

from __future__ import annotations

import itertools
import random

from _common import add_typos, casual, chat, join_parts, unique
from _product_faq_kb import DOCS, FAQ_JSONL, answers

SYSTEM = (
    "You answer customer questions about Tidewell products and store policies. "
    "Reply with the short fact only, for example: 18 hours, $34, IP54, 7 days. No full sentence."
)

# {p} is the product name; policy questions have none.
QUESTIONS = {
    "price": [
        "How much does the {p} cost?",
        "What's the price of the {p}?",
        "What is the {p} price?",
        "How much is the {p}?",
        "What does the {p} sell for?",
        "{p} price?",
        "how much do you charge for the {p}",
        "What would a {p} set me back?",
    ],
    "battery": [
        "How long does the {p} battery last?",
        "What is the battery life of the {p}?",
        "{p} battery life?",
        "How long will the {p} run on one charge?",
        "what's the battery life like on the {p}",
        "How long can I use the {p} before it needs charging?",
    ],
    "charge": [
        "How long does the {p} take to charge?",
        "How long to fully charge the {p}?",
        "What's the charging time of the {p}?",
        "{p} charge time?",
        "How long does it take to recharge the {p}?",
        "how long does a full charge of the {p} take",
    ],
    "warranty": [
        "How long is the warranty on the {p}?",
        "What warranty does the {p} come with?",
        "{p} warranty?",
        "How many months of warranty does the {p} have?",
        "For how long is the {p} covered by warranty?",
        "what's the warranty period for the {p}",
    ],
    "weight": [
        "How much does the {p} weigh?",
        "What is the weight of the {p}?",
        "How heavy is the {p}?",
        "{p} weight?",
        "what does the {p} weigh",
    ],
    "water": [
        "What is the water resistance rating of the {p}?",
        "What's the {p}'s water resistance?",
        "How waterproof is the {p}?",
        "{p} water resistance rating?",
        "What water rating does the {p} have?",
    ],
    "devices": [
        "How many devices can the {p} connect to at once?",
        "How many devices does the {p} connect at the same time?",
        "{p}: how many devices at once?",
        "how many devices can be connected to the {p}",
    ],
    "power": ["What is the power of the {p}?", "How many watts is the {p}?", "{p} wattage?", "What's the power rating of the {p}?"],
    "brightness": ["How bright is the {p}?", "How many lumens does the {p} give?", "What's the brightness of the {p}?", "{p} lumens?"],
    "capacity": ["What is the capacity of the {p}?", "{p} capacity?", "How much capacity does the {p} have?", "what capacity is the {p}"],
    "noise": ["How loud is the {p}?", "What's the noise level of the {p}?", "How many decibels does the {p} make?", "{p} noise level?"],
    "coverage": ["How big a room can the {p} clean?", "What room size does the {p} cover?", "{p} room coverage?"],
    "filter": ["How long does the {p} filter last?", "How often do I replace the {p} filter?", "{p} filter life?"],
    "keepwarm": ["How long does the {p} keep water warm?", "What's the keep-warm time of the {p}?", "{p} keep warm time?"],
    "boil": ["How fast does the {p} boil a litre?", "How long does the {p} take to boil 1 litre?", "{p} boil time?"],
    "speeds": ["How many speed settings does the {p} have?", "How many speeds has the {p} got?", "{p} number of speeds?"],
    "height": ["How tall is the {p}?", "What is the height of the {p}?", "{p} height?"],
    "lifespan": ["How long does the LED in the {p} last?", "What's the LED lifespan of the {p}?", "{p} LED lifespan?"],
    "video": ["What resolution does the {p} record video in?", "What's the video resolution of the {p}?", "{p} max video resolution?"],
    "depth": ["How deep can I take the {p} underwater?", "To what depth is the {p} waterproof?", "{p} waterproof depth?"],
    "range": ["What is the wireless range of the {p}?", "How far does the {p} reach?", "{p} wireless range?"],
    "window": [
        "How many days do I have to return a product?",
        "What is your return window?",
        "How long do I have to send something back?",
        "how long is the return period",
    ],
    "refund": [
        "How long does a refund take once you get my return?",
        "How fast are refunds paid out?",
        "When do I get my money back after a return?",
    ],
    "restocking": [
        "Is there a restocking fee for opened items?",
        "What's the restocking fee if I opened the product?",
        "how much is the restocking fee on opened items",
    ],
    "claim": [
        "How quickly do you answer a warranty claim?",
        "How long until I hear back on a warranty claim?",
        "warranty claim response time?",
    ],
    "care_price": ["How much does Tidewell Care cost?", "What is the price of Tidewell Care?", "tidewell care price?"],
    "care_extra": [
        "How much longer is my warranty with Tidewell Care?",
        "By how much does Tidewell Care extend the warranty?",
        "how many extra months does tidewell care add",
    ],
    "free_over": [
        "What's the minimum order for free shipping?",
        "How much do I need to spend to get free shipping?",
        "from what order value is shipping free",
    ],
    "express": ["How much does express shipping cost?", "What is the price of express delivery?", "express shipping cost?"],
    "standard": ["How long does standard delivery take?", "How many days is standard shipping?", "standard delivery time?"],
    "countries": ["How many countries do you ship to?", "To how many countries does Tidewell deliver?", "number of countries you ship to?"],
    "points": [
        "How many points do I earn per dollar in Tidewell Club?",
        "How many Tidewell Club points per dollar spent?",
        "tidewell club points per dollar?",
    ],
    "discount": ["What discount do Tidewell Club members get?", "How big is the Tidewell Club member discount?", "club member discount?"],
    "birthday": [
        "What is the Tidewell Club birthday voucher worth?",
        "How much is the birthday voucher for members?",
        "tidewell club birthday voucher value?",
    ],
}

OPENERS = [
    "",
    "",
    "",
    "Hi,",
    "Hello!",
    "Quick question:",
    "Hey,",
    "Hi there.",
    "Good morning,",
    "Sorry if this is obvious, but",
    "Before I order:",
    "One more thing:",
]
# Asides and sign-offs are kept rare: a 135M model answers "You're welcome" to a trailing "Thanks!"
# and halves its accuracy when every question carries one, even with the right document at hand.
CONTEXT = [
    "I'm thinking of buying one.",
    "I already own one.",
    "I couldn't find it on the site.",
    "Asking for a friend.",
    "Comparing options right now.",
]
CLOSERS = ["Thanks!", "Thank you.", "Cheers.", "Thanks in advance.", "ty", "Appreciate it."]


def _facts() -> list[tuple]:
    """Every (doc, attribute, value) the questions can ask about."""
    return [(doc, key, value) for doc in DOCS for key, value in doc.facts.items()]


def split_facts(rng: random.Random, eval_share: float = 0.4) -> tuple[list[tuple], list[tuple]]:
    """Eval asks about facts no train example states, so only retrieval can supply them."""
    train, evals = [], []
    for doc in DOCS:
        facts = [f for f in _facts() if f[0] is doc]
        rng.shuffle(facts)
        cut = max(1, round(len(facts) * eval_share))
        evals += facts[:cut]
        train += facts[cut:]
    return train, evals


def _name(doc, rng: random.Random) -> str:
    return doc.name.lower() if rng.random() < 0.2 else doc.name


def _question(fact: tuple, rng: random.Random) -> str:
    doc, key, _ = fact
    core = rng.choice(QUESTIONS[key]).format(p=_name(doc, rng))
    core = core[:1].upper() + core[1:] if rng.random() < 0.7 else core
    context = rng.choice(CONTEXT) if rng.random() < 0.2 else ""
    parts = [rng.choice(OPENERS), core, context]
    if rng.random() < 0.3:  # context first: "I already own one. How heavy is ..."
        parts = [parts[0], context, core]
    text = join_parts(*parts, rng.choice(CLOSERS) if rng.random() < 0.15 else "")
    if rng.random() < 0.25:  # slips in ordinary words; product names stay searchable
        text = add_typos(text, rng, 0.08, spare_capitals=True)
    return casual(text, rng)


def _maker(facts: list[tuple]):
    turn = itertools.count()

    def make(rng: random.Random) -> dict:
        fact = facts[next(turn) % len(facts)]  # round-robin so every fact gets asked
        return {"user": _question(fact, rng), "fact": fact}

    return make


def build(rng: random.Random, n_train: int = 200, n_eval: int = 100) -> dict[str, list[dict]]:
    """Questions over disjoint fact sets; eval first, train never repeats an eval text."""
    train_facts, eval_facts = split_facts(rng)
    seen: set[str] = set()
    out = {}
    for split, facts, n in (("eval", eval_facts, n_eval), ("train", train_facts, n_train)):
        rng.shuffle(facts)
        rows = unique(_maker(facts), n, rng, seen)
        out[split] = [
            chat(
                f"faq-{split}-{i:04d}",
                SYSTEM,
                r["user"],
                r["fact"][2],
                {"answers": answers(r["fact"][2]), "source": r["fact"][0].file, "attribute": r["fact"][1]},
            )
            for i, r in enumerate(rows, 1)
        ]
    return out


def knowledge() -> dict[str, str | list[dict]]:
    """The kb/ folder: file name -> text (or JSONL records)."""
    files: dict[str, str | list[dict]] = {doc.file: doc.text() for doc in DOCS}
    files["general-faq.jsonl"] = FAQ_JSONL
    return files
