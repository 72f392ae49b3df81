"""`module:function` resolved to the callable it names, imported from the scenario's folder or the Python path.

The folder goes first on `sys.path` only while the module imports and is taken off again, so it shadows
nothing afterwards: a module that imports its siblings must do so at import time, not inside the function.
"""

from __future__ import annotations

import hashlib
import importlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ..errors import InputError, Problem
from ..secrets import redact
from ._identity import file_sha256

TARGET = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$")
TARGET_FORM = "MODULE:FUNCTION, e.g. our_rag:answer for `def answer(messages): ...` in our_rag.py next to the scenario"


@dataclass(frozen=True)
class _Imported:
    folder: str
    sha256: str
    """Of the file as it was imported: the code that runs."""


_FROM_FOLDER: dict[str, _Imported] = {}
"""Modules imported from a scenario folder, by name. They are imported afresh for another folder, or once a file changed."""


def resolve_target(target: str, base_dir: Path | None = None) -> Callable:
    """The callable `target` ("module:function", dotted attributes allowed) names; an InputError with the fix if none."""
    match = TARGET.match(target.strip())
    if match is None:
        raise InputError(Problem(f"'{target}' does not name a function", fix=f"write it as {TARGET_FORM}"))
    module_name, attributes = match.groups()
    found: object = _import(module_name, base_dir)
    where = _file_of(found) or module_name
    for depth, name in enumerate(attributes.split(".")):
        if not hasattr(found, name):
            missing = ".".join(attributes.split(".")[: depth + 1])
            raise InputError(
                Problem(
                    f"{where} has no '{missing}'",
                    fix=f"define `def {name}(messages): ...` there, or name an existing function after the colon",
                )
            )
        found = getattr(found, name)
    if not callable(found):
        raise InputError(
            Problem(
                f"'{target}' is a {type(found).__name__}, not a function",
                fix="name a function that takes the messages and returns the answer",
            )
        )
    return found


def source_sha256(function: Callable, base_dir: Path | None) -> str:
    """A hash of the code the function runs: its module's file, and every module imported from the scenario folder."""
    folder = _folder(base_dir)
    hashes = {name: imported.sha256 for name, imported in _FROM_FOLDER.items() if imported.folder == folder}
    own = getattr(function, "__module__", None) or ""
    path = _file_of(sys.modules.get(own))
    if own not in hashes and path and Path(path).is_file():
        hashes[own] = file_sha256(Path(path))
    return hashlib.sha256(repr(sorted(hashes.items())).encode()).hexdigest()


def _import(name: str, base_dir: Path | None) -> ModuleType:
    folder = _folder(base_dir)
    _forget_stale(folder)
    importlib.invalidate_caches()  # a file written moments ago must be found
    before, wrote_bytecode = set(sys.modules), sys.dont_write_bytecode
    if folder:
        sys.path.insert(0, folder)
        sys.dont_write_bytecode = True  # no __pycache__ in the user's folder, nor a stale one after a quick edit
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and not (name == exc.name or name.startswith(exc.name + ".")):  # found, but it imports something missing
            raise InputError(Problem(f"importing '{name}' failed: {exc}", fix=f"install the package that provides '{exc.name}'")) from None
        place = f"{folder} or on the Python path" if folder else "on the Python path"
        fix = f"put {name.replace('.', '/')}.py in {folder or 'a folder on PYTHONPATH'}, or correct the module before the colon"
        raise InputError(Problem(f"no module '{name}' in {place}", fix=fix)) from None
    except Exception as exc:  # its own code failed while importing (SyntaxError included)
        raise InputError(
            Problem(
                redact(f"importing '{name}' raised {type(exc).__name__}: {exc}"),
                fix=f"make `python -c 'import {name}'` work in {folder or '.'}",
            )
        ) from None
    finally:
        sys.dont_write_bytecode = wrote_bytecode
        if folder:
            _note_new_modules(set(sys.modules) - before, folder)  # a failed import may have loaded siblings
            if folder in sys.path:
                sys.path.remove(folder)  # the first copy: ours, or an equal one already there
    if folder:
        _check_not_shadowed(name, module, folder)
    return module


def _forget_stale(folder: str | None) -> None:
    """Drop the modules of other scenario folders, and this folder's once one of its files changed, to import them afresh."""
    changed = any(imported.folder == folder and _changed(name, imported) for name, imported in _FROM_FOLDER.items())
    for name, imported in list(_FROM_FOLDER.items()):
        if imported.folder != folder or changed:
            sys.modules.pop(name, None)
            del _FROM_FOLDER[name]


def _changed(name: str, imported: _Imported) -> bool:
    path = _file_of(sys.modules.get(name))
    return path is None or not Path(path).is_file() or file_sha256(Path(path)) != imported.sha256


def _note_new_modules(names: set[str], folder: str) -> None:
    for name in names:
        path = _file_of(sys.modules.get(name))
        if path and Path(path).resolve().is_relative_to(folder):
            _FROM_FOLDER[name] = _Imported(folder, file_sha256(Path(path)))


def _check_not_shadowed(name: str, module: ModuleType, folder: str) -> None:
    """A file in the folder named like a module imported before (`json.py`) would silently lose to that module."""
    top = name.partition(".")[0]
    candidates = [Path(folder) / f"{top}.py", Path(folder) / top / "__init__.py"]
    here = next((c for c in candidates if c.is_file()), None)
    loaded = _file_of(sys.modules.get(top))
    if here is not None and loaded and Path(loaded).resolve() != here.resolve():
        raise InputError(
            Problem(
                f"{here} is hidden by the module '{top}' already imported from {loaded}", fix=f"rename {here.name} (e.g. our_{here.name})"
            )
        )


def _folder(base_dir: Path | None) -> str | None:
    return str(Path(base_dir).resolve()) if base_dir is not None else None


def _file_of(thing: object) -> str | None:
    module = thing if isinstance(thing, ModuleType) else None
    path = getattr(module, "__file__", None)
    return str(path) if path else None
