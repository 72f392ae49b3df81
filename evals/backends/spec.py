"""The model spec (`local:NAME_OR_PATH`, `openai:MODEL`, `openai:URL#MODEL`) parsed once into a typed value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from ..errors import InputError, Problem

BackendKind = Literal["local", "openai"]
BACKEND_KINDS: tuple[str, ...] = ("local", "openai")
SPEC_FORMS = (
    "local:NAME_OR_PATH (e.g. local:smollm2-135m), openai:MODEL (e.g. openai:gpt-4o-mini), "
    "or openai:http://HOST:PORT/v1#MODEL for any OpenAI-compatible server"
)
OPENAI_URL = "https://api.openai.com/v1"
OPENAI_HOST = "api.openai.com"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


@dataclass(frozen=True)
class ModelSpec:
    """Which backend serves a model and where: `kind`, the model `name` (None: the server's first) and `base_url`."""

    kind: BackendKind
    name: str | None
    base_url: str | None = None
    """openai only: an OpenAI-compatible server; None means the OpenAI API itself."""

    @classmethod
    def parse(cls, text: str, field: str = "model") -> ModelSpec:
        """The spec a string names; an InputError (with the forms accepted) when it names none."""
        kind, sep, rest = str(text).partition(":")
        kind, rest = kind.strip().lower(), rest.strip()
        if not sep or kind not in BACKEND_KINDS or not rest:
            raise InputError(Problem(f"unknown backend '{text}'", fix=f"use {SPEC_FORMS}", field=field))
        if kind == "local":
            return cls("local", rest)
        if rest.startswith(("http://", "https://")):
            base_url, _, name = rest.partition("#")
            if not urlsplit(base_url).hostname:
                raise InputError(Problem(f"'{text}' has no host in its URL", fix=f"use {SPEC_FORMS}", field=field))
            return cls("openai", name.strip() or None, base_url.rstrip("/"))
        if "#" in rest:
            raise InputError(
                Problem(f"'openai:{rest}' names a model after '#' but no server URL before it", fix=f"use {SPEC_FORMS}", field=field)
            )
        return cls("openai", rest)

    @classmethod
    def local(cls, text: str, field: str = "model") -> ModelSpec:
        """A local model given as `local:NAME` or as the bare name or folder; other backends are refused."""
        kind = str(text).partition(":")[0].strip().lower()
        if kind not in BACKEND_KINDS or Path(text).exists():  # a bare name, or a folder whose name has a colon
            return cls("local", str(text))
        spec = cls.parse(text, field)
        if not spec.is_local:
            raise InputError(
                Problem(f"'{text}' is not a local model", fix="name a local model, e.g. smollm2-135m or local:/path/to/model", field=field)
            )
        return spec

    def __str__(self) -> str:
        if self.base_url is None:
            return f"{self.kind}:{self.name}"
        return f"openai:{self.base_url}" + (f"#{self.name}" if self.name else "")

    @property
    def local_model(self) -> str:
        """The local model's name or folder; a ValueError for an openai: spec."""
        if not self.is_local or not self.name:
            raise ValueError(f"{self} is not a local model")
        return self.name

    @property
    def is_local(self) -> bool:
        """Weights on this machine, loaded by the local backend."""
        return self.kind == "local"

    @property
    def host(self) -> str | None:
        """The host the requests go to (None for a local model)."""
        if self.is_local:
            return None
        return (urlsplit(self.base_url).hostname or "").lower() if self.base_url else OPENAI_HOST

    @property
    def is_loopback(self) -> bool:
        """A server on this machine: no key needed, and no data leaves it."""
        return self.host in LOOPBACK_HOSTS

    @property
    def is_openai_api(self) -> bool:
        """The OpenAI API's own host, the only one that gets $OPENAI_API_KEY unasked."""
        return self.host == OPENAI_HOST

    @property
    def is_hosted(self) -> bool:
        """Requests go to another machine (the eval data leaves this one)."""
        return not self.is_local and not self.is_loopback


def key_env(spec: ModelSpec, named: str | None = None) -> str | None:
    """The environment variable whose key is sent with requests to `spec`, or None for none.

    The variable the scenario names (model_options.api_key_env) is sent wherever the scenario points;
    without one, $OPENAI_API_KEY goes only to the OpenAI API's own host, so that a scenario from someone
    else cannot collect it by naming their server. A loopback server needs no key.
    """
    if spec.is_local:
        return None
    if named:
        return named
    return "OPENAI_API_KEY" if spec.is_openai_api else None
