"""`advisor eval`: grade one model on one eval set, without the ladder (like lm-eval or promptfoo)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from evals.errors import InputError, Problem
from evals.kinds import MODEL_FREE_GRADER_KINDS

from . import output
from .params import FiniteRange

if TYPE_CHECKING:
    import pandas as pd

    from evals.backends import GenerationParams
    from evals.example import Example
    from evals.graders import Grader
    from evals.runner import ProgressEvent, Runner
    from evals.strategies import FewShot, Prompt, ZeroShot

GRADERS = MODEL_FREE_GRADER_KINDS


@click.command("eval")
@click.argument("eval_path", metavar="EVAL_JSONL", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--model", default="local:smollm2-135m", show_default=True, help="Backend spec, e.g. openai:http://127.0.0.1:8000/v1#name.")
@click.option("--grader", "kind", type=click.Choice(GRADERS), default="normalized", show_default=True)
@click.option("--labels", help="label grader: comma-separated labels (default: every expected answer).")
@click.option("--schema", type=click.Path(dir_okay=False, path_type=Path), help="json grader: a JSON Schema file.")
@click.option("--pattern", help="regex grader: the pattern an output must match.")
@click.option("--system-prompt", help="Replace the data's own system message.")
@click.option("--train", type=click.Path(dir_okay=False, path_type=Path), help="Few-shot pool (chat JSONL); with --shots.")
@click.option(
    "--shots", type=click.IntRange(min=0), default=0, show_default=True, help="Train examples in each prompt (most similar by BM25)."
)
@click.option("--max-tokens", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--stop", multiple=True, help="A string that ends an answer (repeatable).")
@click.option("--limit", type=click.IntRange(min=1), help="Grade only the first N examples.")
@click.option(
    "--repeat", type=click.IntRange(min=1), default=1, show_default=True, help="Independent samples per example (bypasses the cache)."
)
@click.option("--temperature", type=FiniteRange(min=0), default=0.0, show_default=True)
@click.option("--concurrency", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--no-cache", is_flag=True, help="Ask the backend again instead of reusing cached answers.")
@click.option("--confidence", type=FiniteRange(0.5, 0.999), default=0.95, show_default=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for results.json, samples.jsonl and the journal (default: runs/eval-NAME).",
)
@click.option(
    "--max-error-rate", type=FiniteRange(0, 1), default=0.1, show_default=True, help="Exit 3 when more calls than this fail after retries."
)
@click.option(
    "--export-lm-eval",
    "export_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Instead of grading: write the set and its grader as an lm-eval task into this folder.",
)
@click.option("--timeout", type=FiniteRange(min=0, min_open=True), default=None, help="Seconds per request (openai models; default 60).")
@click.option(
    "--api-key-env",
    default=None,
    metavar="VAR",
    help="Send the key in $VAR to the model's server (without it only api.openai.com gets $OPENAI_API_KEY).",
)
def eval_cmd(
    eval_path: Path,
    model: str,
    kind: str,
    labels: str | None,
    schema: Path | None,
    pattern: str | None,
    system_prompt: str | None,
    train: Path | None,
    shots: int,
    max_tokens: int,
    stop: tuple[str, ...],
    limit: int | None,
    repeat: int,
    temperature: float,
    concurrency: int,
    no_cache: bool,
    confidence: float,
    out_dir: Path | None,
    max_error_rate: float,
    export_dir: Path | None,
    timeout: float | None,
    api_key_env: str | None,
) -> None:
    """Grade MODEL on EVAL_JSONL: metrics with confidence intervals, latency, tokens; rerun to resume.

    Exit status: 0 done, 2 bad input, 3 too many backend failures.
    """
    from advisor.run.lock import run_lock
    from advisor.scenario.schema import ModelOptions
    from advisor.scenario.workspace import open_backend
    from evals.backends import GenerationParams
    from evals.runner import Cache, Journal, Runner, check_error_budget

    examples, label_list, grader = _graded_set(eval_path, limit, kind, labels, schema, pattern)
    if export_dir is not None:
        task_params = GenerationParams(max_tokens=max_tokens, stop=stop)
        _export(examples, eval_path, kind, label_list, schema, pattern, task_params, export_dir, system_prompt is not None or shots > 0)
        return
    strategy = _strategy(system_prompt, train, shots)
    out_dir = out_dir or Path("runs") / f"eval-{eval_path.stem}"
    params = GenerationParams(max_tokens=max_tokens, temperature=temperature, stop=stop, seed=0 if temperature else None)
    with run_lock(out_dir):
        backend = open_backend(model, ModelOptions(api_key_env=api_key_env), concurrency=concurrency, timeout=timeout)
        runner = Runner(
            backend,
            grader,
            params=params,
            concurrency=concurrency,
            cache=Cache.open_default() if not no_cache and repeat == 1 else None,
            journal=Journal.in_folder(out_dir),
            repeat=repeat,
        )
        prompts = {ex.key: strategy(ex) for ex in examples}
        rows = _run(runner, [(ex, prompts[ex.key].messages) for ex in examples])
        results = _results(rows, kind, label_list, confidence, model, eval_path)
        _write(out_dir, rows, prompts, results)
    _print(results, out_dir)
    check_error_budget(rows, max_error_rate)
    sys.exit(0)


def _graded_set(
    eval_path: Path, limit: int | None, kind: str, labels: str | None, schema: Path | None, pattern: str | None
) -> tuple[list[Example], list[str] | None, Grader]:
    """The eval examples (the first `limit`), the labels and the grader; answers the grader cannot use are refused at once."""
    from evals.data import load_jsonl
    from evals.graders import check_answers, make_grader

    examples = load_jsonl(eval_path)[:limit] if limit else load_jsonl(eval_path)
    label_list = [v.strip() for v in labels.split(",")] if labels else None
    if kind == "label" and label_list is None:
        label_list = sorted({a.strip() for ex in examples for a in ex.answers})
    grader = make_grader(kind, labels=label_list, schema=schema, pattern=pattern)
    problems = [replace(p, file=eval_path) for p in check_answers(kind, examples, labels=label_list)]
    if problems:
        raise InputError(problems, title=f"Answers in {eval_path} that the {kind} grader cannot use")
    return examples, label_list, grader


def _run(runner: Runner, items: list[tuple[Example, list[dict]]]) -> pd.DataFrame:
    """Every item (times the runner's repeats) through the runner, with a progress bar on standard error."""
    with _bar(len(items) * runner.repeat) as tick:
        runner.progress = tick
        return runner.run_sync(items, rung="eval")


def _write(out_dir: Path, rows: pd.DataFrame, prompts: dict[str, Prompt], results: dict) -> None:
    """samples.jsonl (each row with the prompt it was asked) and results.json."""
    from advisor.record import samples
    from evals.data import write_atomic, write_json

    item_samples = [samples.from_row(row, prompts[row["id"]].messages, prompts[row["id"]].context) for row in rows.to_dict("records")]
    write_atomic(out_dir / "samples.jsonl", samples.dumps(item_samples))
    write_json(out_dir / "results.json", results, indent=2)


def _export(
    examples: list[Example],
    eval_path: Path,
    kind: str,
    labels: list[str] | None,
    schema: Path | None,
    pattern: str | None,
    params: GenerationParams,
    folder: Path,
    changes_prompt: bool,
) -> None:
    """The eval set as it is, with its grader, as an lm-eval generation task; prints how to run it."""
    import re

    from evals.lmeval import export_task, grading_of

    if changes_prompt:
        raise click.UsageError("--export-lm-eval takes the eval set as it is; drop --system-prompt and --shots")
    name = re.sub(r"[^A-Za-z0-9_]+", "_", eval_path.stem).strip("_") or "eval"
    path = export_task(examples, name, grading_of(kind, labels=labels, schema=schema, pattern=pattern), folder, params)
    output.console.print(f"Wrote {path} (task '{name}', {len(examples)} documents). Run it with:", soft_wrap=True)
    output.console.print(
        f"  lm_eval --model hf --model_args pretrained=MODEL --include_path {path.parent} --tasks {name} --apply_chat_template",
        soft_wrap=True,
    )


def _strategy(system_prompt: str | None, train: Path | None, shots: int) -> FewShot | ZeroShot:
    from evals.data import load_jsonl
    from evals.strategies import FewShot, ZeroShot

    if shots:
        if train is None:
            raise InputError(Problem("--shots needs a pool to draw examples from", fix="add --train TRAIN.jsonl", field="--shots"))
        return FewShot(load_jsonl(train), k=shots, system_prompt=system_prompt)
    return ZeroShot(system_prompt)


def _results(rows: pd.DataFrame, kind: str, labels: list[str] | None, confidence: float, model: str, eval_path: Path) -> dict:
    from evals.graders import Score, summarize
    from evals.runner import repeat_summary
    from evals.stats import latency_summary

    first = rows[rows["repeat"] == 0]
    scores = [Score(float(r.score), bool(r.format_valid), r.details if isinstance(r.details, dict) else {}) for r in first.itertuples()]
    metrics = summarize(kind, scores, confidence=confidence, labels=labels, expected_labels=list(first["expected"]) if labels else None)
    ok = first[first["error"].isna()]
    return {
        "model": model,
        "eval": str(eval_path),
        "grader": kind,
        "n": len(first),
        "confidence": confidence,
        "metrics": {name: interval.as_dict() for name, interval in metrics.items()},
        "latency_ms": latency_summary(list(ok["latency_s"])) if len(ok) else {},
        "tokens_per_call": {"input": float(first["input_tokens"].mean()), "output": float(first["output_tokens"].mean())},
        "errors": int(first["error"].notna().sum()),
        "repeat": repeat_summary(rows) if rows["repeat"].max() > 0 else None,
    }


def _print(results: dict, out_dir: Path) -> None:
    from rich.table import Table

    table = Table(
        title=f"{results['model']} on {results['eval']} (n={results['n']}, {results['confidence']:.0%} intervals)", title_justify="left"
    )
    for column in ("metric", "value", "interval"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name, m in results["metrics"].items():
        table.add_row(name, f"{m['value']:.3f}", f"[{m['lower']:.3f}, {m['upper']:.3f}]")
    latency, tokens = results["latency_ms"], results["tokens_per_call"]
    if latency:
        table.add_row("latency p50 / p95 ms", f"{latency['p50']:.0f} / {latency['p95']:.0f}", "")
    table.add_row("tokens in / out per call", f"{tokens['input']:.0f} / {tokens['output']:.0f}", "")
    if results["errors"]:
        table.add_row("[red]failed calls", str(results["errors"]), "")
    if results["repeat"]:
        r = results["repeat"]
        table.add_row(f"pass^{r['repeats']} / agreement", f"{r['pass_all']:.3f} / {r['agreement']:.3f}", "")
    output.console.print(table)
    output.console.print(f"Wrote {out_dir / 'results.json'} and {out_dir / 'samples.jsonl'}")


class _bar:
    """A rich progress bar fed by the runner's progress events."""

    def __init__(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.progress = Progress(
            "[bold]eval",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=output.err_console,
            disable=not output.err_console.is_terminal,
        )
        self.task = self.progress.add_task("eval", total=total)

    def __enter__(self) -> Callable[[ProgressEvent], None]:
        self.progress.start()
        return lambda event: self.progress.update(self.task, completed=event.done)

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()
