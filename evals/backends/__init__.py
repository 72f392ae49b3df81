"""Backends by name: `local:NAME_OR_PATH`, `openai:MODEL`, `openai:URL#MODEL`; each imported only when used."""

from __future__ import annotations

from ..errors import InputError, Problem
from .base import Backend, Completion, GenerationParams, Structure

__all__ = ["Backend", "Completion", "GenerationParams", "Structure", "get_backend", "SPEC_FORMS"]

SPEC_FORMS = (
    "local:NAME_OR_PATH (e.g. local:smollm2-135m), openai:MODEL (e.g. openai:gpt-4o-mini), "
    "or openai:http://HOST:PORT/v1#MODEL for any OpenAI-compatible server"
)


def get_backend(spec: str, **options) -> Backend:
    """Build the backend a spec names; options go to its constructor (e.g. concurrency, timeout, adapter)."""
    kind, sep, rest = spec.partition(":")
    factory = _FACTORIES.get(kind.strip().lower())
    if not sep or factory is None or not rest.strip():
        raise InputError(Problem(f"unknown backend '{spec}'", fix=f"use {SPEC_FORMS}", field="model"))
    return factory(rest.strip(), options)


def _local(rest: str, options: dict) -> Backend:
    from .local import LocalBackend  # imports torch: only when a local model is asked for

    return LocalBackend(rest, **options)


def _openai(rest: str, options: dict) -> Backend:
    from .openai import OpenAIBackend

    if rest.startswith(("http://", "https://")):
        base_url, _, model = rest.partition("#")
        return OpenAIBackend(model.strip() or None, base_url=base_url, **options)
    if "#" in rest:
        raise InputError(Problem(f"'openai:{rest}' names a model after '#' but no server URL before it", fix=f"use {SPEC_FORMS}", field="model"))
    return OpenAIBackend(rest, **options)


_FACTORIES = {"local": _local, "openai": _openai}
