"""Text normalization shared by leakage checks, few-shot selection and graders."""

from __future__ import annotations

import re
import string

_PUNCT = str.maketrans("", "", string.punctuation)


def normalize_text(text: str) -> str:
    """Lowercase, drop punctuation, collapse whitespace: two inputs that differ only so are the same."""
    return " ".join(text.lower().translate(_PUNCT).split())


def normalize_answer(text: str) -> str:
    """SQuAD-style answer normalization: normalize_text without the articles a/an/the."""
    return re.sub(r"\b(a|an|the)\b", " ", normalize_text(text)).strip().replace("  ", " ")
