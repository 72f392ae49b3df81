"""support-intents: customer messages of an online shop, routed into five queues."""

from __future__ import annotations

import random

from _common import add_typos, casual, chat, join_parts, unique

LABELS = ["refund", "shipping", "account", "billing", "product_question"]

SYSTEM = (
    "You route customer messages for Pinecrest Goods, an online shop for home and outdoor goods. "
    "Choose exactly one queue:\n"
    "refund - returning an item, getting money back for a purchase, return labels\n"
    "shipping - delivery times, tracking, lost or late parcels, delivery addresses, shipping countries\n"
    "account - login, password, email or profile changes, newsletter, deleting the account\n"
    "billing - charges, payment methods, invoices, receipts, discount codes\n"
    "product_question - what a product is like: sizes, materials, features, care, stock\n"
    "Reply with the label only."
)

PRODUCTS = [
    "pour-over kettle",
    "wool throw blanket",
    "bamboo cutting board",
    "28L trail backpack",
    "linen duvet cover",
    "cast iron skillet",
    "oak desk lamp",
    "rain jacket",
    "cork yoga mat",
    "burr coffee grinder",
    "kids' rain boots",
    "terracotta plant pots",
    "camping hammock",
    "enamel mug set",
    "hiking socks",
    "down sleeping bag",
    "glass food containers",
    "bath towel set",
    "folding camp chair",
    "stainless water bottle",
    "wall clock",
    "picnic blanket",
    "chef's knife",
    "merino beanie",
    "trekking poles",
    "ceramic dinner plates",
    "headlamp",
    "laundry basket",
]
PEOPLE = [
    "Maya",
    "Tom",
    "Priya",
    "Jonas",
    "Aisha",
    "Luca",
    "Grace",
    "Mateo",
    "Hannah",
    "Omar",
    "Sofia",
    "Ben",
    "Yuki",
    "Clara",
    "Dev",
    "Elena",
    "Sam",
    "Noor",
    "Felix",
    "Ines",
]
CARRIERS = ["DHL", "UPS", "FedEx", "the courier", "Royal Mail", "DPD", "the postman"]
PLACES = ["Canada", "Norway", "Ireland", "Japan", "Portugal", "Australia", "Switzerland", "Mexico"]
CITIES = ["Leeds", "Lyon", "Denver", "Porto", "Graz", "Cork", "Austin", "Utrecht", "Malmo"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "the weekend"]
PAY = ["PayPal", "Apple Pay", "a gift card", "bank transfer", "Klarna", "my Amex card"]
COLORS = ["navy", "olive green", "charcoal", "mustard", "a lighter colour", "white"]

CORE = {
    "refund": [
        "I'd like to return the {p} and get my money back.",
        "Can I get a refund for order {o}? The {p} arrived broken.",
        "The {p} came damaged, so I want a refund please.",
        "How do I send back the {p}? It's not what I expected.",
        "I sent the {p} back {n} days ago and the refund still hasn't come through.",
        "Please refund the {p}, I changed my mind about it.",
        "I need a return label for the {p} from order {o}.",
        "The {p} is the wrong size. Can I return it for a refund?",
        "Is it too late to return a {p} I bought {n} weeks ago?",
        "The {p} stopped working after two uses and I'd like my money back.",
        "You sent me the wrong {p}. I want to return it and be refunded.",
        "Requesting a refund for order {o}, the {p} is faulty.",
        "Can I return just the {p} from order {o} and keep the rest?",
        "How long does it take to get my money back once you receive the returned {p}?",
        "I dropped the {p} at the post office for return, when will I be refunded?",
        "what's your return policy? want to send back a {p}",
    ],
    "shipping": [
        "Where is my order {o}? It's been {n} days.",
        "The tracking for my {p} hasn't updated since {d}.",
        "When will my {p} arrive?",
        "Do you ship to {c}?",
        "{k} says my parcel was delivered but I never got it.",
        "Can I change the delivery address for order {o}? I'm moving to {city}.",
        "How long does express delivery take to {city}?",
        "My package with the {p} is stuck in customs.",
        "Order {o} has shown 'out for delivery' for {n} days now.",
        "Only part of order {o} arrived, where is the {p}?",
        "How much does shipping to {c} cost?",
        "Can {k} leave the parcel with my neighbour if I'm not home?",
        "Has order {o} been dispatched yet?",
        "Can I pick a delivery day for the {p}?",
        "the tracking link for order {o} doesn't work, where's my parcel",
        "My {p} was supposed to arrive on {d} and it still isn't here.",
    ],
    "account": [
        "I can't log in to my account.",
        "I forgot my password and the reset email never arrives.",
        "How do I change the email on my account to {e}?",
        "Please delete my account and all my personal data.",
        "My account got locked after too many login attempts.",
        "How do I unsubscribe from your newsletter?",
        "I'd like to change the phone number on my profile.",
        "The two-factor code never arrives on my phone so I can't sign in.",
        "I think someone else logged into my account.",
        "I have two accounts, can you merge them into one?",
        "How can I turn off the marketing emails?",
        "The password reset link says it has expired.",
        "I signed up with {e} by mistake, can you change my login email?",
        "Your site keeps logging me out every few minutes.",
        "How do I change my username?",
        "i made an account but never got the verification email",
    ],
    "billing": [
        "I was charged twice for order {o}.",
        "My card was declined at checkout but the money still left my bank.",
        "Can I get a VAT invoice for order {o}?",
        "There's a charge of {a} from Pinecrest on my statement that I don't recognise.",
        "The discount code {code} wasn't applied to my payment.",
        "Can I pay with {pay}?",
        "I need to update the card you charge for my subscription.",
        "I was charged {a} but the checkout showed a lower total.",
        "Do you offer paying in instalments?",
        "My invoice for order {o} shows the wrong company name.",
        "Can I split the payment for order {o} across two cards?",
        "Please send me a receipt for order {o}, I need it for expenses.",
        "Why was I charged {a} when I paid with {pay}?",
        "The payment page keeps failing when I try to pay with {pay}.",
        "Can you add our VAT number to the invoice?",
        "got billed {a} twice this month, what's going on",
    ],
    "product_question": [
        "Is the {p} dishwasher safe?",
        "What are the dimensions of the {p}?",
        "Does the {p} come in {col}?",
        "When will the {p} be back in stock?",
        "What material is the {p} made of?",
        "Is the {p} suitable for a beginner?",
        "How heavy is the {p}?",
        "How do I clean the {p}?",
        "Does the {p} need any assembly?",
        "What's the difference between the {p} and the {p2}?",
        "Is the {p} made in Europe?",
        "Does the {p} have a warranty?",
        "Would the {p} make a good gift for a {rel}?",
        "Is the {p} machine washable?",
        "Which size of the {p} would you recommend for a family of four?",
        "is the {p} any good for daily use",
    ],
}

DETAIL = {
    "refund": [
        "The box is still unopened.",
        "I still have the original packaging.",
        "I'd prefer the money back rather than an exchange.",
        "I've attached a photo of the damage.",
    ],
    "shipping": [
        "I need it by {d}.",
        "The tracking number starts with 1Z.",
        "I'm away from {d}.",
        "It's a birthday present so timing matters.",
    ],
    "account": [
        "I've tried three different browsers.",
        "I'm using the app on my phone.",
        "I no longer have access to my old email.",
        "I cleared my cookies already.",
    ],
    "billing": [
        "My bank says the charge is from you.",
        "It's a company purchase.",
        "I paid with {pay}.",
        "The amount on my statement is {a}.",
    ],
    "product_question": [
        "I'm deciding between a few options.",
        "I couldn't find it in the description.",
        "I'd buy two if it works.",
        "The photos don't make it clear.",
    ],
}

OPENERS = [
    "",
    "",
    "",
    "Hi,",
    "Hello,",
    "Hey there!",
    "Good morning,",
    "Hi team,",
    "Dear Pinecrest team,",
    "Quick question:",
    "Hello, hope you're well.",
    "Hiya,",
    "Hi Pinecrest,",
    "Urgent:",
    "Good afternoon.",
    "Hey,",
    "Sorry to bother you,",
    "Hi, {name} here.",
]
CONTEXT = [
    "",
    "",
    "",
    "",
    "",
    "I ordered on {d}.",
    "This is my second message about this.",
    "Writing from my phone, sorry for any typos.",
    "I've shopped with you for years.",
    "It was a gift for my {rel}.",
    "My order number is {o}.",
    "I bought it in your summer sale.",
    "My {rel} recommended your shop.",
]
CLOSERS = [
    "",
    "",
    "",
    "Thanks!",
    "Thank you.",
    "Cheers, {name}",
    "Kind regards,\n{name}",
    "Thanks in advance.",
    "Please help.",
    "Appreciate it!",
    "Best, {name}",
    "ty",
    "Many thanks, {name}",
    "Any help welcome.",
]
RELATIVES = ["mum", "dad", "sister", "brother", "partner", "friend", "colleague", "grandmother"]


def _order(rng: random.Random) -> str:
    number = rng.randrange(100000, 999999)
    return rng.choice((f"PG-{number}", f"#{number}", f"{number}", f"PG{number}"))


def _slots(rng: random.Random) -> dict[str, str]:
    p, p2 = rng.sample(PRODUCTS, 2)
    name = rng.choice(PEOPLE)
    return {
        "p": p,
        "p2": p2,
        "o": _order(rng),
        "n": str(rng.randrange(2, 15)),
        "d": rng.choice(DAYS),
        "c": rng.choice(PLACES),
        "city": rng.choice(CITIES),
        "k": rng.choice(CARRIERS),
        "name": name,
        "e": f"{name.lower()}{rng.randrange(1, 99)}@{rng.choice(('mail.com', 'inbox.org', 'post.net'))}",
        "a": rng.choice(("€", "£", "$")) + f"{rng.randrange(5, 300)}.{rng.randrange(0, 100):02d}",
        "code": rng.choice(("SPRING", "WELCOME", "PINE", "SAVE")) + str(rng.randrange(5, 40)),
        "pay": rng.choice(PAY),
        "col": rng.choice(COLORS),
        "rel": rng.choice(RELATIVES),
    }


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def _message(label: str, rng: random.Random) -> str:
    slots = _slots(rng)
    core = _capitalize(rng.choice(CORE[label]).format(**slots))
    detail = rng.choice(DETAIL[label]).format(**slots) if rng.random() < 0.3 else ""
    context = rng.choice(CONTEXT).format(**slots)
    opener = rng.choice(OPENERS).format(**slots)
    if opener and rng.random() < 0.3:  # a greeting on its own line, as in an email
        opener += "\n"
    parts = [opener, context, core, detail]
    if rng.random() < 0.5:  # the context sentence sometimes comes after the request
        parts = [opener, core, context, detail]
    text = join_parts(*parts, rng.choice(CLOSERS).format(**slots))
    if rng.random() < 0.35:
        text = add_typos(text, rng, 0.08)
    return casual(text, rng)


def _maker(label: str):
    def make(rng: random.Random) -> dict:
        return {"user": _message(label, rng), "label": label}

    return make


def build(rng: random.Random, n_train: int = 300, n_eval: int = 120) -> dict[str, list[dict]]:
    """Balanced train and eval sets; eval is drawn first so train never repeats its texts."""
    seen: set[str] = set()
    out: dict[str, list[dict]] = {}
    for split, n in (("eval", n_eval), ("train", n_train)):
        rows = [row for label in LABELS for row in unique(_maker(label), n // len(LABELS), rng, seen)]
        rng.shuffle(rows)
        out[split] = [chat(f"si-{split}-{i:04d}", SYSTEM, r["user"], r["label"]) for i, r in enumerate(rows, 1)]
    return out
