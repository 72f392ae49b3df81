"""`advisor` command line. Subcommands load lazily so that grading a file never imports torch."""

from __future__ import annotations

import importlib
import os
import sys

import click

from evals.errors import BackendError, InputError
from evals.memory import limit_malloc_arenas

from .output import print_error

RESUME_HINT = "Interrupted; run the same command again to resume (finished rows are kept)."
INTERNAL_ERROR = 70
"""Exit status of an unexpected exception (EX_SOFTWARE): not 1, which CI reads as 'targets missed'."""

COMMANDS = {
    "run": "advisor.cli.run:run",
    "validate": "advisor.cli.validate:validate",
    "schema": "advisor.cli.validate:schema",
    "data": "advisor.cli.data:data",
    "eval": "advisor.cli.eval:eval_cmd",
    "plan": "advisor.cli.plan:plan",
    "serve": "advisor.cli.serve:serve",
    "gate": "advisor.cli.gate:gate",
    "report": "advisor.cli.gate:report",
    "compare": "advisor.cli.compare:compare",
    "view": "advisor.cli.view:view",
    "export": "advisor.cli.export:export",
    "retrieve": "advisor.cli.retrieve:retrieve",
    "train": "advisor.cli.train:train",
    "wizard": "advisor.cli.wizard:wizard",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.lazy)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = self.lazy.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("advisor."):
                return None  # a command not built yet
            raise

    lazy: dict[str, str] = COMMANDS


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.version_option(package_name="advisor")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Prompt, RAG or fine-tune? Measure each on your eval set and get a recommendation.

    Run without a command to open the interactive wizard.
    """
    if ctx.invoked_subcommand is None:
        wizard = cli.get_command(ctx, "wizard")
        if wizard is None:
            click.echo(ctx.get_help())
            return
        ctx.invoke(wizard)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user mistakes exit 2 and backend failures exit 3, without a traceback."""
    limit_malloc_arenas()  # before any worker thread allocates: glibc fixes the cap once
    try:
        cli.main(args=argv, standalone_mode=False)
    except click.exceptions.Abort as exc:  # click turns Ctrl+C into Abort; say how to resume, not just "Aborted."
        interrupted = isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt)
        click.echo(RESUME_HINT if interrupted else "Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except InputError as exc:
        print_error(exc.title, [str(p) for p in exc.problems])
        sys.exit(InputError.exit_code)
    except BackendError as exc:
        print_error("Backend failure", [str(exc)])
        sys.exit(BackendError.exit_code)
    except KeyboardInterrupt:
        click.echo(RESUME_HINT, err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug: one line for the user, the traceback only when asked for
        if os.environ.get("ADVISOR_DEBUG"):
            raise
        print_error(
            "Internal error (a bug in advisor)",
            [f"{type(exc).__name__}: {exc}", "set ADVISOR_DEBUG=1 to see the traceback, and please report it"],
        )
        sys.exit(INTERNAL_ERROR)
    sys.exit(0)
