"""Run a small eval against an OpenAI-compatible server with a journal and no cache, then write rows.pkl.

python -m fakes.journal_run --base-url URL --run-dir DIR [--items 16] [--concurrency 2]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from evals.backends import get_backend
from evals.runner import Journal, Runner

from .graders import exact_match
from .items import make_items


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--run-dir", required=True, type=Path)
    parser.add_argument("--items", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    backend = get_backend(f"openai:{args.base_url}#fake-model", backoff_s=0.01)
    with Journal.in_folder(args.run_dir) as journal:
        runner = Runner(backend, exact_match, concurrency=args.concurrency, cache=None, journal=journal)
        rows = runner.run_sync(make_items(args.items), "zero_shot")
    rows.to_pickle(args.run_dir / "rows.pkl")  # exact dtypes, for comparing runs


if __name__ == "__main__":
    main()
