"""The hosted fine-tuning path, through the real openai SDK against a loopback fake of the fine-tuning API.

The real API is unreachable here (no network), so these are contract tests: the fake implements the
endpoints the SDK calls (files, jobs, job events, chat completions) with the response shapes the
SDK's types parse, and counts every request, so resuming, failures and key handling are checked on
the wire. Whether OpenAI itself accepts the job is not tested.
"""

from __future__ import annotations

import json

import pytest
from fakes.openai_finetune_server import STATES, TRAINED_TOKENS, finetune_server

from advisor.rungs.finetune.settings import FinetuneSettings as Finetune
from evals.backends import GenerationParams, get_backend
from evals.errors import BackendError, InputError
from evals.example import Example
from evals.graders import make_grader
from evals.runner import Runner
from trainers._hosted import docs, hosted_backend_spec, train_openai
from trainers._hosted_result import HostedJobPending, HostedResult

BASE = "gpt-4o-mini-2024-07-18"
SETTINGS = Finetune(method="openai", model=BASE, epochs=2, seed=7)
SECRET = "sk-test-SECRET"
LABELS = ["billing", "refund", "bug", "account", "billing", "bug"]


def example(i: int, label: str) -> Example:
    return Example(
        messages=[
            {"role": "system", "content": "Classify the request."},
            {"role": "user", "content": f"request number {i}"},
            {"role": "assistant", "content": label},
        ],
        id=f"ex{i}",
        meta={"source": "test"},
    )


TRAIN = [example(i, label) for i, label in enumerate(LABELS)]


@pytest.fixture
def server():
    with finetune_server() as running:
        yield running


def run(server, out_dir, **options):
    return train_openai(TRAIN, SETTINGS, out_dir, base_url=server.base_url, poll_s=0.01, **options)


def test_upload_job_and_polling_give_the_model_id_and_trained_tokens(server, tmp_path):
    result = run(server, tmp_path)
    assert result.model_id == f"ft:{BASE}:advisor::abc123"
    assert (result.trained_tokens, result.status, result.job_id) == (TRAINED_TOKENS, "succeeded", "ftjob-1")
    assert result.events[0] == "Created fine-tuning job: ftjob-1" and result.events[-1] == "Job succeeded"
    assert json.loads(json.dumps(result.as_dict())) == result.as_dict()
    calls = server.app.calls
    assert (calls["POST /files"], calls["POST /fine_tuning/jobs"]) == (1, 1)
    assert calls["GET /fine_tuning/jobs/{id}"] == len(STATES) - 1
    # Epochs and seed only, under `method`; the local learning rate means nothing to the API.
    [request] = server.app.job_requests
    assert request["method"] == {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}}
    assert request["seed"] == 7 and "hyperparameters" not in request and "learning_rate_multiplier" not in json.dumps(request)


def test_uploaded_files_hold_only_messages(server, tmp_path):
    run(server, tmp_path, val=TRAIN[:2])
    uploaded = server.app.files
    assert server.app.bad_lines == [] and len(uploaded) == 2
    assert all(set(line) == {"messages"} for lines in uploaded.values() for line in lines)
    assert uploaded["file-1"][0]["messages"][1] == {"role": "user", "content": "request number 0"}
    assert server.app.job_requests[0]["validation_file"] == "file-2"
    written = [json.loads(line) for line in (tmp_path / "train.jsonl").read_text().splitlines()]
    assert written == uploaded["file-1"]


def test_progress_reports_states_in_order_and_tokens_at_the_end(server, tmp_path):
    ticks = []
    run(server, tmp_path, progress=ticks.append)
    order = [STATES.index(tick.status) for tick in ticks]
    assert order == sorted(order) and ticks[-1].status == "succeeded"
    assert [tick.elapsed_s for tick in ticks] == sorted(tick.elapsed_s for tick in ticks)
    assert [tick.trained_tokens for tick in ticks][-1] == TRAINED_TOKENS and ticks[0].trained_tokens is None
    assert sum((tick.new_events for tick in ticks), ())[-1] == "Job succeeded"


def test_an_interrupted_run_resumes_the_same_job_without_paying_twice(server, tmp_path):
    with pytest.raises(HostedJobPending, match="call again with the same output folder"):
        run(server, tmp_path, timeout_s=0)
    assert json.loads((tmp_path / "job.json").read_text())["job_id"] == "ftjob-1"
    result = run(server, tmp_path)
    calls = server.app.calls
    assert (calls["POST /files"], calls["POST /fine_tuning/jobs"], result.job_id) == (1, 1, "ftjob-1")
    assert len(result.events) == len(set(result.events)) == 4  # events seen before the stop are not repeated
    before = sum(calls.values())
    assert run(server, tmp_path) == result  # a finished job is read back from job.json
    assert sum(calls.values()) == before


def test_a_folder_tracking_a_running_job_of_other_data_is_not_reused(server, tmp_path):
    with pytest.raises(HostedJobPending):
        run(server, tmp_path, timeout_s=0)
    with pytest.raises(InputError, match="ftjob-1 of other data or settings"):
        train_openai(TRAIN[:3], SETTINGS, tmp_path, base_url=server.base_url, poll_s=0.01)
    assert server.app.calls["POST /fine_tuning/jobs"] == 1
    assert len((tmp_path / "train.jsonl").read_text().splitlines()) == len(TRAIN)  # the running job's data is kept


def test_a_failed_job_raises_with_its_message_and_the_next_call_retries(server, tmp_path):
    server.app.fail = "Training file has 6 example(s), but must have at least 10 examples"
    with pytest.raises(BackendError, match="ftjob-1 failed: Training file has 6 example"):
        run(server, tmp_path)
    assert json.loads((tmp_path / "job.json").read_text())["status"] == "failed"
    server.app.fail = None
    result = run(server, tmp_path)
    assert result.job_id == "ftjob-2" and server.app.calls["POST /files"] == 1  # the upload is reused


def test_the_api_key_is_sent_where_named_but_never_written(server, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with pytest.raises(HostedJobPending):
        run(server, tmp_path, timeout_s=0, api_key_env="OPENAI_API_KEY")  # the scenario names it for this server
    run(server, tmp_path, api_key_env="OPENAI_API_KEY")
    assert server.app.authorizations == {f"Bearer {SECRET}"}
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert {path.name for path in files} >= {"job.json", "train.jsonl"}
    assert not [path for path in files if SECRET in path.read_text()]


def test_a_loopback_server_needs_no_key_and_gets_none_unnamed(server, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)  # in the environment, but not named for this server
    run(server, tmp_path)
    assert server.app.authorizations == {"Bearer no-key-needed"}


def test_the_real_api_without_a_key_is_an_input_error_before_any_request(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(InputError) as info:
        train_openai(TRAIN, SETTINGS, tmp_path)
    [problem] = info.value.problems
    assert (problem.message, problem.field) == ("no API key in OPENAI_API_KEY", "ladder.finetune.method")
    assert problem.fix.startswith("export OPENAI_API_KEY=")
    assert not (tmp_path / "job.json").exists()


def test_settings_the_api_cannot_take_are_reported_together(tmp_path):
    settings = Finetune(method="openai", epochs=1.5)
    with pytest.raises(InputError) as info:
        train_openai(TRAIN, settings, tmp_path, base_url="http://127.0.0.1:9/v1")
    assert [p.field for p in info.value.problems] == ["ladder.finetune.model", "ladder.finetune.epochs"]


def test_the_fine_tuned_model_evaluates_through_the_openai_backend(server, tmp_path):
    result = run(server, tmp_path)
    spec = hosted_backend_spec(result.model_id, server.base_url)
    assert spec == f"openai:{server.base_url}#ft:{BASE}:advisor::abc123"
    unseen = [example(100, "billing"), example(101, "refund")]
    items = [(ex, [m.model_dump() for m in ex.prompt]) for ex in TRAIN + unseen]
    runner = Runner(get_backend(spec, backoff_s=0.01), make_grader("exact"), params=GenerationParams(max_tokens=4))
    rows = runner.run_sync(items, "finetune")
    # The fake answers what training taught it for seen requests and "unknown" otherwise.
    assert rows["error"].isna().all() and list(rows["output"][-2:]) == ["unknown", "unknown"]
    assert rows["score"].mean() == pytest.approx(len(TRAIN) / len(items))


def test_the_real_api_spec_names_the_model_alone():
    result = HostedResult("ft:gpt-4o-mini:org::x1", "ftjob-9", 10, 1.0, "succeeded", [])
    assert hosted_backend_spec(result.model_id) == "openai:ft:gpt-4o-mini:org::x1"
    assert "2027-01-06" in docs and "2027-01-14" in docs
