"""Reading a user's text file: one place that turns unreadable bytes and paths into located problems."""

from __future__ import annotations

import codecs
from pathlib import Path

from ..errors import InputError, Problem

_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))
WIDE_BOMS = tuple(bom for bom, _ in _BOMS)
"""Byte-order marks of the UTF-16 and UTF-32 encodings."""


def read_text(path: str | Path, *, field: str | None = None) -> str:
    """The file's UTF-8 text (a UTF-8 BOM dropped); InputError naming the file and its encoding otherwise."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            Problem(f"cannot read the file: {exc.strerror or exc}", fix="check the path and its permissions", file=path, field=field)
        ) from None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InputError(
            Problem(
                f"not UTF-8 text: {encoding_of(data)} (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                fix="save the file as UTF-8",
                file=path,
                line=data[: exc.start].count(b"\n") + 1,
                field=field,
            )
        ) from None


def encoding_of(data: bytes) -> str:
    """A guess at what undecodable bytes are, worded for the error message."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return f"it is {name} (it starts with a {name} byte-order mark)"
    if b"\x00" in data[:4096]:
        return "it looks binary or UTF-16 (it holds NUL bytes)"
    return "it looks like another 8-bit encoding, such as Latin-1 or Windows-1252"
