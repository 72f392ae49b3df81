"""product-faq: the invented Tidewell product line, one knowledge document per product or policy."""

from __future__ import annotations

from dataclasses import dataclass

# attribute -> the sentence stating it, worded the way customers ask ({n}: the product name).
# Facts come first and as plain sentences: a 135M model copies them far more often than from prose.
SENTENCES = {
    "price": "The {n} costs {v}.",
    "battery": "The {n} battery lasts {v} on one charge.",
    "charge": "The {n} takes {v} to charge fully.",
    "warranty": "The {n} warranty is {v}.",
    "weight": "The {n} weighs {v}.",
    "water": "The {n} water resistance rating is {v}.",
    "devices": "The {n} connects to {v} at once.",
    "power": "The {n} power rating is {v}.",
    "brightness": "The {n} brightness is {v}.",
    "capacity": "The {n} capacity is {v}.",
    "noise": "The {n} noise level is {v}.",
    "coverage": "The {n} covers rooms up to {v}.",
    "filter": "The {n} filter lasts {v}.",
    "keepwarm": "The {n} keeps water warm for {v}.",
    "boil": "The {n} boils 1 litre in {v}.",
    "speeds": "The {n} has {v}.",
    "height": "The {n} height is {v}.",
    "lifespan": "The {n} LED lifespan is {v}.",
    "video": "The {n} records video at up to {v}.",
    "depth": "The {n} is waterproof to a depth of {v}.",
    "range": "The {n} wireless range is {v}.",
    "window": "You can return a product within {v} of delivery.",
    "refund": "Refunds are paid within {v} of the return arriving.",
    "restocking": "The restocking fee for opened items is {v}.",
    "claim": "We answer a warranty claim within {v}.",
    "care_price": "Tidewell Care costs {v}.",
    "care_extra": "Tidewell Care extends the warranty by {v}.",
    "free_over": "Shipping is free on orders over {v}.",
    "express": "Express shipping costs {v}.",
    "standard": "Standard delivery takes {v}.",
    "countries": "Tidewell ships to {v}.",
    "points": "Tidewell Club members earn {v}.",
    "discount": "The Tidewell Club member discount is {v}.",
    "birthday": "The Tidewell Club birthday voucher is worth {v}.",
}


@dataclass(frozen=True)
class Doc:
    """One knowledge document: a product or a store policy, its facts and a little prose."""

    file: str
    name: str
    intro: str
    facts: dict[str, str]
    outro: str

    def text(self) -> str:
        facts = "\n".join(SENTENCES[key].format(n=self.name, v=value) for key, value in self.facts.items())
        return f"# {self.name}\n\n{facts}\n\n{self.intro}\n\n{self.outro}\n"


DOCS = [
    Doc(
        "aurora-x2.md",
        "Aurora X2",
        "Built for long commutes and open-plan offices, this over-ear noise-cancelling headphone folds flat and ships with a felt travel case.",
        {
            "price": "$149",
            "battery": "32 hours",
            "charge": "95 minutes",
            "warranty": "24 months",
            "weight": "265 g",
            "devices": "2 devices",
        },
        "Clean the Aurora X2 ear cushions with a dry cloth; replacement cushions are sold separately.",
    ),
    Doc(
        "pebblebuds.md",
        "Pebblebuds",
        "Small enough for running and light enough to forget, these true wireless earbuds come in a pocket-sized charging case.",
        {"price": "$79", "battery": "7 hours", "charge": "40 minutes", "warranty": "12 months", "water": "IPX5", "weight": "48 g"},
        "The listed Pebblebuds weight includes the charging case. Three sizes of ear tips come in the box.",
    ),
    Doc(
        "nimbus-go.md",
        "Nimbus Go",
        "A portable Bluetooth speaker with a fabric wrap and a carry strap. It floats, so take it to the pool.",
        {"price": "$59", "battery": "14 hours", "charge": "150 minutes", "warranty": "18 months", "water": "IP67", "weight": "540 g"},
        "Two Nimbus Go speakers can be paired for stereo sound from the Tidewell app.",
    ),
    Doc(
        "thunderbox-500.md",
        "Thunderbox 500",
        "Our party speaker rolls on wheels, has light rings around both woofers and two microphone inputs for karaoke.",
        {"price": "$329", "battery": "20 hours", "power": "120 W", "warranty": "36 months", "weight": "6.8 kg", "charge": "4 hours"},
        "The Thunderbox 500 battery can be swapped without tools; spare batteries are sold separately.",
    ),
    Doc(
        "cirrus-watch.md",
        "Cirrus Watch",
        "A smartwatch with an always-on display, heart-rate tracking and contactless payments. Works with Android and iPhone.",
        {"price": "$219", "battery": "6 days", "charge": "70 minutes", "warranty": "30 months", "water": "5 ATM", "weight": "38 g"},
        "Cirrus Watch straps use a quick-release pin and fit any 20 mm band.",
    ),
    Doc(
        "strider-band.md",
        "Strider Band",
        "A slim fitness band that counts steps, tracks sleep and reminds you to move. Its matte display has no glare.",
        {"price": "$49", "battery": "11 days", "charge": "55 minutes", "warranty": "15 months", "water": "IP68", "weight": "21 g"},
        "The Strider Band charges on a magnetic clip that is included in the box.",
    ),
    Doc(
        "halo-lamp.md",
        "Halo Lamp",
        "A smart desk lamp with a weighted base and a touch dimmer. It can follow the daylight on its own.",
        {
            "price": "$89",
            "brightness": "800 lumens",
            "power": "9 W",
            "lifespan": "25,000 hours",
            "warranty": "48 months",
            "weight": "1.1 kg",
        },
        "The Halo Lamp has a USB-C port in its base for charging a phone.",
    ),
    Doc(
        "brisa-fan.md",
        "Brisa Fan",
        "A bladeless tower fan with a sleep timer and a remote that docks on top. It oscillates up to 90 degrees.",
        {"price": "$119", "noise": "23 dB", "speeds": "8 speed settings", "power": "35 W", "warranty": "24 months", "height": "105 cm"},
        "Wipe the Brisa Fan air outlet monthly; the base filter can be rinsed under the tap.",
    ),
    Doc(
        "ember-kettle.md",
        "Ember Kettle",
        "A smart electric kettle with five temperature presets for tea and coffee, and the water temperature shown on its handle.",
        {
            "price": "$99",
            "capacity": "1.7 litres",
            "power": "2200 W",
            "keepwarm": "45 minutes",
            "boil": "3 minutes",
            "warranty": "20 months",
        },
        "Descale the Ember Kettle every month in hard-water areas with citric acid.",
    ),
    Doc(
        "drift-purifier.md",
        "Drift Purifier",
        "An air purifier with a true HEPA filter and an air-quality light ring. Night mode dims every light.",
        {
            "price": "$259",
            "coverage": "45 square metres",
            "filter": "9 months",
            "noise": "19 dB",
            "warranty": "60 months",
            "weight": "4.2 kg",
        },
        "Replacement Drift Purifier filters are sold in packs of two.",
    ),
    Doc(
        "solstice-lantern.md",
        "Solstice Lantern",
        "A rechargeable camping lantern with a warm-light mode and a hook for tent roofs. It can also charge a phone.",
        {"price": "$39", "battery": "60 hours", "brightness": "400 lumens", "water": "IPX4", "warranty": "18 months", "weight": "310 g"},
        "The listed Solstice Lantern battery life is on the lowest brightness setting.",
    ),
    Doc(
        "voltpack-20.md",
        "Voltpack 20",
        "A power bank that charges a laptop, a phone and earbuds at the same time, with a small display showing the charge left.",
        {"price": "$45", "capacity": "20,000 mAh", "power": "65 W", "charge": "3.5 hours", "warranty": "20 months", "weight": "380 g"},
        "The Voltpack 20 is allowed in cabin luggage on most airlines.",
    ),
    Doc(
        "glint-cam.md",
        "Glint Cam",
        "Our action camera has image stabilisation and a front screen for selfies, and mounts on helmets, bikes and boards.",
        {"price": "$279", "video": "5.3K", "battery": "95 minutes", "depth": "12 metres", "warranty": "24 months", "weight": "142 g"},
        "The Glint Cam battery life is measured while recording video at full resolution.",
    ),
    Doc(
        "keystone-hub.md",
        "Keystone Hub",
        "Our smart home hub links lamps, fans, purifiers and sensors so they can follow one schedule.",
        {"price": "$129", "devices": "150 devices", "range": "40 metres", "power": "5 W", "warranty": "36 months", "weight": "210 g"},
        "The Keystone Hub keeps running schedules when the internet is down.",
    ),
    Doc(
        "returns.md",
        "Returns and refunds",
        "Tidewell takes back any product bought in our online store. Start a return from your order page and print the label.",
        {"window": "45 days", "refund": "5 business days", "restocking": "10%"},
        "Unopened items are returned with no restocking fee. The refund goes to the original payment method.",
    ),
    Doc(
        "warranty-claims.md",
        "Warranty claims and Tidewell Care",
        "Every Tidewell product has its own warranty, listed on its product page. To claim, send us the serial number and a short video of the fault.",
        {"claim": "2 business days", "care_price": "$29 per year", "care_extra": "12 months"},
        "Tidewell Care extends the warranty of every product you register and covers accidental damage.",
    ),
    Doc(
        "shipping.md",
        "Shipping and delivery",
        "Tidewell ships from warehouses in Rotterdam and Ohio. Every order has a tracking link in the confirmation email.",
        {"free_over": "$75", "express": "$12.50", "standard": "3 to 5 business days", "countries": "38 countries"},
        "Express orders placed before 2 pm leave the warehouse the same day.",
    ),
    Doc(
        "tidewell-club.md",
        "Tidewell Club",
        "Tidewell Club is our free membership programme. Members earn points on every order and get early access to new products.",
        {"points": "3 points per dollar", "discount": "12%", "birthday": "$15"},
        "Points expire after two years without an order. The member discount cannot be combined with sale prices.",
    ),
]

FAQ_JSONL = [
    {
        "id": "faq-company",
        "text": "Tidewell is a consumer electronics brand founded by a group of sailing friends. Our products are designed in Rotterdam.",
    },
    {
        "id": "faq-support",
        "text": "Tidewell support answers chat messages in English, Dutch and German. Phone support is open on weekdays.",
    },
    {"id": "faq-app", "text": "The Tidewell app sets up speakers, lamps, fans and the hub, and installs firmware updates over the air."},
    {
        "id": "faq-recycling",
        "text": "Send old Tidewell products back with a free recycling label from our website; we reuse the batteries.",
    },
    {"id": "faq-gift-cards", "text": "Tidewell gift cards are delivered by email and can be spent on anything in the online store."},
    {
        "id": "faq-business",
        "text": "Companies buying ten or more products can ask for a business account with invoices and net-30 payment.",
    },
]


# Shorter forms that occur in the document and that a correct answer worded differently still contains.
SHORTER = {
    "8 speed settings": "8 speed",
    "3 to 5 business days": "3 to 5",
    "45 square metres": "45 square",
    "3 points per dollar": "3 points",
    "$29 per year": "$29",
    "1.7 litres": "1.7",
    "20,000 mAh": "20,000",
    "25,000 hours": "25,000",
}
# Units a model may spell out ("265 grams", "12 meters"): the number alone is accepted too.
SPELLED_UNITS = {"g", "kg", "W", "dB", "cm", "metres"}


def answers(value: str) -> list[str]:
    """Accepted answers for a fact: as written, a shorter form, and the bare number of a price or spelled unit."""
    found = [value] + ([SHORTER[value]] if value in SHORTER else [])
    number, _, unit = value.partition(" ")
    if value.startswith("$") and " " not in value:
        found.append(value[1:])
    elif unit in SPELLED_UNITS and len(number) > 1:  # a lone digit would match too much
        found.append(number)
    return found
