"""A hosted job's folder: the chat JSONL it uploads, and job.json, which makes an interrupted run resumable.

job.json is rewritten (atomically) after every step that costs something: the uploads, the job's
creation, each poll. It holds file and job ids, statuses and events, never the API key.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from evals.data import write_json
from evals.errors import InputError, Problem
from evals.example import Example, Message

JOB_FILE = "job.json"
VERSION = 1
# What the fine-tuning API accepts on a chat message; anything else (and any top-level key but
# "messages") makes the upload fail validation.
API_MESSAGE_KEYS = ("role", "content", "name", "weight")
ENDED = ("succeeded", "failed", "cancelled")


def chat_jsonl(examples: list[Example]) -> bytes:
    """The examples as `{"messages": [...]}` lines, without `id` or `meta`."""
    lines = [json.dumps({"messages": [_api_message(m) for m in ex.messages]}, ensure_ascii=False) for ex in examples]
    return ("\n".join(lines) + "\n").encode()


def _api_message(message: Message) -> dict:
    data = message.model_dump()
    return {key: data[key] for key in API_MESSAGE_KEYS if data.get(key) is not None}


def fingerprint(files: dict[str, bytes], request: dict, server: str) -> str:
    """What makes two calls the same job: the files' contents, the job request and the server it goes to."""
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    payload = json.dumps([hashes, request, server], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def load_job(out_dir: Path, stamp: str) -> dict:
    """The saved state of this same run, minus a failed attempt; {} when there is nothing to resume.

    Raises InputError when the folder tracks a job of other data or settings that has not ended:
    starting another would lose track of one that is still being paid for.
    """
    path = out_dir / JOB_FILE
    if not path.is_file():
        return {}
    try:
        state = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(
            Problem(f"{path} is not valid JSON ({exc.msg})", fix="delete it to start a new job", file=path, line=exc.lineno)
        ) from None
    if state.get("fingerprint") != stamp:
        if state.get("job_id") and state.get("status") not in ENDED:
            raise InputError(
                Problem(
                    f"{path} tracks job {state['job_id']} of other data or settings, still {state.get('status')}",
                    fix="use another output folder, or wait for that job (or cancel it) and delete job.json",
                    file=path,
                )
            )
        return {}
    if state.get("status") in ("failed", "cancelled"):
        # A failed attempt is retried as a new job; the uploaded files are the same, so they are kept.
        return {k: v for k, v in state.items() if k in ("fingerprint", "training_file", "validation_file")}
    return state


def save_job(out_dir: Path, state: dict) -> None:
    """Write job.json atomically, so an interruption never leaves half of it."""
    write_json(out_dir / JOB_FILE, {"version": VERSION, **state}, indent=2)
