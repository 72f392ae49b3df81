"""Shared pieces of the scenario data generators: seeded variation, de-duplication, writing."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path

_PUNCT = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")
# Words that keep their spelling under typo injection: short words and our codes carry the meaning.
_KEEP = re.compile(r"^(\W*)([A-Za-z]{4,})(\W*)$")


def normalize(text: str) -> str:
    """Lower case, punctuation dropped, whitespace collapsed: the key for duplicate checks."""
    return _SPACE.sub(" ", _PUNCT.sub(" ", text.lower())).strip()


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip: swap two neighbours, drop a letter or double one."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def add_typos(text: str, rng: random.Random, rate: float, *, spare_capitals: bool = False) -> str:
    """Misspell about `rate` of the longer lowercase words (capitalized names too unless spared)."""
    words = text.split(" ")
    for n, token in enumerate(words):
        match = _KEEP.match(token)
        if not match or rng.random() >= rate:
            continue
        lead, word, tail = match.groups()
        if spare_capitals and word[0].isupper():
            continue
        words[n] = lead + typo(word, rng) + tail
    return " ".join(words)


def join_parts(*parts: str) -> str:
    """Join non-empty sentence parts with single spaces (newline parts keep their breaks)."""
    text = " ".join(p.strip(" ") for p in parts if p and p.strip())
    return re.sub(r" *\n *", "\n", text)


def casual(text: str, rng: random.Random) -> str:
    """Sometimes write like a phone user: all lower case, or without the final full stop."""
    roll = rng.random()
    if roll < 0.12:
        return text.lower()
    if roll < 0.22:
        return text.rstrip(".!")
    return text


def unique(make: Callable[[random.Random], dict], n: int, rng: random.Random, seen: set[str]) -> list[dict]:
    """Call `make` until it has returned `n` rows whose user text is new to `seen`."""
    rows: list[dict] = []
    for _ in range(n * 200):
        row = make(rng)
        key = normalize(row["user"])
        if key in seen:
            continue
        seen.add(key)
        rows.append(row)
        if len(rows) == n:
            return rows
    raise RuntimeError(f"only {len(rows)} distinct messages out of {n}: add more variety")


def chat(id_: str, system: str, user: str, assistant: str, meta: dict | None = None) -> dict:
    """One chat-JSONL record."""
    record = {
        "id": id_,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
            {"role": "assistant", "content": assistant},
        ],
    }
    if meta:
        record["meta"] = meta
    return record


def write_jsonl(path: Path, records: list[dict]) -> None:
    """Write one JSON object a line, UTF-8, LF endings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def write_text(path: Path, text: str) -> None:
    """Write a text file, UTF-8, LF endings, one trailing newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8", newline="\n")
