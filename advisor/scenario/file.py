"""Reading and writing scenario.yaml, with every schema problem located by file, line and field."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from advisor.scenario.schema import Scenario
from evals.data import read_text
from evals.errors import InputError, Problem


def load_scenario(path: str | Path) -> Scenario:
    """Parse and validate a scenario file; relative paths resolve against its folder."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem("scenario file not found", fix="check the path, or create one with `advisor`", file=path))
    text = read_text(path)
    root, data = parse_yaml(text, path)
    duplicates = duplicate_keys(root, path)
    if duplicates:
        raise InputError(duplicates, title=f"Invalid scenario {path}")
    if not isinstance(data, dict):
        raise InputError(Problem("a scenario must be a YAML mapping (key: value lines)", fix="see `advisor schema`", file=path, line=1))
    try:
        return Scenario.model_validate(data, context={"base": path.parent.resolve()})
    except ValidationError as exc:
        raise InputError([_problem(err, root, path) for err in exc.errors()], title=f"Invalid scenario {path}") from None


ALIAS_NODES_FREE = 10_000
"""Nodes that aliases may add to a document whatever its size: far more than any scenario repeats."""
ALIAS_NODES_PER_NODE = 10
"""Beyond ALIAS_NODES_FREE, aliases may add this many nodes per node written; a 'billion laughs' adds millions."""


class AliasExpansionError(yaml.MarkedYAMLError):
    """Aliases that would expand a document out of proportion to its size, or into itself."""


class _ProportionateLoader(yaml.SafeLoader):
    """A SafeLoader that counts, while composing, the nodes each alias stands for and stops a document they blow up."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.sizes: dict[int, int] = {}  # id(node) -> the nodes it stands for, its aliases expanded
        self.written = 0
        self.added = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        event = self.peek_event()
        node = super().compose_node(parent, index)
        if isinstance(event, yaml.AliasEvent):
            self._count_alias(event, node)
        else:
            self.written += 1
            self.sizes[id(node)] = 1 + sum(self.sizes[id(child)] for child in _children(node))
        return node

    def _count_alias(self, event: yaml.AliasEvent, node: yaml.Node) -> None:
        if id(node) not in self.sizes:  # the anchor is still open: the alias is inside what it names
            raise AliasExpansionError(None, None, f"alias *{event.anchor} is inside the node it names, so it never ends", event.start_mark)
        self.added += self.sizes[id(node)]
        if self.added > max(ALIAS_NODES_FREE, ALIAS_NODES_PER_NODE * self.written):
            message = f"aliases (here *{event.anchor}) expand this YAML by over {self.added:,} nodes from the {self.written:,} written"
            raise AliasExpansionError(None, None, message + ", out of proportion to its size", event.start_mark)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return []


def load_yaml(text: str) -> tuple[yaml.Node | None, object]:
    """The node tree (for line numbers) and the value of a user's YAML text; every YAML read of a user's file goes through it.

    A yaml.YAMLError when it is not YAML, AliasExpansionError when its aliases expand out of proportion to it.
    """
    # Two passes: constructing the value flattens merge keys (<<) in its nodes, which the tree must keep as written.
    tree, values = _ProportionateLoader(text), _ProportionateLoader(text)
    try:
        return tree.get_single_node(), values.get_single_data()
    finally:
        tree.dispose()
        values.dispose()


def parse_yaml(text: str, path: Path) -> tuple[yaml.Node | None, object]:
    """The node tree (for line numbers) and the value of a YAML text; InputError when it is not YAML."""
    try:
        return load_yaml(text)
    except AliasExpansionError as exc:
        raise InputError(
            Problem(
                str(exc.problem),
                fix="write the repeated values out, or alias them less deeply; a scenario repeats a few values at most",
                file=path,
                line=exc.problem_mark.line + 1 if exc.problem_mark else None,
            )
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            Problem(
                f"not valid YAML: {getattr(exc, 'problem', exc)}",
                fix="fix the YAML syntax at that line",
                file=path,
                line=mark.line + 1 if mark else None,
            )
        ) from None
    except RecursionError:
        raise InputError(
            Problem("the YAML nests too deeply to read", fix="a scenario nests a few levels; check the file", file=path, line=1)
        ) from None


def duplicate_keys(node: yaml.Node | None, path: Path) -> list[Problem]:
    """A key written twice in one mapping (YAML would keep the last silently), naming both lines."""
    problems: list[Problem] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in current.value:
                line = key.start_mark.line + 1
                name = str(key.value)
                if name in seen:
                    problems.append(
                        Problem(
                            f"key '{name}' appears twice, on lines {seen[name]} and {line}; YAML would keep only the last",
                            fix="delete one of the two",
                            file=path,
                            line=line,
                            field=name,
                        )
                    )
                seen.setdefault(name, line)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return sorted(problems, key=lambda p: p.line or 0)


def _problem(err: Any, root: yaml.Node | None, path: Path) -> Problem:
    loc = [p for p in err["loc"] if p != "schema_"] or []
    field = ".".join(str(p) for p in err["loc"]).replace("schema_", "schema")
    message = err["msg"].removeprefix("Value error, ")
    return Problem(message, fix=_fix(err, loc), file=path, line=_line(root, err["loc"]), field=field or None)


def _fix(err: Any, loc: list) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        known = sorted(parent.model_fields) if parent else []
        known = [k.rstrip("_") for k in known]
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"{hint}remove the key or use one of: {', '.join(known)}"
    if kind == "missing":
        return f"add '{loc[-1]}:' (see `advisor schema` for what it takes)"
    if kind == "literal_error":
        return f"use one of {ctx.get('expected')}"
    if kind.startswith(("int_", "float_", "bool_", "string_", "list_", "dict_", "model_")):
        return "give a value of the type shown in `advisor schema`"
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "too_short"}:
        return "change the value to satisfy the bound"
    if kind == "string_pattern_mismatch":
        return "use only letters, digits, '-', '_' and '.'"
    return "see `advisor schema` for the accepted values"


def _model_at(loc: list) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        info = model.model_fields.get(str(part)) or model.model_fields.get(f"{part}_")
        if info is None:
            return None
        ann = info.annotation
        candidates = [ann, *getattr(ann, "__args__", ())]
        inner = [c for a in candidates for c in (a, *getattr(a, "__args__", ()))]
        model = next((c for c in inner if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return model


def _line(node: yaml.Node | None, loc: tuple) -> int | None:
    """The line of the deepest YAML node that the error's location reaches."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        part = "schema" if part == "schema_" else part
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
            if child is None:  # an unknown key: point at the key itself
                key = next((k for k, _ in node.value if k.value == part), None)
                return key.start_mark.line + 1 if key is not None else line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            return line
        node, line = child, child.start_mark.line + 1
    return line


def scenario_schema() -> dict:
    """The JSON Schema of scenario.yaml, for editors (yaml-language-server)."""
    return Scenario.model_json_schema(by_alias=True)


def dump_scenario(scenario: Scenario, path: str | Path, *, force: bool = False) -> Path:
    """Write a scenario as YAML with paths relative to its folder; refuses to overwrite without force."""
    path = Path(path)
    if path.exists() and not force:
        raise InputError(Problem("file exists and would be overwritten", fix="choose another path or pass --force", file=path))
    data = json.loads(scenario.model_dump_json(by_alias=True, exclude_defaults=False))
    if scenario.models is not None:  # candidates replace the one model (the file may not give both)
        data.pop("model", None)
    for key in ("train", "eval", "knowledge", "unlabeled"):
        if data["data"].get(key):
            data["data"][key] = _relative(Path(data["data"][key]), path.parent)
    if data["grader"].get("schema"):
        data["grader"]["schema"] = _relative(Path(data["grader"]["schema"]), path.parent)
    data = _prune_none(data)
    # a rung left out is written as null: a missing key would switch it back on with its defaults
    data["ladder"] = {rung: data["ladder"].get(rung) for rung in type(scenario.ladder).model_fields}
    from evals.data import write_atomic

    return write_atomic(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def _relative(target: Path, base: Path) -> str:
    try:
        return os.path.relpath(target.resolve(), base.resolve())
    except ValueError:
        return str(target)


def _prune_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _prune_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune_none(v) for v in value]
    return value
