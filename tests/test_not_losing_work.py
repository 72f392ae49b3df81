"""Not losing work: one run per folder, atomic writes that never hold a key, torn state redone, Ctrl+C resumable."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from clirun import run_cli

from advisor.run.lock import LOCK_FILE, run_lock
from evals.data import read_saved, write_atomic
from evals.errors import InputError
from evals.kinds import knowledge_files
from evals.secrets import register_secret


def scenario(folder: Path) -> Path:
    rows = [{"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "yes"}]} for i in range(4)]
    (folder / "eval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    path = folder / "s.yaml"
    path.write_text(
        "name: locked\ntask: {kind: qa}\ndata: {eval: eval.jsonl}\ngrader: {kind: exact}\n"
        "targets: [{metric: accuracy, min: 0.5}]\nmodel: 'openai:http://127.0.0.1:9/v1#m'\n"
    )
    return path


def test_a_second_run_into_a_locked_folder_is_refused_naming_the_holder(tmp_path, capsys):
    out = tmp_path / "run"
    with run_lock(out):
        code, _, err = run_cli(["run", str(scenario(tmp_path)), "--out", str(out), "--ci"], capsys)
    assert code == 2
    assert "another run is writing into" in err and f"pid {os.getpid()}" in err and LOCK_FILE in err
    with run_lock(out):  # released when the holder finished
        pass
    assert not (out / LOCK_FILE).exists()  # and the folder is left as the run wrote it


def test_ctrl_c_prints_the_resume_hint_and_exits_130(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("evals.stats.plan_text", interrupted)
    code, _, err = run_cli(["plan", "0.9"], capsys)
    assert code == 130 and "run the same command again to resume" in err and "Aborted" not in err


def test_atomic_writes_scrub_registered_keys_and_name_an_unwritable_path(tmp_path):
    secret = "sk-write-test-0123456789"
    register_secret(secret)
    path = write_atomic(tmp_path / "out.json", f'{{"error": "you sent Bearer {secret}"}}')
    assert secret not in path.read_text() and "***" in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary file left behind
    (tmp_path / "folder").mkdir()
    with pytest.raises(InputError) as info:
        write_atomic(tmp_path / "folder", "x")
    assert info.value.problems[0].file == tmp_path / "folder"


def test_a_torn_rung_state_is_redone_not_a_traceback(tmp_path):
    from advisor.rungs.finetune.train import _finished

    (tmp_path / "adapter").mkdir()
    (tmp_path / "adapter" / "adapter_config.json").write_text("{}")
    (tmp_path / "rung.json").write_text('{"stamp": "abc", "training": {"meth')  # killed mid-write
    assert read_saved(tmp_path / "rung.json") is None
    assert _finished(tmp_path, tmp_path / "adapter", "abc") is None


def test_knowledge_documents_match_their_suffix_in_any_case(tmp_path):
    for name in ("FAQ.MD", "notes.txt", "docs.JSONL", "image.png"):
        (tmp_path / name).write_text("x")
    assert [p.name for p in knowledge_files(tmp_path)] == ["FAQ.MD", "docs.JSONL", "notes.txt"]
