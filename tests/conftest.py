"""Shared fixtures: an offline environment and one converted copy of the embedded model per machine."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

# The converted embedded model is kept between test runs (converting takes ~25 s); run caches are per test.
os.environ.setdefault("ADVISOR_CACHE", str(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "advisor-tests"))
for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ[key] = "1"
os.environ["HF_UPDATE_DOWNLOAD_COUNTS"] = "0"
os.environ.pop("OPENAI_API_KEY", None)


@pytest.fixture(scope="session")
def embedded_model():
    """The embedded SmolLM2 model folder, converted from its GGUF once."""
    from evals.models import resolve_model

    return resolve_model("smollm2-135m")


@pytest.fixture
def run_cache(tmp_path, monkeypatch):
    """A private ADVISOR_CACHE for a test whose eval cache must start empty; models still come from the shared one."""
    shared = Path(os.environ["ADVISOR_CACHE"])
    private = tmp_path / "cache"
    (private).mkdir()
    if (shared / "models").exists():
        (private / "models").symlink_to(shared / "models")
    monkeypatch.setenv("ADVISOR_CACHE", str(private))
    return private


def copy_shipped(name: str, dest: Path) -> Path:
    """A copy of a shipped scenario in dest, its yaml and its data folder side by side; returns the yaml's path."""
    shutil.copytree(SCENARIOS / name, dest / name)
    return Path(shutil.copy(SCENARIOS / f"{name}.yaml", dest / f"{name}.yaml"))


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """A working folder holding a copy of support-intents, so every path on screen is short and the same each run."""
    monkeypatch.chdir(tmp_path)
    copy_shipped("support-intents", tmp_path)
    return tmp_path


@pytest.fixture
def steady(monkeypatch):
    """Pin what changes between runs: the run screen's clock and the toasts' lifetime."""
    from advisor.tui.screens import run

    monkeypatch.setattr(run, "clock", lambda: 1000.0)
    return monkeypatch


@pytest.fixture
def wide_output(monkeypatch):
    """Consoles wide enough that no line or file path wraps, writing to the captured streams (the CLI tests use it)."""
    from rich.console import Console

    from advisor.cli import output

    monkeypatch.setattr(output, "console", Console(width=400, highlight=False))
    monkeypatch.setattr(output, "err_console", Console(width=400, highlight=False, stderr=True))
