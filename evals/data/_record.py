"""The shape of one chat record: allowed keys, roles, contents, and turn order."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from ..errors import Problem

KEYS = ("messages", "id", "meta")
ROLES = ("system", "user", "assistant")
SHAPE = 'each line is one JSON object: {"messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]}'

Locate = Callable[..., Problem]
"""Builds a Problem at the current line: at(message, fix, field=None)."""


def check_record(record: Any, at: Locate) -> list[Problem]:
    """Every problem with one parsed JSONL record (empty when it is a valid chat example)."""
    if not isinstance(record, dict):
        return [at(f"a line must be a JSON object, not {_kind(record)}", fix=SHAPE)]
    unknown = [key for key in record if key not in KEYS]
    problems = [at(f"unknown key '{key}'", fix=_suggest(key, KEYS), field=key) for key in unknown]
    if record.get("id") is not None and not isinstance(record["id"], str):
        problems.append(at(f"'id' must be a string, not {_kind(record['id'])}", fix='quote it: "id": "42"', field="id"))
    if "meta" in record and not isinstance(record["meta"], dict):
        problems.append(at(f"'meta' must be an object, not {_kind(record['meta'])}", fix='use "meta": {"key": value}', field="meta"))
    messages = record.get("messages")
    misspelled = any(difflib.get_close_matches(key, ["messages"], n=1) for key in unknown)
    if "messages" not in record:
        # A misspelled key already says where the messages are.
        problems += [] if misspelled else [at("missing 'messages'", fix=SHAPE, field="messages")]
    elif not isinstance(messages, list) or not messages:
        problems.append(at("'messages' must be a non-empty list", fix=SHAPE, field="messages"))
    else:
        problems += _check_messages(messages, at)
    return problems


def _check_messages(messages: list, at: Locate) -> list[Problem]:
    problems: list[Problem] = []
    for i, message in enumerate(messages):
        field = f"messages[{i}]"
        if not isinstance(message, dict):
            problems.append(at(f"a message must be an object, not {_kind(message)}", fix='use {"role": ..., "content": ...}', field=field))
            continue
        if message.get("role") not in ROLES:
            what = f"unknown role '{message['role']}'" if "role" in message else "missing 'role'"
            problems.append(at(what, fix=_suggest(str(message.get("role", "")), ROLES), field=f"{field}.role"))
        content = message.get("content")
        if "content" not in message:
            problems.append(at("missing 'content'", fix="add the message text as 'content'", field=f"{field}.content"))
        elif not isinstance(content, str):
            problems.append(
                at(
                    f"content must be a string, not {_kind(content)}",
                    fix="put the text in a JSON string (serialize a structured answer with json.dumps)",
                    field=f"{field}.content",
                )
            )
        elif not content.strip():
            problems.append(at("content is empty", fix="write the message text, or drop the line", field=f"{field}.content"))
    roles_ok = all(isinstance(m, dict) and m.get("role") in ROLES for m in messages)
    # Turn order only means something once every role is valid.
    return problems + (_check_order(messages, at) if roles_ok else [])


def _check_order(messages: list[dict], at: Locate) -> list[Problem]:
    """System first only; user and assistant alternate from a user turn; the last turn is the answer."""
    roles = [m["role"] for m in messages]
    problems = [
        at("a system message may only come first", fix="merge it into the first message or drop it", field=f"messages[{i}].role")
        for i, role in enumerate(roles)
        if role == "system" and i > 0
    ]
    turns = [(i, role) for i, role in enumerate(roles) if role != "system"]
    if not any(role == "user" for _, role in turns):
        return problems + [at("no user turn", fix="add the question as a user message", field="messages")]
    for k, (i, role) in enumerate(turns):
        expected = ("user", "assistant")[k % 2]
        if role != expected:
            problems.append(
                at(
                    f"expected a {expected} turn, got {role}",
                    fix="user and assistant turns alternate, starting with user",
                    field=f"messages[{i}].role",
                )
            )
            break
    last = f"messages[{len(roles) - 1}].role"
    if roles[-1] != "assistant" and all(p.field != last for p in problems):
        problems.append(
            at("the last message must be the assistant's answer", fix="add the expected answer as a final assistant message", field=last)
        )
    return problems


def _suggest(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return (f"did you mean '{close[0]}'? " if close else "") + f"use one of: {', '.join(choices)}"


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
