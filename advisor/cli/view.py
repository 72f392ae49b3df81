"""`advisor view RUN`: open a run's report.html, with its per-item review, in the user's browser."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--no-browser", is_flag=True, help="Only (re)write report.html and print its path.")
def view(run: Path, no_browser: bool) -> None:
    """Open report.html of RUN (a run folder or its run.json) in the browser; it works from file://, no server.

    The page is rendered again from run.json and samples/ when it is missing or older than they are.
    """
    import webbrowser

    from advisor.record.run import load_record
    from advisor.record.samples import FOLDER, run_folder

    from ..reports import render, write_atomic

    folder = run_folder(run)
    record = load_record(folder / "run.json")
    page = folder / "report.html"
    sources = [folder / "run.json", *(folder / FOLDER).glob("*.jsonl")]
    if not page.is_file() or page.stat().st_mtime < max(p.stat().st_mtime for p in sources):
        write_atomic(page, render(record, "html", folder))
    click.echo(str(page.resolve()))
    if not no_browser and not webbrowser.open(page.resolve().as_uri()):
        click.echo("No browser could be started here: open the file above in one.", err=True)
