"""The hosted fine-tuning path: a supervised job on OpenAI's fine-tuning API, resumable, through the official SDK.

OpenAI announced that new self-serve fine-tuning jobs end on 2027-01-06, and that fine-tuned
gpt-4o / gpt-4.1 models shut down on 2027-01-14. That is why local LoRA is the default and this
path is an option that may disappear; any OpenAI-compatible server that implements the same
endpoints can take its place through `base_url`.

Only the base model, the number of epochs, the seed and an optional name suffix go into the job.
The scenario's `lr` is an absolute peak learning rate for the local recipe, while the API takes a
`learning_rate_multiplier` of a base rate it does not disclose, so no mapping between the two means
anything; `batch_size` is per device locally. The API picks both ("auto").
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.data import write_atomic
from evals.errors import BackendError, InputError, Problem
from evals.example import Example
from evals.secrets import register_secret

from ._config import FIELD
from ._hosted_poll import watch
from ._hosted_result import HostedProgress, HostedResult
from ._hosted_state import chat_jsonl, fingerprint, load_job, save_job

if TYPE_CHECKING:  # the SDK is imported once a job is asked for
    import openai

docs = (
    "Hosted fine-tuning (`finetune: {method: openai, model: gpt-4o-mini-2024-07-18}`) uploads the train set "
    "to OpenAI's fine-tuning API, runs a supervised job and evaluates the resulting `ft:...` model through the "
    "`openai` backend. An interrupted run resumes the same job from `job.json` instead of paying twice. "
    "OpenAI announced that new self-serve fine-tuning jobs end on 2027-01-06 (fine-tuned gpt-4o/4.1 models "
    "shut down on 2027-01-14): local LoRA is the default for that reason, and this path may disappear."
)


def train_openai(
    train: list[Example],
    settings: Any,
    out_dir: str | Path,
    *,
    base_url: str | None = None,
    api_key_env: str | None = None,
    progress: Callable[[HostedProgress], None] | None = None,
    poll_s: float = 5.0,
    timeout_s: float | None = None,
    val: list[Example] | None = None,
    suffix: str | None = None,
) -> HostedResult:
    """Fine-tune `settings.model` on the hosted API and wait for the model id, resuming a job already started.

    `settings` is the scenario's finetune block (`model`, `epochs`, `seed` are read). `base_url` points at
    an OpenAI-compatible server instead of api.openai.com; it gets a key only from `api_key_env` (the
    environment's $OPENAI_API_KEY goes to api.openai.com alone). `timeout_s` bounds this
    call's polling: the job goes on, and calling again with the same `out_dir` picks it up.
    """
    import openai  # the SDK loads only once a job is asked for

    out_dir, server = Path(out_dir), _server(base_url)
    request = job_request(train, settings, suffix)
    files = {"train.jsonl": chat_jsonl(train), **({"val.jsonl": chat_jsonl(val)} if val else {})}
    stamp = fingerprint(files, request, server)
    state = load_job(out_dir, stamp)
    if "result" in state:
        return HostedResult.from_dict(state["result"])
    from evals.backends.spec import ModelSpec, key_env

    env = key_env(ModelSpec("openai", None, base_url), api_key_env)
    key = _api_key(env, required=True) if env else None
    register_secret(key)
    _write(out_dir, files)
    state["fingerprint"] = stamp
    with _client(server, key) as client:
        try:
            _submit(client, state, out_dir, request, bool(val))
            return watch(client, state, out_dir, progress=progress, poll_s=poll_s, timeout_s=timeout_s)
        except openai.OpenAIError as exc:
            raise BackendError(_describe(exc, server, key, env)) from None


def job_request(train: list[Example], settings: Any, suffix: str | None) -> dict:
    """The job's model and method; raises InputError naming every setting the API cannot take."""
    problems = []
    if not getattr(settings, "model", None):
        problems.append(
            Problem(
                "the openai method needs the base model to fine-tune",
                fix="set it, e.g. model: gpt-4o-mini-2024-07-18",
                field=f"{FIELD}.model",
            )
        )
    epochs = settings.epochs  # "auto" is the API's own rule, the one `epochs: auto` follows locally
    if epochs != "auto" and (epochs != int(epochs) or epochs < 1):
        problems.append(
            Problem(
                f"the fine-tuning API runs whole epochs, not {epochs:g}",
                fix="set epochs to a whole number, e.g. 2",
                field=f"{FIELD}.epochs",
            )
        )
    if not train:
        problems.append(
            Problem(
                "there are no training examples to upload", fix="point data.train at a chat JSONL file with examples", field="data.train"
            )
        )
    if problems:
        raise InputError(problems)
    # `method` carries the hyperparameters: the SDK marks the top-level `hyperparameters` deprecated.
    request = {
        "model": settings.model,
        "seed": getattr(settings, "seed", None),
        "suffix": suffix,
        "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": epochs if epochs == "auto" else int(epochs)}}},
    }
    return {name: value for name, value in request.items() if value is not None}


def hosted_backend_spec(model_id: str, base_url: str | None = None) -> str:
    """The backend spec of a model on the fine-tuning server: the tuned one (`openai:ft:gpt-4o-mini:org::abc123`) or its base."""
    server = _server(base_url)
    return f"openai:{model_id}" if server == _openai_url() else f"openai:{server}#{model_id}"


def _submit(client: openai.OpenAI, state: dict, out_dir: Path, request: dict, has_val: bool) -> None:
    """Upload the files and create the job, unless an earlier call already did; save each id at once."""
    if state.get("job_id"):
        return
    if not state.get("training_file"):
        state["training_file"] = _upload(client, out_dir / "train.jsonl")
        state["validation_file"] = _upload(client, out_dir / "val.jsonl") if has_val else None
        save_job(out_dir, state)
    job = client.fine_tuning.jobs.create(training_file=state["training_file"], validation_file=state["validation_file"], **request)
    state.update(job_id=job.id, status=job.status, model=request["model"])
    save_job(out_dir, state)


def _write(out_dir: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        write_atomic(out_dir / name, data.decode("utf-8"))


def _upload(client: openai.OpenAI, path: Path) -> str:
    return client.files.create(file=path, purpose="fine-tune").id


def _api_key(env: str, *, required: bool) -> str | None:
    key = os.environ.get(env) or None
    if key is None and required:
        raise InputError(Problem(f"no API key in {env}", fix=f"export {env}=... ", field=f"{FIELD}.method"))
    return key


def _client(server: str, key: str | None) -> openai.OpenAI:
    import openai

    from evals.backends.openai import PLACEHOLDER_KEY

    # Polls run for hours: the SDK's own retries ride out brief outages, and job.json covers longer ones.
    return openai.OpenAI(api_key=key or PLACEHOLDER_KEY, base_url=server, max_retries=5, timeout=60.0)


def _server(base_url: str | None) -> str:
    return (base_url or _openai_url()).rstrip("/")


def _openai_url() -> str:
    from evals.backends.openai import OPENAI_URL  # imports the SDK: only once a job is asked for

    return OPENAI_URL


def _describe(exc: Exception, server: str, key: str | None, env: str | None) -> str:
    """The SDK error as one line, with a hint for a rejected key, and never the key itself (redacted before the cut)."""
    status = getattr(exc, "status_code", None)
    hint = f"; check the key in ${env}" if status in (401, 403) and env else ""
    detail = (str(exc).replace(key, "***") if key else str(exc))[:300]
    return f"{server}: {f'HTTP {status}' if status else type(exc).__name__}: {detail}{hint}"
