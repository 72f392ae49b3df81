"""Running the `advisor` command line in-process, as the tests of its commands do."""

from __future__ import annotations

import pytest

from advisor.cli import main


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    """`advisor ARGS`: its exit status, stdout and stderr."""
    with pytest.raises(SystemExit) as exit_:
        main(args)
    out, err = capsys.readouterr()
    return exit_.value.code, out, err
