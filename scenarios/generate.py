"""Write the data of the shipped scenarios: train/eval chat JSONL and the knowledge bases of the RAG ones.

Deterministic: the same seeds give byte-identical files, so `python scenarios/generate.py` rewrites
exactly what is committed, and `--out DIR` writes a copy elsewhere to compare.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the generator parts sit next to this script

import _catalogue_assistant  # noqa: E402
import _invoice_extraction  # noqa: E402
import _product_faq  # noqa: E402
import _support_intents  # noqa: E402
from _common import write_jsonl, write_text  # noqa: E402

Knowledge = dict[str, dict[str, str | list[dict]]]
"""Folder name (kb, kb_v2) -> file name -> text, or JSONL records."""


class Builder(NamedTuple):
    build: Callable[[random.Random], dict[str, list[dict]]]
    """Seeded data: split name -> chat records, each written to <split>.jsonl."""
    seed: int
    knowledge: Callable[[], Knowledge] | None = None
    """The knowledge folders, for a scenario with a RAG rung."""


# One fixed seed per scenario, so editing one generator leaves the others' files untouched.
BUILDERS = {
    "support-intents": Builder(_support_intents.build, 1101),
    "invoice-extraction": Builder(_invoice_extraction.build, 2202),
    "product-faq": Builder(_product_faq.build, 3303, lambda: {"kb": _product_faq.knowledge()}),
    "catalogue-assistant": Builder(_catalogue_assistant.build, 4404, _catalogue_assistant.knowledge),
}


def write_scenario(name: str, out: Path) -> list[Path]:
    """Generate one scenario's data files under out/name and return their paths."""
    builder = BUILDERS[name]
    folder = out / name
    written = []
    for split, records in builder.build(random.Random(builder.seed)).items():
        path = folder / f"{split}.jsonl"
        write_jsonl(path, records)
        written.append(path)
    for kb, files in (builder.knowledge() if builder.knowledge else {}).items():
        written += write_knowledge(folder / kb, files)
    return written


def write_knowledge(kb: Path, files: dict[str, str | list[dict]]) -> list[Path]:
    """Write the knowledge documents, replacing stale ones."""
    for old in kb.glob("*") if kb.is_dir() else []:
        old.unlink()
    written = []
    for filename, content in files.items():
        path = kb / filename
        if isinstance(content, list):
            write_jsonl(path, content)
        else:
            write_text(path, content)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into (default: the scenarios folder)")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"scenarios to write (default: all of {', '.join(BUILDERS)})")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(BUILDERS))
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(BUILDERS)}")
    for name in args.names or list(BUILDERS):
        for path in write_scenario(name, args.out):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
