"""Where things are: the shipped scenarios, a free file name, and the command that reproduces a run."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

from advisor.scenario.file import load_yaml

from .job import RunChoices


@dataclass(frozen=True)
class Shipped:
    """A ready scenario from the scenarios/ folder, named and described as its file says."""

    name: str
    description: str
    path: Path


def scenario_folders(cwd: Path | None = None) -> list[Path]:
    """scenarios/ in the working folder, then the one beside the installed package (a checkout's root)."""
    here = (cwd or Path.cwd()) / "scenarios"
    beside = Path(__file__).resolve().parents[2] / "scenarios"
    folders = [here] + ([beside] if beside.resolve() != here.resolve() else [])
    return [f for f in folders if f.is_dir()]


def shipped_scenarios(folders: list[Path] | None = None) -> list[Shipped]:
    """Every scenarios/*.yaml found, by name; a file that does not read as a scenario is left out."""
    found: dict[str, Shipped] = {}
    for folder in scenario_folders() if folders is None else folders:
        for path in sorted(folder.glob("*.yaml")):
            try:
                data = load_yaml(path.read_text(encoding="utf-8"))[1]
            except (OSError, ValueError, RecursionError, yaml.YAMLError):  # ValueError: not UTF-8
                continue
            if isinstance(data, dict) and data.get("name") and data["name"] not in found:
                found[data["name"]] = Shipped(str(data["name"]), str(data.get("description") or ""), path)
    return list(found.values())


def free_path(path: Path) -> Path:
    """The path itself when nothing is there, else the first of name-2.yaml, name-3.yaml, ... that is free."""
    if not path.exists():
        return path
    number = 2
    while (candidate := path.with_name(f"{path.stem}-{number}{path.suffix}")).exists():
        number += 1
    return candidate


def shown(path: Path | None, cwd: Path | None = None) -> str:
    """A path relative to the working folder when it lies under it, so commands stay short and portable ('' for None)."""
    if path is None:
        return ""
    cwd = (cwd or Path.cwd()).resolve()
    try:
        return os.fspath(Path(path).resolve().relative_to(cwd))
    except ValueError:
        return os.fspath(path)


def reproduce_command(scenario_path: Path, out_dir: Path, choices: RunChoices = RunChoices()) -> str:
    """The `advisor run` line that measures the same scenario into the same folder (answers come from the cache)."""
    parts = ["advisor", "run", shown(scenario_path), "--out", shown(out_dir)]
    if choices.limit:
        parts += ["--limit", str(choices.limit)]
    if choices.learning_curve:
        parts += ["--learning-curve"]
    return shlex.join(parts)
