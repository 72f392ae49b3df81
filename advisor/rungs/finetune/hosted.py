"""The fine-tune rung on a hosted API: a fine-tuning job on the scenario's OpenAI-compatible server.

The job id is kept in the run folder, so an interrupted run picks up the same job instead of paying
twice. The forgetting check asks the canary tasks of the base model and of the tuned model through the
same server (`evals.lmeval.chat_forgetting_check`), once per finished job.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.decide.cost import finetune_cost
from advisor.measure import events as ev
from advisor.record.run import Training
from advisor.rungs.finetune.tuned import Tuned, checked_once, finetune_settings
from advisor.scenario.workspace import Workspace, open_backend
from evals.example import Example

if TYPE_CHECKING:
    from trainers import HostedProgress

POLL_S = 5.0
"""Seconds between status checks of the job."""


def server_url(model: str) -> str | None:
    """The base URL of an `openai:URL#name` spec; None for the OpenAI API itself."""
    from evals.backends.spec import ModelSpec

    return ModelSpec.parse(model).base_url


async def train_hosted(ws: Workspace, examples: list[Example], out_dir: Path, on_event: ev.OnEvent) -> Tuned:
    """Run (or resume) the hosted job and return the tuned model as an `openai` backend."""
    from evals.lmeval import chat_forgetting_check
    from trainers import hosted_backend_spec, train_openai

    config, base_url = finetune_settings(ws), server_url(ws.scenario.model)
    on_event(ev.Note(f"fine-tune: hosted job on {config.model} with {len(examples)} examples"))

    def progress(p: HostedProgress) -> None:
        for text in p.new_events or (f"status {p.status}",):
            on_event(ev.Note(f"fine-tune job {p.job_id} ({p.elapsed_s:.0f} s): {text}"))

    options = ws.scenario.model_options
    result = await asyncio.to_thread(
        train_openai, examples, config, out_dir, base_url=base_url, progress=progress, poll_s=POLL_S, api_key_env=options.api_key_env
    )
    pricing = ws.scenario.pricing
    training = Training(
        method="openai",
        train_tokens=result.trained_tokens,
        seconds=result.seconds,
        cost_usd=finetune_cost(pricing, 0.0, result.trained_tokens),
        model_id=result.model_id,
    )
    assert config.model is not None  # train_openai starts no job without it
    tuned, base = (open_backend(hosted_backend_spec(model, base_url), options) for model in (result.model_id, config.model))
    check = functools.partial(
        chat_forgetting_check,
        base,
        tuned,
        confidence=ws.scenario.confidence,
        threshold=config.forgetting_threshold,
        extra=config.forgetting_tasks,
    )
    stamp = hashlib.sha256(json.dumps([config.model_dump(mode="json", exclude={"compare"}), result.model_id]).encode()).hexdigest()
    forgetting = await checked_once(out_dir / "forgetting.json", stamp, check, "through the openai backend", on_event)
    return Tuned(tuned, training, forgetting)
