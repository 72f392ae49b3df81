"""Backends by name: `local:NAME_OR_PATH`, `openai:MODEL`, `openai:URL#MODEL`; each imported only when used."""

from __future__ import annotations

from typing import Any

from .base import Backend, Completion, GenerationParams, StreamingBackend, Structure
from .spec import SPEC_FORMS, ModelSpec

__all__ = ["SPEC_FORMS", "Backend", "Completion", "GenerationParams", "ModelSpec", "StreamingBackend", "Structure", "get_backend"]


def get_backend(spec: str | ModelSpec, **options: Any) -> Backend:
    """Build the backend a spec names; options go to its constructor (e.g. concurrency, timeout, adapter)."""
    parsed = spec if isinstance(spec, ModelSpec) else ModelSpec.parse(spec)
    if parsed.is_local:
        from .local import LocalBackend  # imports torch: only when a local model is asked for

        return LocalBackend(parsed.local_model, **options)
    from .openai import OpenAIBackend

    return OpenAIBackend(parsed.name, base_url=parsed.base_url, **options)
