"""Shared fixtures: an offline environment and one converted copy of the embedded model per machine."""

from __future__ import annotations

import os
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
