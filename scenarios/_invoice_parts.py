"""invoice-extraction: the invented facts of one invoice and the ways an invoice writes them."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

VENDORS = {
    "EUR": [
        "Northgale Elektro GmbH",
        "Ostrava Timber s.r.o.",
        "Bellamy Café Supplies SARL",
        "Van Dijk Drukwerk B.V.",
        "Ferreira & Filhos Lda",
        "Kallio Kahvi Oy",
        "Atelier Morel",
        "Brandt Maschinenbau GmbH",
        "Studio Rossi S.r.l.",
        "Lagune Reisen GmbH",
    ],
    "USD": [
        "Saltmarsh Software Inc.",
        "Copperline Logistics LLC",
        "Redwood Print Co.",
        "Bluequay Office Supply",
        "Harbor & Pine Catering",
        "Mesa Cloud Hosting",
        "Tallgrass Analytics LLC",
        "Juniper Street Movers",
    ],
    "GBP": [
        "Wrenfield Garden Services Ltd",
        "Halvorsen Print Works Ltd",
        "Marrow & Finch Catering",
        "Thistledown Cleaning Ltd",
        "Kingsbridge Legal LLP",
        "Pennant Signs Ltd",
        "Ashcombe IT Support",
    ],
}
CLIENTS = [
    "Greyfield Dental",
    "Lumen Architects",
    "Orchard Street Bakery",
    "Nordwind Yachts",
    "Pixel & Loom",
    "Sable Fitness",
    "Riverside Clinic",
    "Hollis & Webb",
    "Quillon Books",
    "Meridian Hostel",
]
PEOPLE = [
    "Anna Berg",
    "Marco Silva",
    "Ruth Okafor",
    "Jens Ploeg",
    "Lena Novak",
    "Chris Hale",
    "Paula Reyes",
    "Tariq Aziz",
    "Emma Stone",
    "Nils Eker",
]
ITEMS = [
    "Consulting (hours)",
    "A5 flyers, 500 pcs",
    "Office chair",
    "Server hosting",
    "Lunch catering",
    "Garden maintenance",
    "Design retainer",
    "Office cleaning",
    "Contract review",
    "Pallet delivery",
    "Oak boards",
    "Espresso beans 1kg",
    "Shop sign",
    "Laptop repair",
    "Moving van, half day",
    "Shipping",
]
STREETS = ["12 Quay Road", "Hauptstr. 48", "221 Elm Ave", "3 Market Lane", "Rua Nova 17", "Unit 5, Mill Yard"]
TAX = {"EUR": [0.19, 0.21, 0.2, 0.0], "USD": [0.0, 0.07, 0.0825], "GBP": [0.2, 0.0]}
SYMBOL = {"EUR": "€", "USD": "$", "GBP": "£"}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]


@dataclass
class Invoice:
    """The facts of one invoice (the expected answer) and the distractors around them."""

    vendor: str
    number: str
    date: dt.date
    currency: str
    lines: list[tuple[str, int, int]]  # description, quantity, unit price in cents
    tax_rate: float
    client: str
    person: str
    due_days: int

    @property
    def subtotal(self) -> int:
        return sum(qty * cents for _, qty, cents in self.lines)

    @property
    def tax(self) -> int:
        return round(self.subtotal * self.tax_rate)

    @property
    def total(self) -> int:
        return self.subtotal + self.tax

    def answer(self) -> dict:
        return {
            "vendor": self.vendor,
            "invoice_number": self.number,
            "date": self.date.isoformat(),
            "total": self.total / 100,
            "currency": self.currency,
        }


def invoice_number(rng: random.Random, year: int) -> str:
    """An invoice number in one of several house styles."""
    styles = [
        f"INV-{year}-{rng.randrange(1, 9999):04d}",
        f"{rng.choice('ABFKMRT')}{rng.choice('ABCXZ')}-{rng.randrange(10000, 99999)}",
        f"{rng.randrange(100000, 999999)}",
        f"{year}/{rng.randrange(1, 999):03d}",
        f"F{rng.randrange(10000, 99999)}",
        f"{rng.choice(('BQ', 'HW', 'NG', 'KL'))}{rng.randrange(1000, 9999)}-{rng.choice('ABCD')}",
    ]
    return rng.choice(styles)


def make_invoice(rng: random.Random) -> Invoice:
    """Random invoice facts; the currency usually follows the vendor's country, not always."""
    home = rng.choice(sorted(VENDORS))
    vendor = rng.choice(VENDORS[home])
    currency = home if rng.random() < 0.85 else rng.choice(sorted(VENDORS))
    date = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(0, 3 * 365))
    lines = [
        (item, rng.choice((1, 1, 1, 2, 3, 5, 10)), rng.randrange(500, 90000)) for item in rng.sample(ITEMS, rng.choice((1, 1, 2, 2, 3)))
    ]
    return Invoice(
        vendor,
        invoice_number(rng, date.year),
        date,
        currency,
        lines,
        rng.choice(TAX[currency]),
        rng.choice(CLIENTS),
        rng.choice(PEOPLE),
        rng.choice((14, 30, 45)),
    )


def date_style(rng: random.Random):
    """A function writing a date one way; no day/month orders that could be misread."""
    styles = [
        lambda d: d.isoformat(),
        lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
        lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
        lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
        lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",
        lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    ]
    return rng.choice(styles)


def money_style(rng: random.Random, currency: str):
    """A function writing an amount in cents one way, always with its currency."""
    sym = SYMBOL[currency]

    def grouped(cents: int, sep: str = ",", dec: str = ".") -> str:
        whole = f"{cents // 100:,}".replace(",", sep)
        return f"{whole}{dec}{cents % 100:02d}"

    styles = [
        lambda c: f"{sym}{grouped(c)}",
        lambda c: f"{currency} {grouped(c)}",
        lambda c: f"{grouped(c, '')} {currency}",
        lambda c: f"{sym} {grouped(c, '')}",
    ]
    if currency == "EUR":  # continental layout: 1.234,50 €
        styles.append(lambda c: f"{grouped(c, '.', ',')} €")
    return rng.choice(styles)
