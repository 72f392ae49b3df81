"""`--repeat N`: pass^N and agreement over N samples per item, and paired tests on per-item means."""

from __future__ import annotations

import pandas as pd
from scipy.stats import binomtest
from test_ladder import PromptAwareFake, climb_with, write_scenario

from advisor.measure.repeats import item_scores, repeat_summary


def test_pass_all_agreement_and_mean_against_a_hand_count():
    rows = pd.DataFrame(
        {
            "id": ["a", "a", "a", "b", "b", "b", "c", "c", "c"],
            "repeat": [0, 1, 2] * 3,
            "score": [1, 1, 1, 1, 0, 1, 0, 0, 0],
            "output": ["x", "x", "x", "y", "z", "y", "w", "w", "w"],
        }
    )
    summary = repeat_summary(rows, 0.95)
    interval = binomtest(1, 3).proportion_ci(0.95, method="wilson")
    assert (summary["n"], summary["items"], summary["agreement"]) == (3, 3, 2 / 3)
    assert summary["pass_all"]["value"] == 1 / 3 and abs(summary["pass_all"]["lower"] - interval.low) < 1e-9
    assert summary["mean_score"] == 5 / 9
    assert item_scores(rows) == {"a": 1.0, "b": 2 / 3, "c": 0.0}
    assert repeat_summary(rows[rows["repeat"] == 0], 0.95) is None


class Flaky(PromptAwareFake):
    """Wrong the first time it sees a prompt, right after: repeats disagree, and no item passes every sample."""

    seen: set

    async def complete(self, messages, params):
        completion = await super().complete(messages, params)
        key = messages[-1]["content"]
        if key not in self.__dict__.setdefault("seen", set()):
            self.seen.add(key)
            completion.text = "I'm not sure"
        return completion


def test_a_repeated_run_makes_n_calls_per_item_and_records_pass_all(tmp_path):
    backend = Flaky()
    record, _ = climb_with(
        write_scenario(tmp_path / "s", n_eval=20), tmp_path, backend=backend, rungs=["few_shot"], repeat=3, latency_probe=0
    )  # the probe would add its own calls
    few = record.rung("few_shot")
    assert backend.calls == 60 and few.repeat["n"] == 3 and few.repeat["items"] == 20
    assert few.repeat["pass_all"]["value"] == 0 and few.repeat["agreement"] == 0
