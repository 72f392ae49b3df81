"""`advisor serve`: the local model (and an adapter) behind an OpenAI-compatible API."""

from __future__ import annotations

import socket
from pathlib import Path

import click

from advisor.serve.guard import DEFAULT_MAX_BODY_BYTES
from evals.errors import InputError, Problem

from . import output

KEY_ENV = "ADVISOR_SERVE_API_KEY"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def local_model_name(spec: str) -> str:
    """`local:smollm2-135m` or `smollm2-135m` -> `smollm2-135m`; other backends cannot be served."""
    from evals.backends.spec import ModelSpec

    return ModelSpec.local(spec, field="--model").local_model


def check_port_free(host: str, port: int) -> None:
    """Fail before loading the model when the address is taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise InputError(
                Problem(f"cannot listen on {host}:{port}: {exc.strerror}", fix=f"choose another port, e.g. --port {port + 1}", field="port")
            ) from exc


@click.command()
@click.option(
    "--model", "model_spec", default="smollm2-135m", show_default=True, help="Local model: embedded name, model folder or hub id."
)
@click.option("--adapter", type=click.Path(exists=True, file_okay=False, path_type=Path), help="A peft adapter folder to serve as well.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--max-batch-size", default=16, show_default=True, type=click.IntRange(1), help="Most concurrent requests in one generate call."
)
@click.option("--log-level", default="warning", show_default=True, type=click.Choice(["debug", "info", "warning", "error"]))
@click.option(
    "--api-key",
    envvar=KEY_ENV,
    default=None,
    show_envvar=True,
    help="Require 'Authorization: Bearer KEY' on every route but /health (required off loopback).",
)
@click.option(
    "--max-body-bytes",
    default=DEFAULT_MAX_BODY_BYTES,
    show_default=True,
    type=click.IntRange(1),
    help="Refuse larger request bodies with 413.",
)
def serve(
    model_spec: str,
    adapter: Path | None,
    host: str,
    port: int,
    max_batch_size: int,
    log_level: str,
    api_key: str | None,
    max_body_bytes: int,
) -> None:
    """Serve a local model with an OpenAI-compatible API (/v1/chat/completions, /v1/models)."""
    import uvicorn

    from advisor.serve.app import create_app, served_models
    from evals.backends.local import LocalBackend

    name = local_model_name(model_spec)
    if not api_key and host not in LOOPBACK_HOSTS:
        raise InputError(
            Problem(
                f"serving on {host} would let anyone on the network use the model",
                field="--api-key",
                fix=f"pass --api-key KEY (or set ${KEY_ENV}), or serve on --host 127.0.0.1",
            )
        )
    check_port_free(host, port)
    backend = LocalBackend(name, adapter, max_batch_size=max_batch_size)
    output.err_console.print(f"Loading {name}" + (f" with adapter {adapter}" if adapter else "") + " ...")
    backend.load()
    app = create_app(backend, api_key=api_key, max_body_bytes=max_body_bytes)
    base_url = f"http://{host}:{port}/v1"
    output.console.print(f"Serving {', '.join(served_models(backend))} at [bold]{base_url}[/]", soft_wrap=True)
    first = next(iter(served_models(backend)))
    key_note = "model_options.api_key_env naming a variable that holds the key" if api_key else "no key needed"
    output.console.print(f"  use it as the backend [cyan]openai:{base_url}#{first}[/] ({key_note}); Ctrl+C stops", soft_wrap=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
