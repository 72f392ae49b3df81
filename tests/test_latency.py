"""Latency as served: a one-at-a-time probe after a warm-up, apart from the concurrent run; targets check bounds."""

from __future__ import annotations

import asyncio

import pytest
from test_ladder import LABELS, climb_with, write_scenario

from advisor.measure.latency import Probe
from evals.backends.base import Completion
from evals.errors import BackendError


class QueueingFake:
    """A scripted backend whose calls wait behind the ones in flight: 10 ms of work each, 5 s for the very first."""

    spec = "fake:queueing"
    identity = {"backend": "fake", "model": "queueing"}

    def __init__(self):
        self.calls = self.in_flight = 0

    async def complete(self, messages, params) -> Completion:
        self.calls += 1
        self.in_flight += 1
        try:
            await asyncio.sleep(0)  # let the other workers pile in
            latency = 5.0 if self.calls == 1 else 0.010 * self.in_flight
            topic = messages[-1]["content"].split()[-1]
            return Completion(LABELS[int(topic[1:]) % 3], 40, 2, latency)
        finally:
            self.in_flight -= 1


def test_the_probe_reports_one_call_at_a_time_not_the_queue_and_throughput_beside_it(tmp_path):
    record, _ = climb_with(write_scenario(tmp_path / "s"), tmp_path, backend=QueueingFake(), rungs=["zero_shot"], sequential=False)
    zero = record.rung("zero_shot")
    assert zero.latency_from == "probe" and zero.latency_ms["n"] == 20
    # alone, a call takes 10 ms; the warm-up's 5 s is not counted
    assert zero.latency_ms["p50"] == zero.latency_ms["p95"] == 10.0
    assert zero.latency_ms["p95_low"] <= zero.latency_ms["p95"] <= zero.latency_ms["p95_high"]
    assert zero.throughput["concurrency"] == 8 and zero.throughput["items_per_s"] > 0


def test_without_the_probe_the_run_latencies_show_the_queue(tmp_path):
    record, _ = climb_with(
        write_scenario(tmp_path / "s"), tmp_path, backend=QueueingFake(), rungs=["zero_shot"], sequential=False, latency_probe=0
    )
    zero = record.rung("zero_shot")
    assert zero.latency_from == "run" and zero.latency_ms["p95"] > 30.0  # the very first call and the queue


def test_a_latency_target_is_checked_on_the_upper_bound_of_the_probe():
    from test_reports import make_record

    from advisor.decide.targets import check
    from advisor.scenario.schema import Target

    rung = make_record().rung("few_shot")
    rung.latency_ms = Probe([0.1] * 18 + [0.2, 0.9]).summary(0.95)
    assert rung.latency_ms["p95"] < 600 < rung.latency_ms["p95_high"]
    result = check(rung, Target(metric="p95_latency_ms", max=600), 0.95)
    assert not result.passed and result.reason.startswith("upper bound ")
    cost = check(rung, Target(metric="cost_per_1k_calls_usd", max=1.0), 0.95)
    assert cost.reason.startswith("value ")  # a record without bounds compares the point, and says so


def test_a_cached_rerun_reports_the_same_probe_without_calling_the_model(tmp_path, run_cache):
    from advisor.run import RunOptions, climb
    from advisor.scenario.workspace import prepare

    ws = prepare(write_scenario(tmp_path / "s"))
    first = asyncio.run(climb(ws, RunOptions(tmp_path / "a", backend=QueueingFake(), rungs=["zero_shot"])))
    tripwire = QueueingFake()
    again = asyncio.run(climb(ws, RunOptions(tmp_path / "b", backend=tripwire, rungs=["zero_shot"])))
    assert tripwire.calls == 0
    assert again.rung("zero_shot").latency_ms == first.rung("zero_shot").latency_ms
    assert again.rung("zero_shot").throughput is None  # nothing was called, so no pace to report


def test_cost_bounds_bracket_the_point_and_a_cost_target_checks_the_upper(tmp_path):
    path = write_scenario(
        tmp_path / "s",
        targets=[{"metric": "cost_per_1k_calls_usd", "max": 1.0}],
        pricing={"input_per_1m": 10.0, "output_per_1m": 30.0, "hardware_per_hour": 3.6},
    )
    record, _ = climb_with(path, tmp_path, backend=QueueingFake(), rungs=["zero_shot"], sequential=False)
    zero = record.rung("zero_shot")
    low, high = zero.cost_per_1k_calls_bounds
    assert low <= zero.cost_per_1k_calls_usd <= high and low < high
    assert zero.checks[0].observed == high and zero.checks[0].reason.startswith("upper bound ")


def test_reports_show_the_probe_and_the_throughput_beside_it(tmp_path):
    from advisor.reports import render

    record, _ = climb_with(write_scenario(tmp_path / "s"), tmp_path, backend=QueueingFake(), rungs=["zero_shot"], sequential=False)
    md = render(record, "md")
    pace = record.rung("zero_shot").throughput["items_per_s"]
    assert f"| 10 / 10 · {pace:.1f}/s |" in md
    assert (
        "_p50 / p95: 20 calls one at a time after a warm-up, as a user would wait for them; "
        "/s: items per second during the run at concurrency 8._" in md
    )
    assert "20 calls one at a time" in render(record, "terminal") and "20 calls one at a time" in render(record, "html")


class StreamingFake(QueueingFake):
    """The queueing fake, also streaming: a probed call's first token comes after 4 ms of its 10 ms, of 4 output tokens.
    `refuses` makes it a server that does not stream."""

    spec = "fake:streaming"

    def __init__(self, refuses: bool = False):
        super().__init__()
        self.streamed, self.refuses = 0, refuses

    async def complete_streamed(self, messages, params) -> Completion:
        if self.refuses:
            raise BackendError("fake: HTTP 400 after 1 attempt(s): streaming is not supported")
        self.streamed += 1
        completion = await self.complete(messages, params)
        completion.output_tokens, completion.ttft_s = 4, completion.latency_s * 0.4
        return completion


def test_a_streaming_backend_s_probe_gives_ttft_and_output_pace_and_the_run_is_not_streamed(tmp_path):
    backend = StreamingFake()
    path = write_scenario(tmp_path / "s", targets=[{"metric": "ttft_p95_ms", "max": 600}])
    record, _ = climb_with(path, tmp_path, backend=backend, rungs=["zero_shot"], sequential=False)
    zero = record.rung("zero_shot")
    assert backend.streamed == 21 and backend.calls == 60 + 21  # the warm-up and 20 items; the run's 60 calls as they were
    ms = zero.latency_ms
    assert ms["ttft_p50"] == ms["ttft_p95"] == 4.0 and ms["ttft_p95_low"] <= 4.0 <= ms["ttft_p95_high"]
    assert ms["output_tokens_per_s"] == pytest.approx((4 - 1) / 0.006)
    check = zero.checks[0]
    assert check.passed and check.observed == ms["ttft_p95_high"] and check.reason.startswith("upper bound 4 <= 600")


def test_reports_show_the_ttft_beside_the_latency(tmp_path):
    from advisor.reports import render

    record, _ = climb_with(write_scenario(tmp_path / "s"), tmp_path, backend=StreamingFake(), rungs=["zero_shot"], sequential=False)
    pace = record.rung("zero_shot").throughput["items_per_s"]
    md = render(record, "md")
    assert f"| 10 / 10 · TTFT 4 / 4 · {pace:.1f}/s |" in md
    assert "as a user would wait for them; TTFT: p50 / p95 time to the first token of a streamed answer; /s:" in md
    for fmt in ("terminal", "html"):
        assert "TTFT 4 / 4" in render(record, fmt)


def test_a_server_that_does_not_stream_is_probed_whole_and_a_ttft_target_says_why_it_failed(tmp_path):
    path = write_scenario(tmp_path / "s", targets=[{"metric": "ttft_p95_ms", "max": 600}])
    record, _ = climb_with(path, tmp_path, backend=StreamingFake(refuses=True), rungs=["zero_shot"], sequential=False)
    zero = record.rung("zero_shot")
    assert zero.latency_from == "probe" and zero.latency_ms["p95"] == 10.0 and not any(k.startswith("ttft") for k in zero.latency_ms)
    assert not zero.checks[0].passed and zero.checks[0].reason.startswith("ttft_p95_ms was not measured: the time to the first token")


def test_a_cached_rerun_reports_the_same_ttft_without_calling_the_model(tmp_path, run_cache):
    from advisor.run import RunOptions, climb
    from advisor.scenario.workspace import prepare

    ws = prepare(write_scenario(tmp_path / "s"))
    first = asyncio.run(climb(ws, RunOptions(tmp_path / "a", backend=StreamingFake(), rungs=["zero_shot"])))
    tripwire = StreamingFake()
    again = asyncio.run(climb(ws, RunOptions(tmp_path / "b", backend=tripwire, rungs=["zero_shot"])))
    assert tripwire.calls == 0 and "ttft_p95" in first.rung("zero_shot").latency_ms
    assert again.rung("zero_shot").latency_ms == first.rung("zero_shot").latency_ms


def test_a_ttft_target_for_a_local_model_is_a_warning_naming_the_target(tmp_path):
    from advisor.scenario.checks import check_scenario

    path = write_scenario(tmp_path / "s", targets=[{"metric": "accuracy", "min": 0.5}, {"metric": "ttft_p95_ms", "max": 500}])
    (warning,) = [w for w in check_scenario(path).warnings if w.field == "targets.1"]
    assert "local:smollm2-135m" in warning.message and "advisor serve" in warning.fix and warning.line is not None


def test_the_wizard_asks_for_a_ttft_target_only_for_a_model_served_over_http():
    from advisor.tui.answers import Answers

    answers = Answers()
    assert "p95_latency_ms" in answers.visible_targets() and "ttft_p95_ms" not in answers.visible_targets()
    for model in ("openai:http://127.0.0.1:8000/v1#smollm2-135m", "local:smollm2-135m, openai:gpt-4o-mini"):
        answers.values["model"] = model
        assert "ttft_p95_ms" in answers.visible_targets()
    answers.values.update({"model": "openai:http://127.0.0.1:8000/v1#m", "target.ttft_p95_ms": "800"})
    assert [str(t) for t in answers.targets() if t.metric == "ttft_p95_ms"] == ["ttft_p95_ms <= 800.0"]
