"""invoice-extraction: pasted invoices, order mails and notes turned into one JSON object."""

from __future__ import annotations

import datetime as dt
import json
import random

from _common import chat, unique
from _invoice_parts import STREETS, Invoice, date_style, make_invoice, money_style

SYSTEM = (
    "You extract invoice data. Reply with one JSON object and nothing else, with exactly these keys: "
    '"vendor" (the company that issued the invoice, as written), "invoice_number" (as written, without "#"), '
    '"date" (the invoice date as YYYY-MM-DD, not the due date), "total" (the final amount to pay, a number '
    'without currency sign or thousands separator), "currency" ("EUR", "USD" or "GBP").'
)

INTROS = [
    "",
    "",
    "Extract the invoice fields:",
    "Here's an invoice:",
    "Can you pull the details out of this?",
    "Parse this please:",
    "From our inbox:",
    "Invoice text below.",
    "new one for the books:",
    "Please log this invoice.",
    "Copied from the PDF:",
    "What are the fields here?",
]


def _items(inv: Invoice, money, rng: random.Random) -> list[str]:
    style = rng.choice(("{q} x {d} @ {u} = {t}", "{d} ({q}) .... {t}", "- {d}: {t}", "{d} | {q} | {t}"))
    return [style.format(q=q, d=d, u=money(c), t=money(q * c)) for d, q, c in inv.lines]


def _tax_name(inv: Invoice) -> str:
    return f"{'Sales tax' if inv.currency == 'USD' else 'VAT'} {inv.tax_rate * 100:g}%"


def _due(inv: Invoice, date) -> str:
    return date(inv.date + dt.timedelta(days=inv.due_days))


def formal(inv: Invoice, date, money, rng: random.Random) -> str:
    head = [inv.vendor, rng.choice(STREETS), "", rng.choice(("INVOICE", "Invoice", "TAX INVOICE"))]
    head.append(f"{rng.choice(('Invoice #:', 'Invoice No.', 'Invoice number:', 'Inv#'))} {inv.number}")
    head.append(f"{rng.choice(('Date:', 'Invoice date:', 'Issued:', 'Date of issue:'))} {date(inv.date)}")
    if rng.random() < 0.5:
        head.append(f"{rng.choice(('Due date:', 'Payment due:', 'Pay by:'))} {_due(inv, date)}")
    if rng.random() < 0.3:
        head.append(f"PO number: {rng.randrange(1000, 9999)}")
    body = [f"Bill to: {inv.client}", "", *_items(inv, money, rng), "", f"Subtotal: {money(inv.subtotal)}"]
    if inv.tax:
        body.append(f"{_tax_name(inv)}: {money(inv.tax)}")
    body.append(f"{rng.choice(('Total:', 'Total due:', 'Amount due:', 'TOTAL', 'Balance due:'))} {money(inv.total)}")
    return "\n".join(head + body)


def email(inv: Invoice, date, money, rng: random.Random) -> str:
    first = inv.client.split()[0]
    due = f", payable by {_due(inv, date)}" if rng.random() < 0.4 else ""
    body = rng.choice(
        (
            f"please find attached our invoice {inv.number} dated {date(inv.date)}. The total comes to {money(inv.total)}{due}.",
            f"attached is invoice no. {inv.number} from {date(inv.date)} for {money(inv.total)}{due}. Thanks for your business!",
            f"as agreed, here is the invoice for last month's work: number {inv.number}, issued {date(inv.date)}, "
            f"amount {money(inv.total)} incl. VAT{due}.",
        )
    )
    return (
        f"Subject: Invoice {inv.number} from {inv.vendor}\n\nHi {first} team,\n\n{body}\n\n"
        f"{rng.choice(('Kind regards', 'Best', 'Cheers', 'Many thanks'))},\n{inv.person}\n{inv.vendor}"
    )


def sentence(inv: Invoice, date, money, rng: random.Random) -> str:
    return rng.choice(
        (
            f"{inv.vendor} invoice {inv.number}, issued {date(inv.date)}, total {money(inv.total)}.",
            f"Got a bill from {inv.vendor} (ref {inv.number}) dated {date(inv.date)} for {money(inv.total)}.",
            f"can you log this? {inv.vendor} sent invoice no. {inv.number} on {date(inv.date)}, {money(inv.total)} incl. tax",
            f"We owe {inv.vendor} {money(inv.total)} on invoice {inv.number} from {date(inv.date)}; subtotal was {money(inv.subtotal)}.",
        )
    )


def keyvalue(inv: Invoice, date, money, rng: random.Random) -> str:
    keys = rng.choice(
        (("vendor", "invoice", "date", "amount"), ("Supplier", "Inv no", "Issued", "Total"), ("from", "number", "dated", "grand total"))
    )
    sep = rng.choice((" | ", "; ", "\n"))
    values = (inv.vendor, inv.number, date(inv.date), money(inv.total))
    return sep.join(f"{k}: {v}" for k, v in zip(keys, values))


def order(inv: Invoice, date, money, rng: random.Random) -> str:
    lines = [
        f"Thank you for your order at {inv.vendor}!",
        f"Order / invoice number: {inv.number}",
        f"Order date: {date(inv.date)}",
        "",
        *_items(inv, money, rng),
    ]
    if rng.random() < 0.4:
        lines.append(rng.choice(("Shipping: free", "Delivery: included")))
    if inv.tax:
        lines.append(f"{_tax_name(inv)}: {money(inv.tax)}")
    return "\n".join([*lines, f"Order total: {money(inv.total)}", f"Ship to: {inv.person}, {inv.client}"])


def receipt(inv: Invoice, date, money, rng: random.Random) -> str:
    rows = [f"{d} | {q} | {money(q * c)}" for d, q, c in inv.lines]
    return "\n".join(
        [
            f"{inv.vendor} - Receipt {inv.number}",
            f"Date {date(inv.date)}",
            "Item | Qty | Amount",
            *rows,
            *([f"{_tax_name(inv)} | | {money(inv.tax)}"] if inv.tax else []),
            f"TOTAL | | {money(inv.total)}",
            rng.choice(("Paid by card", "Thank you!", "Keep this receipt")),
        ]
    )


LAYOUTS = {"formal": formal, "email": email, "sentence": sentence, "keyvalue": keyvalue, "order": order, "receipt": receipt}


def _make(rng: random.Random) -> dict:
    inv = make_invoice(rng)
    layout = rng.choice(sorted(LAYOUTS))
    text = LAYOUTS[layout](inv, date_style(rng), money_style(rng, inv.currency), rng)
    intro = rng.choice(INTROS)
    user = f"{intro}\n\n{text}" if intro else text
    return {"user": user, "answer": json.dumps(inv.answer(), ensure_ascii=False), "layout": layout}


def build(rng: random.Random, n_train: int = 200, n_eval: int = 100) -> dict[str, list[dict]]:
    """Train and eval sets of pasted invoices; eval is drawn first and train never repeats its texts."""
    seen: set[str] = set()
    out = {}
    for split, n in (("eval", n_eval), ("train", n_train)):
        rows = unique(_make, n, rng, seen)
        out[split] = [chat(f"inv-{split}-{i:04d}", SYSTEM, r["user"], r["answer"], {"layout": r["layout"]}) for i, r in enumerate(rows, 1)]
    return out
