"""The per-item sample: one eval item answered by one rung. Defined once, used by every reader and writer.

`samples/RUNG.jsonl` in a run folder holds one `Sample` per line. The ladder writes it, `advisor report
--format csv|parquet` exports it, `RunRecord.samples()` loads it as a DataFrame, and `advisor compare` and
the review page read it. Older run folders wrote fewer fields; every field added since has a default, so
they still load.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from advisor.registry import ladder_position
from evals.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd


FOLDER = "samples"


class Retrieved(BaseModel):
    """A retrieved chunk: its id and the retriever's score (None where the retriever gives none)."""

    id: str
    score: float | None = None


class Sample(BaseModel):
    """What went in, what came out and how it was graded, for one item of one rung."""

    model_config = ConfigDict(extra="ignore")

    id: str
    rung: str
    repeat: int = 0
    input: str | None = None
    """The last user turn of the prompt."""
    expected: str = ""
    shots: list[str] | None = None
    """Few-shot: the ids of the train examples shown, in prompt order."""
    retrieved: list[Retrieved] | None = None
    """RAG: the chunks put into the prompt, best first."""
    cited: list[str] | None = None
    """RAG: the chunk ids the answer cites."""
    messages: list[dict] | None = None
    """The whole prompt as sent (role/content dicts)."""
    output: str = ""
    """The raw output of the model."""
    answer: str | None = None
    """The answer the grader read from the output (a label, a match); None when it read none."""
    score: float = 0.0
    format_valid: bool = False
    reason: str | None = None
    """Why the grade is what it is, in a line."""
    latency_s: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached: bool = False
    error: str | None = None

    @property
    def correct(self) -> bool:
        return self.score >= 1.0


COLUMNS = list(Sample.model_fields)


def from_row(row: dict, messages: list[dict] | None, context: dict | None = None) -> Sample:
    """A Sample from one runner row and the prompt it answered (messages, and the context the strategy used:
    shot ids, retrieved chunks, cited ids); a context the runner kept in the row's details counts too."""
    found = row.get("details")
    details: dict = found if isinstance(found, dict) else {}
    kept: dict = details["context"] if isinstance(details.get("context"), dict) else {}
    context = {**kept, **(context or {})}
    row = {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}  # pandas' missing values
    return Sample(
        id=str(row["id"]),
        rung=row["rung"],
        repeat=int(row.get("repeat") or 0),
        input=_last_user(messages),
        expected=str(row.get("expected") or ""),
        shots=_ids(context.get("shots")),
        retrieved=_retrieved(context.get("retrieved")),
        cited=_ids(context.get("cited", details.get("cited"))),
        messages=messages,
        output=str(row.get("output") or ""),
        answer=_answer(details),
        score=float(row["score"]),
        format_valid=bool(row["format_valid"]),
        reason=reason(row, details),
        latency_s=row.get("latency_s"),
        input_tokens=int(row.get("input_tokens") or 0),
        output_tokens=int(row.get("output_tokens") or 0),
        cached=bool(row.get("cached")),
        error=row.get("error"),
    )


def _last_user(messages: list[dict] | None) -> str | None:
    return next((m["content"] for m in reversed(messages or []) if m.get("role") == "user"), None)


def _ids(value: Any) -> list[str] | None:
    return None if value is None else [str(v) for v in value]


def _retrieved(value: Any) -> list[Retrieved] | None:
    """Chunk ids or {"id", "score"} dicts, as a strategy recorded them."""
    if value is None:
        return None
    return [Retrieved(**v) if isinstance(v, dict) else Retrieved(id=str(v)) for v in value]


def _answer(details: dict) -> str | None:
    for key in ("predicted", "matched", "answer"):
        if details.get(key) is not None:
            return str(details[key])
    return None


def reason(row: dict, details: dict) -> str:
    """A line on the grade: the failure, the label read, the schema error, the judge's verdict."""
    if row.get("error"):
        return f"call failed: {row['error']}"
    if details.get("reason"):
        return str(details["reason"])
    if details.get("verdict"):
        return f"judge: {details['verdict']}"
    if details.get("schema_errors"):
        return f"schema: {details['schema_errors'][0]}"
    if not row["format_valid"]:
        return "no valid answer in the output"
    if "predicted" in details:
        return f"read label {details['predicted']!r}" + ("" if row["score"] >= 1 else f", expected {details.get('expected')!r}")
    return "matches the expected answer" if row["score"] >= 1 else "does not match the expected answer"


def dumps(samples: list[Sample]) -> str:
    """JSON lines, one Sample each, empty fields left out."""
    return "".join(s.model_dump_json(exclude_none=True) + "\n" for s in samples)


def write(folder: Path, rung: str, samples: list[Sample]) -> Path:
    """samples/RUNG.jsonl in a run folder."""
    from evals.data import write_atomic

    return write_atomic(Path(folder) / FOLDER / f"{rung}.jsonl", dumps(samples))


def read(path: Path) -> list[Sample]:
    """The Samples of one samples/RUNG.jsonl; a bad line is an InputError naming file and line."""
    from pydantic import ValidationError

    out = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(Sample.model_validate(json.loads(line)))
        except (ValueError, ValidationError) as exc:
            raise InputError(
                Problem(
                    f"not a sample: {str(exc).splitlines()[0]}", file=path, line=number, fix="regenerate the run folder with `advisor run`"
                )
            ) from None
    return out


def run_folder(path: str | Path) -> Path:
    """The run folder of a run.json or of the folder itself."""
    path = Path(path)
    return path.parent if path.suffix == ".json" else path


def load(run: str | Path, rungs: list[str] | None = None) -> list[Sample]:
    """Every Sample of a run folder (or of the run.json in it), rung files in ladder order."""
    folder = run_folder(run) / FOLDER
    files = sorted(folder.glob("*.jsonl"), key=lambda p: ladder_position(p.stem))
    return [s for f in files if rungs is None or f.stem in rungs for s in read(f)]


def frame(samples: list[Sample]) -> pd.DataFrame:
    """The samples as a pandas DataFrame with one row per item, rung and repeat, and `COLUMNS`."""
    import pandas as pd

    return pd.DataFrame([s.model_dump() for s in samples], columns=COLUMNS)


def flat_frame(samples: list[Sample]) -> pd.DataFrame:
    """The table for csv and parquet: lists and the prompt as JSON text, so every cell is a plain value."""
    table = frame(samples)
    for column in ("shots", "retrieved", "cited", "messages"):
        table[column] = [None if v is None else json.dumps(v, ensure_ascii=False) for v in table[column]]
    return table
