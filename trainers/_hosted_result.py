"""What a hosted fine-tuning job reports: progress while it runs, the model id when it ends."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from evals.errors import BackendError


@dataclass(frozen=True)
class HostedProgress:
    """One poll of the job: sent after every status check."""

    job_id: str
    status: str
    """validating_files, queued, running, succeeded, failed or cancelled."""
    new_events: tuple[str, ...]
    """Event messages that appeared since the previous poll, oldest first."""
    trained_tokens: int | None
    """Billable tokens, once the API reports them (usually only at the end)."""
    elapsed_s: float
    """Time since the job was created, across resumed calls."""


@dataclass(frozen=True)
class HostedResult:
    """A finished hosted job: the model to evaluate and what it took."""

    model_id: str
    job_id: str
    trained_tokens: int | None
    seconds: float
    """The job's own duration (created to finished, as the API reports it)."""
    status: str
    events: list[str]
    """Every event message of the job, oldest first."""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HostedResult:
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls)})


class HostedJobPending(BackendError):
    """The job had not ended when `timeout_s` ran out; calling again with the same folder resumes it."""
