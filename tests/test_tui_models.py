"""The wizard and the model axis: "Which models could you use?" takes several models, and the results show the
models x rungs matrix (Pilot, with a scripted ladder that returns a real run across two loopback servers)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from clirun import run_cli
from fakes.openai_server import FakeOpenAIServer
from test_model_axis import axis_scenario, two_models
from test_tui_fakes import ScriptedLadder, until
from test_tui_pilot import answer, question, shipped

from advisor.record.run import load_record
from advisor.tui import create_app
from advisor.tui.screens.interview import InterviewScreen
from advisor.tui.screens.results import ResultsScreen


@pytest.fixture
def across_models(tmp_path, capsys, run_cache):
    """A run.json measured across a big API model and a small hosted one (zero-shot and few-shot, 1M calls/day)."""
    with FakeOpenAIServer() as big, FakeOpenAIServer() as small:
        path = axis_scenario(tmp_path / "axis", two_models(big, small), 1_000_000)
        out = tmp_path / "axis" / "out"
        run_cli(["run", str(path), "--out", str(out), "--ci", "--no-sequential", "--full", "--rungs", "zero_shot,few_shot"], capsys)
    return load_record(out / "run.json")


async def test_the_wizard_asks_which_models_and_the_results_show_the_matrix(workdir: Path, steady, across_models):
    job = ScriptedLadder(record=across_models, script=[], rest=[])
    app = create_app(make_job=job, runs_dir=workdir / "runs", shipped=shipped(workdir))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, InterviewScreen), timeout=60)
        assert question(app, "model").label == "Which models could you use?"
        await answer(pilot, "model", "local:smollm2-135m, openai:http://127.0.0.1:9/v1#big")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ResultsScreen), timeout=60)
        matrix = str(app.screen.query_one("#matrix").render())
        small = across_models.frontier.cell(across_models.models[1], "zero_shot")
        assert "model" in matrix and "zero-shot" in matrix and "few-shot" in matrix
        assert f"{small.quality:.3f} · ${small.per_1m_calls_usd:,.2f} ✓ ★" in matrix
        assert "zero-shot on small" in str(app.screen.query_one("#verdict").render())
    saved = yaml.safe_load((workdir / "runs" / "support-intents" / "scenario.yaml").read_text())
    assert "model" not in saved and [m["model"] for m in saved["models"]] == ["local:smollm2-135m", "openai:http://127.0.0.1:9/v1#big"]
