"""What the endpoint backend sends and reads: the body template, `${ENV}` values, the answer's path in the response.

Templates are checked once, in the constructor, each mistake becoming a `Problem`; rendering then cannot fail.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import Problem
from ..secrets import MASK, register_secret

PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
IN_TEXT = ("input", "system")
"""Placeholders replaced inside a string: the last user message, the system message ("" when none)."""
WHOLE = "messages"
"""The one placeholder that must be a whole value: it becomes the messages list itself."""
ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
SECRET_QUERY = re.compile(r"key|token|secret|sig|pass|auth|code", re.IGNORECASE)
"""Query parameters whose value is kept out of the identity, the spec and every message."""


class MissingAnswer(Exception):
    """The response is not JSON, or holds no usable answer at the output path."""


def check_body(body: object, problems: list[Problem]) -> None:
    """Note every placeholder mistake in `body`, and a body that would send every example the same request."""
    if not isinstance(body, dict):
        problems.append(
            Problem(f"the body is a {type(body).__name__}, not a mapping", fix='e.g. body: {question: "{{input}}"}', field="body")
        )
        return
    used = set()
    for text in _strings(body):
        names = PLACEHOLDER.findall(text)
        used.update(names)
        for name in sorted(set(names) - {*IN_TEXT, WHOLE}):
            problems.append(Problem(f"the body has an unknown placeholder {{{{{name}}}}}", fix=_PLACEHOLDERS, field="body"))
        if WHOLE in names and not _is_whole(text):
            problems.append(
                Problem(
                    f"'{text}' puts {{{{messages}}}} inside other text",
                    fix='write it as the whole value: messages: "{{messages}}"',
                    field="body",
                )
            )
    if not used & {*IN_TEXT, WHOLE}:
        problems.append(
            Problem("the body uses no placeholder, so every example would send the same request", fix=_PLACEHOLDERS, field="body")
        )


def render_body(body: Any, messages: list[dict]) -> Any:
    """The body with `{{input}}`, `{{system}}` and `{{messages}}` filled from the messages (in values, not keys)."""
    if isinstance(body, dict):
        return {key: render_body(value, messages) for key, value in body.items()}
    if isinstance(body, list):
        return [render_body(value, messages) for value in body]
    if not isinstance(body, str):
        return body
    if _is_whole(body):
        return [{"role": m["role"], "content": m["content"]} for m in messages]
    values = {"input": _last(messages, "user"), "system": _last(messages, "system")}
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], body)


def parse_output(path: str, problems: list[Problem]) -> tuple[str | int, ...]:
    """`choices.0.message.content` as ("choices", 0, "message", "content")."""
    steps = str(path).strip().split(".")
    if not all(steps):
        problems.append(
            Problem(
                f"'{path}' is not a path into the response",
                fix="name the answer's field, e.g. answer or choices.0.message.content",
                field="output",
            )
        )
    return tuple(int(step) if step.isdigit() else step for step in steps)


def read_output(data: object, path: tuple[str | int, ...]) -> str:
    """The answer at `path`: a string as it is, any other JSON value as JSON text; MissingAnswer when there is none."""
    shown = ".".join(str(step) for step in path)
    for step in path:
        if isinstance(data, list) and isinstance(step, int) and -len(data) <= step < len(data):
            data = data[step]
        elif isinstance(data, dict) and str(step) in data:
            data = data[str(step)]
        else:
            raise MissingAnswer(f"response has no '{shown}'")
    if data is None:
        raise MissingAnswer(f"response has null at '{shown}'")
    return data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)


def fill_env(text: str, field: str, problems: list[Problem]) -> str:
    """`text` with each `${NAME}` replaced by the environment variable's value, which is registered as a secret."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        found = os.environ.get(name)
        if not found:
            problems.append(Problem(f"${name} is not set", fix=f"export {name}=... before running (the {field} sends it)", field=field))
            return ""
        register_secret(found)
        return found

    return ENV.sub(value, text)


def shown_url(url: str) -> str:
    """The url fit to print and to key the cache: no user:password, no fragment, secret query values masked."""
    parts = urlsplit(url)
    register_secret(parts.password)
    query = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if SECRET_QUERY.search(name) and not ENV.fullmatch(value):
            register_secret(value)
            value = MASK
        query.append((name, value))
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, urlencode(query, safe="${}*"), ""))


_PLACEHOLDERS = 'use {{input}} (the last user message), {{system}} (the system message), or "{{messages}}" (the whole list)'


def _is_whole(text: str) -> bool:
    match = PLACEHOLDER.fullmatch(text.strip())
    return match is not None and match.group(1) == WHOLE


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _last(messages: list[dict], role: str) -> str:
    return next((str(m["content"]) for m in reversed(messages) if m.get("role") == role), "")
