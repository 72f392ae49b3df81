"""Waiting for a hosted job: poll its status and events, report progress, save each step, end in a result."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from evals.errors import BackendError

from ._hosted_result import HostedJobPending, HostedProgress, HostedResult
from ._hosted_state import ENDED, save_job

if TYPE_CHECKING:  # the SDK is imported once a job is asked for
    import openai
    from openai.types.fine_tuning import FineTuningJob

EVENTS_PAGE = 100


def watch(
    client: openai.OpenAI,
    state: dict,
    out_dir: Path,
    *,
    progress: Callable[[HostedProgress], None] | None,
    poll_s: float,
    timeout_s: float | None,
) -> HostedResult:
    """Poll the job in `state` until it ends; raise BackendError if it fails, HostedJobPending on timeout."""
    start = time.monotonic()
    seen = {event_id for event_id, _ in state.setdefault("events", [])}
    while True:
        job = client.fine_tuning.jobs.retrieve(state["job_id"])
        fresh = new_events(client, job.id, seen)
        state["events"] += fresh
        state["status"] = job.status
        save_job(out_dir, state)
        if progress is not None:
            progress(HostedProgress(job.id, job.status, tuple(m for _, m in fresh), job.trained_tokens, _age(job)))
        if job.status in ENDED:
            return finish(job, state, out_dir)
        if timeout_s is not None and time.monotonic() - start >= timeout_s:
            raise HostedJobPending(
                f"fine-tuning job {job.id} is still {job.status} after {timeout_s:g} s; "
                f"call again with the same output folder ({out_dir}) to resume it"
            )
        time.sleep(poll_s)


def new_events(client: openai.OpenAI, job_id: str, seen: set[str]) -> list[list[str]]:
    """The job's events not seen yet, as [id, message] pairs, oldest first."""
    fresh = []
    # The API lists newest first and the SDK pages on by itself: stop at the first event already seen.
    for event in client.fine_tuning.jobs.list_events(job_id, limit=EVENTS_PAGE):
        if event.id in seen:
            break
        seen.add(event.id)
        fresh.append([event.id, event.message])
    return fresh[::-1]


def finish(job: FineTuningJob, state: dict, out_dir: Path) -> HostedResult:
    """The result of an ended job, saved in job.json so that asking again needs no request."""
    messages = [message for _, message in state["events"]]
    if job.status != "succeeded" or not job.fine_tuned_model:
        reason = job.error.message if job.error and job.error.message else "the API gave no reason"
        if job.status == "succeeded":
            reason = "it ended without a fine-tuned model id"
        state["error"] = reason
        save_job(out_dir, state)
        raise BackendError(f"fine-tuning job {job.id} {job.status}: {reason}")
    seconds = float(job.finished_at - job.created_at) if job.finished_at else _age(job)
    result = HostedResult(job.fine_tuned_model, job.id, job.trained_tokens, seconds, job.status, messages)
    state["result"] = result.as_dict()
    save_job(out_dir, state)
    return result


def _age(job: FineTuningJob) -> float:
    return max(0.0, time.time() - job.created_at)
