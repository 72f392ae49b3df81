"""`advisor compare` on the embedded model: the shipped support-intents few-shot against a worse prompt.

The worse variant shows one random train example instead of eight similar ones. Slow (two few-shot runs
of the real model); opt in with `-m slow`.
"""

from __future__ import annotations

import json

import pytest
import yaml
from clirun import run_cli
from conftest import SCENARIOS

LIMIT = "80"


@pytest.mark.slow
def test_one_random_shot_is_a_significant_regression_from_eight_similar_ones(tmp_path, capsys, embedded_model):
    shipped = SCENARIOS / "support-intents.yaml"
    worse = yaml.safe_load(shipped.read_text())
    worse["ladder"]["few_shot"] = {"k": 1, "select": "random"}
    worse["data"] = {k: str(SCENARIOS / v) for k, v in worse["data"].items()}
    (tmp_path / "worse.yaml").write_text(yaml.safe_dump(worse))
    args = ["run", "--rungs", "few_shot", "--limit", LIMIT, "--ci"]
    code, out, err = run_cli([*args[:1], str(shipped), *args[1:], "--out", str(tmp_path / "base")], capsys)
    assert code in (0, 1), err
    code, out, err = run_cli([*args[:1], str(tmp_path / "worse.yaml"), *args[1:], "--out", str(tmp_path / "new"), "--force"], capsys)
    assert code in (0, 1), err
    code, out, _ = run_cli(["compare", str(tmp_path / "base"), str(tmp_path / "new"), "--gate", "--json", str(tmp_path / "c.json")], capsys)
    print(out)
    few = next(r for r in json.loads((tmp_path / "c.json").read_text())["rungs"] if r["rung"] == "few_shot")
    accuracy = few["metrics"][0]
    assert code == 1 and accuracy["verdict"] == "worse" and accuracy["upper"] < -0.02
    assert few["broken"] > few["fixed"] and few["broken_items"]
    assert run_cli(["compare", str(tmp_path / "base"), str(tmp_path / "base"), "--gate"], capsys)[0] == 0
