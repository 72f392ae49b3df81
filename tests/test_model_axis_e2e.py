"""The model axis end to end with two real backends: the embedded SmolLM2 (local, fine-tuned with LoRA) and a
loopback OpenAI-compatible "large model" priced high (a scripted fake that answers right, over real HTTP).

One run per volume on the same data: at 100,000 calls a day the tuned small model is the cheaper passing cell,
at 100 calls a day the big model's zero-shot. The second run reuses the adapter and the cached answers, so the
pair costs one short training: 24 LoRA steps, the canary check and 30 answers (about 5 min on 2 busy cores).
"""

from __future__ import annotations

import math

import pytest
from fakes.openai_server import FakeOpenAIServer
from test_model_axis import axis_rows, axis_scenario

from advisor.record.run import load_record

SMALL = "local:smollm2-135m"
FINETUNE = {
    "r": 8,
    "alpha": 16,
    "epochs": 1,
    "lr": 1.0e-3,
    "batch_size": 4,
    "grad_accum": 1,
    "val_fraction": 0.05,
    "prompt": "full",
    "forgetting_threshold": 1.0,
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, embedded_model):
    """The same scenario at 100,000 and at 100 calls a day, into one run folder: {volume: (exit status, record)}."""
    folder = tmp_path_factory.mktemp("axis")
    out, found = folder / "out", {}
    with FakeOpenAIServer() as big:
        models = [
            {"model": f"openai:{big.base_url}#big", "pricing": {"input_per_1m": 10.0, "output_per_1m": 30.0}},
            {"model": SMALL, "pricing": {"hardware_per_hour": 0.05}, "rungs": ["finetune"]},
        ]
        for volume in (100_000, 100):
            path = axis_scenario(folder, models, volume, ladder={"finetune": FINETUNE}, generation={"max_tokens": 4})
            (folder / "train.jsonl").write_text(axis_rows("t", 100))  # the fine-tune needs 100 or more
            args = ["run", str(path), "--out", str(out), "--ci", "--full", "--no-sequential", "--latency-probe", "0"]
            found[volume] = (_run(args), load_record(out / "run.json"))
    return found


def _run(args: list[str]) -> int:
    from advisor.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(args)
    return exit_.value.code


def test_at_high_volume_the_tuned_small_model_is_recommended(runs):
    code, record = runs[100_000]
    big = record.models[0]
    assert code == 0 and record.recommendation.model == SMALL and record.recommendation.rung == "finetune"
    zero, tuned = record.rung("zero_shot", big), record.rung("finetune", SMALL)
    assert zero.meets_targets and tuned.meets_targets and tuned.training is not None
    frontier = record.frontier
    api, hosted = frontier.cell(big, "zero_shot"), frontier.cell(SMALL, "finetune")
    # Always-on replicas for 100,000 calls at the measured machine time (one, unless the machine is very slow), training once.
    assert hosted.replicas == max(1, math.ceil(100_000 * tuned.machine_s_per_call / 86_400))
    assert (
        hosted.total_usd == pytest.approx(hosted.replicas * 0.05 * 24 * 365 + tuned.training.cost_usd) and hosted.total_usd < api.total_usd
    )
    assert api.total_usd == pytest.approx(api.per_call_usd * 100_000 * 365) and api.replicas == 0
    assert hosted.pareto and hosted.quality == tuned.metrics["accuracy"].lower
    [cross] = frontier.crossovers
    assert cross.cheaper_below == (big, "zero_shot") and cross.cheaper_above == (SMALL, "finetune") and 100 < cross.calls_per_day < 100_000
    assert f"cross at {cross.calls_per_day:,.0f} calls/day" in " ".join(record.recommendation.rationale)


def test_at_low_volume_the_big_model_is_recommended_from_the_same_cells(runs):
    code, record = runs[100]
    big = record.models[0]
    assert code == 0 and record.recommendation.model == big and record.recommendation.rung == "zero_shot"
    before = runs[100_000][1]
    assert record.rung("finetune", SMALL).training == before.rung("finetune", SMALL).training  # the adapter was reused
    api, hosted = record.frontier.cell(big, "zero_shot"), record.frontier.cell(SMALL, "finetune")
    assert api.total_usd < hosted.total_usd and api.pareto and record.frontier.calls_per_day == 100
    [cross], [cross_before] = record.frontier.crossovers, before.frontier.crossovers
    assert cross.calls_per_day == pytest.approx(cross_before.calls_per_day)  # where the lines cross does not depend on the volume
