"""Writing scenario.yaml from the wizard, keeping the rungs the user left out of the ladder."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..record import RUNG_ORDER
from ..scenario import Scenario
from ..scenario_file import dump_scenario


def write_scenario(scenario: Scenario, path: Path, *, force: bool = False) -> Path:
    """`dump_scenario`, then `rung: null` for each rung left out (a missing key would switch it back on)."""
    path = dump_scenario(scenario, path, force=force)
    left_out = [r for r in RUNG_ORDER if getattr(scenario.ladder, r) is None]
    if left_out:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["ladder"] = {r: data.get("ladder", {}).get(r) for r in RUNG_ORDER}
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
