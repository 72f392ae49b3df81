"""`advisor data ...`: validate, convert, split, dedupe and summarize chat JSONL files."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from evals.errors import InputError, Problem

from . import output
from .params import FiniteRange

if TYPE_CHECKING:
    from evals.data import DataStats

FILE = click.Path(dir_okay=False)


@click.group()
def data() -> None:
    """Work with chat JSONL data sets."""


@data.command("validate")
@click.argument("files", nargs=-1, required=True, type=FILE)
@click.option(
    "--against",
    type=FILE,
    help="Train or few-shot pool file: report eval examples whose user text it also holds, "
    "exactly or nearly (character similarity of 90 or more out of 100).",
)
@click.option("--model", help="Count tokens with this local model's tokenizer (e.g. smollm2-135m) and flag examples over its context.")
@click.option("--max-tokens", type=click.IntRange(min=1), help="Context limit in tokens (default: the model's).")
def validate_cmd(files: tuple[str, ...], against: str | None, model: str | None, max_tokens: int | None) -> None:
    """Check chat JSONL files; report every problem at once (exit 2 when there are any)."""
    from evals.data import find_leaks, find_near_duplicates, leak_problems, near_duplicate_problems, read_jsonl

    if max_tokens and not model:
        raise click.UsageError("--max-tokens needs --model: tokens are counted with that model's tokenizer")
    tokenizer, context = _tokenizer(model)
    limit = max_tokens or context
    pool, problems = read_jsonl(against, tokenizer=tokenizer, max_tokens=limit) if against else ([], [])
    counts = []
    for path in files:
        examples, found = read_jsonl(path, tokenizer=tokenizer, max_tokens=limit)
        problems += found + (leak_problems(find_leaks(examples, pool), path, against) if against else [])
        problems += near_duplicate_problems(find_near_duplicates(examples, pool), path, against) if against else []
        counts.append(f"{path}: {len(examples)} examples")
    if problems:
        raise InputError(problems, title="Invalid data")
    for line in counts:
        output.console.print(f"[green]✓[/] {line}" + (f", no overlap with {against}" if against else ""))


@data.command()
@click.argument("src", type=FILE)
@click.argument("dst", type=FILE)
@click.option("--from", "fmt", type=click.Choice(["csv", "prompt-completion", "alpaca"]), help="Input format (default: detected).")
@click.option("--input-col", help="CSV column with the user's input.")
@click.option("--output-col", help="CSV column with the expected answer.")
@click.option("--system", help="System message added to every example.")
@click.option("--system-col", help="Column with a per-row system message.")
@click.option("--id-col", help="Column with a unique id per row.")
@click.option("--force", is_flag=True, help="Overwrite DST if it exists.")
def convert(
    src: str,
    dst: str,
    fmt: str | None,
    input_col: str | None,
    output_col: str | None,
    system: str | None,
    system_col: str | None,
    id_col: str | None,
    force: bool,
) -> None:
    """Convert CSV, prompt/completion JSONL or Alpaca JSON(L) to chat JSONL."""
    from evals.data import Columns
    from evals.data import convert as convert_file

    columns = Columns(input=input_col, output=output_col, system=system, system_col=system_col, id=id_col)
    examples = convert_file(src, dst, fmt=fmt, columns=columns, force=force)
    output.console.print(f"[green]✓[/] wrote {len(examples)} examples to {dst}; check them with `advisor data validate {dst}`")


@data.command("split")
@click.argument("file", type=FILE)
@click.option(
    "--eval-fraction",
    type=FiniteRange(0, 1, min_open=True, max_open=True),
    default=0.2,
    show_default=True,
    help="Share of examples held out for eval.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="The same seed gives byte-identical files.")
@click.option("--train-out", required=True, type=FILE, help="Where the train part goes.")
@click.option("--eval-out", required=True, type=FILE, help="Where the eval part goes.")
@click.option(
    "--stratify/--no-stratify",
    default=None,
    help="Keep label shares equal in both parts (default: when the set looks like classification).",
)
@click.option("--force", is_flag=True, help="Overwrite the outputs if they exist.")
def split_cmd(file: str, eval_fraction: float, seed: int, train_out: str, eval_out: str, stratify: bool | None, force: bool) -> None:
    """Split a chat JSONL file into train and eval with a seed."""
    from evals.data import check_writable, load_jsonl, looks_like_classification, split, write_jsonl

    check_writable(train_out, eval_out, force=force)
    examples = load_jsonl(file)
    stratify = looks_like_classification(examples) if stratify is None else stratify
    train, held_out = split(examples, eval_fraction, seed, stratify_by_label=stratify)
    write_jsonl(train, train_out, force=force)
    write_jsonl(held_out, eval_out, force=force)
    how = "stratified by label" if stratify else "not stratified"
    output.console.print(f"[green]✓[/] {len(train)} train -> {train_out}, {len(held_out)} eval -> {eval_out} (seed {seed}, {how})")


@data.command("dedupe")
@click.argument("file", type=FILE)
@click.option("--out", required=True, type=FILE, help="Where the examples that are kept go (never the input file).")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def dedupe_cmd(file: str, out: str, force: bool) -> None:
    """Drop exact and near-duplicate examples (similarity of 90 or more out of 100), keeping the first of each group."""
    from evals.data import dedupe

    kept, dropped = dedupe(file, out, force=force)
    for duplicate in dropped:
        output.console.print(f"  {duplicate}", markup=False, highlight=False, soft_wrap=True)
    exact = sum(d.exact for d in dropped)
    summary = f"dropped {len(dropped)} lines of {file} ({exact} exact, {len(dropped) - exact} near)" if dropped else "no duplicates"
    wrote = f"wrote {len(kept)} examples to {out}; check them with `advisor data validate {out}`"
    output.console.print(f"[green]✓[/] {summary}; {wrote}", soft_wrap=True)


@data.command()
@click.argument("file", type=FILE)
@click.option("--epochs", type=FiniteRange(min=0, min_open=True), default=2, show_default=True, help="Fine-tune passes over the set.")
@click.option("--price-per-1m", type=FiniteRange(min=0), default=0.0, show_default=True, help="USD per million training tokens.")
@click.option("--model", help="Count tokens with this local model's tokenizer instead of estimating.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def stats(file: str, epochs: float, price_per_1m: float, model: str | None, as_json: bool) -> None:
    """Counts, label distribution, tokens and the fine-tune cost of a chat JSONL file."""
    from evals.data import dataset_stats, load_jsonl

    tokenizer, _ = _tokenizer(model)
    figures = dataset_stats(load_jsonl(file), tokenizer=tokenizer, epochs=epochs, price_per_1m=price_per_1m)
    if as_json:
        click.echo(json.dumps({"file": file, **figures.to_dict()}, indent=2, ensure_ascii=False))
        return
    output.console.print(_stats_table(file, figures))
    if figures.tokens_estimated:
        output.console.print(f"≈ token counts are an {figures.token_note}; pass --model for exact counts")
    if figures.labels:
        output.console.print(_labels_table(figures.labels))


def _stats_table(file: str, figures: DataStats) -> Table:
    approx = "≈ " if figures.tokens_estimated else ""
    table = Table(title=file, show_header=False, title_justify="left")
    table.add_row("examples", str(figures.examples))
    table.add_row("with a system message", str(figures.with_system))
    table.add_row("messages per example", f"{figures.mean_turns:.1f}")
    table.add_row("tokens (total / mean / max)", f"{approx}{figures.tokens_total:,} / {figures.tokens_mean:,.0f} / {figures.tokens_max:,}")
    table.add_row(f"fine-tune tokens ({figures.epochs:g} epochs)", f"{approx}{figures.finetune_tokens:,.0f}")
    table.add_row(f"fine-tune cost at ${figures.price_per_1m:g} / 1M", f"{approx}${figures.finetune_cost:,.2f}")
    return table


def _labels_table(labels: dict[str, int]) -> Table:
    total = sum(labels.values())
    table = Table("label", "count", "share", title="labels (final assistant turn)", title_justify="left")
    for label, count in labels.items():
        table.add_row(label, str(count), f"{count / total:.0%}")
    return table


def _tokenizer(model: str | None) -> tuple[Any, int | None]:
    if model is None:
        return None, None
    from evals.data import load_tokenizer

    try:
        return load_tokenizer(model)
    except OSError as exc:  # transformers' "not found" when a folder holds no tokenizer
        raise InputError(
            Problem(f"cannot load the tokenizer of '{model}': {exc}", fix="pass a local model folder or smollm2-135m", field="--model")
        ) from None
