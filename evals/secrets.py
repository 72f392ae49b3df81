"""API keys this process holds, so that every string it writes can be scrubbed of them.

Backends register a key when they read it; the writers (atomic files, the journal, the cache) pass
their text through `redact` as a last line of defence behind the backends' own redaction.
"""

from __future__ import annotations

MASK = "***"
_SECRETS: set[str] = set()
MIN_LENGTH = 8
"""Shorter values are not treated as secrets: masking them would mangle ordinary text."""


def register_secret(value: str | None) -> None:
    """Remember a key; strings written from now on have it masked."""
    if value and len(value) >= MIN_LENGTH:
        _SECRETS.add(value)


def redact(text: str) -> str:
    """The text with every registered key replaced by `***` (longest first, so no key leaves a tail)."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text
