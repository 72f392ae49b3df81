"""Conversion of CSV, prompt/completion and Alpaca data to chat JSONL: detection, mapping, safe writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.data import Columns, convert, load_jsonl
from evals.errors import InputError


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_csv_with_column_mapping_system_text_and_ids(tmp_path):
    src = tmp_path / "tickets.csv"
    src.write_text('ticket,text,intent\nT1,"Where is my parcel, please?",shipping\nT2,I want a refund,refund\n', encoding="utf-8")
    dst = tmp_path / "out" / "chat.jsonl"
    columns = Columns(input="text", output="intent", system="Classify the ticket.", id="ticket")
    examples = convert(src, dst, columns=columns)
    assert len(examples) == 2
    assert _lines(dst)[0] == {
        "messages": [
            {"role": "system", "content": "Classify the ticket."},
            {"role": "user", "content": "Where is my parcel, please?"},
            {"role": "assistant", "content": "shipping"},
        ],
        "id": "T1",
    }
    assert [ex.expected for ex in load_jsonl(dst)] == ["shipping", "refund"]


def test_csv_system_column_and_default_column_names(tmp_path):
    src = tmp_path / "qa.csv"
    src.write_text("question,answer,persona\nWho wrote Hamlet?,Shakespeare,Be terse.\n", encoding="utf-8")
    convert(src, tmp_path / "qa.jsonl", columns=Columns(system_col="persona"))
    assert [m["role"] for m in _lines(tmp_path / "qa.jsonl")[0]["messages"]] == ["system", "user", "assistant"]


def test_csv_unknown_column_is_one_problem_naming_the_columns(tmp_path):
    src = tmp_path / "data.csv"
    src.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        convert(src, tmp_path / "out.jsonl", columns=Columns(input="a", output="label"))
    [problem] = caught.value.problems
    assert "no column 'label'" in problem.message and "--output-col" in problem.fix and "a, b" in problem.fix
    assert not (tmp_path / "out.jsonl").exists()


def test_empty_cells_are_reported_with_their_rows(tmp_path):
    src = tmp_path / "data.csv"
    src.write_text("input,output\nhello,greet\n,leave\nbye,\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        convert(src, tmp_path / "out.jsonl")
    assert [(p.line, p.field) for p in caught.value.problems] == [(3, "input"), (4, "output")]


def test_prompt_completion_jsonl_is_detected_and_stripped(tmp_path):
    src = tmp_path / "legacy.jsonl"
    src.write_text(json.dumps({"prompt": "Great movie!\n\n###\n\n", "completion": " positive\n"}) + "\n", encoding="utf-8")
    convert(src, tmp_path / "chat.jsonl")
    assert _lines(tmp_path / "chat.jsonl")[0]["messages"] == [
        {"role": "user", "content": "Great movie!\n\n###"},
        {"role": "assistant", "content": "positive"},
    ]


def test_alpaca_json_array_joins_instruction_and_input(tmp_path):
    src = tmp_path / "alpaca.json"
    records = [
        {"instruction": "Translate to French.", "input": "cat", "output": "chat"},
        {"instruction": "Name a colour.", "input": "", "output": "blue", "system": "Answer in one word."},
    ]
    src.write_text(json.dumps(records), encoding="utf-8")
    convert(src, tmp_path / "chat.jsonl")
    first, second = _lines(tmp_path / "chat.jsonl")
    assert first["messages"][0] == {"role": "user", "content": "Translate to French.\n\ncat"}
    assert second["messages"][0] == {"role": "system", "content": "Answer in one word."}
    assert second["messages"][1]["content"] == "Name a colour."


def test_alpaca_item_without_output_is_located_by_its_index(tmp_path):
    src = tmp_path / "alpaca.json"
    src.write_text(json.dumps([{"instruction": "a", "output": "b"}, {"instruction": "c"}]), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        convert(src, tmp_path / "chat.jsonl")
    assert [p.field for p in caught.value.problems] == ["[1].output"]


def test_forced_format_maps_columns_of_a_jsonl_file(tmp_path):
    src = tmp_path / "rows.jsonl"
    src.write_text(json.dumps({"q": "2+2?", "a": 4}) + "\n", encoding="utf-8")
    convert(src, tmp_path / "chat.jsonl", fmt="csv", columns=Columns(input="q", output="a"))
    assert _lines(tmp_path / "chat.jsonl")[0]["messages"][1] == {"role": "assistant", "content": "4"}


def test_unknown_layout_and_chat_input_are_refused_with_the_fix(tmp_path):
    src = tmp_path / "rows.jsonl"
    src.write_text(json.dumps({"q": "x", "a": "y"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="cannot tell the format") as caught:
        convert(src, tmp_path / "chat.jsonl")
    assert "--from" in caught.value.problems[0].fix
    src.write_text(json.dumps({"messages": []}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="already chat JSONL"):
        convert(src, tmp_path / "chat.jsonl")


def test_existing_output_is_kept_unless_forced(tmp_path):
    src = tmp_path / "data.csv"
    src.write_text("input,output\nhello,greet\n", encoding="utf-8")
    dst = tmp_path / "chat.jsonl"
    dst.write_text("precious\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        convert(src, dst)
    assert Path(caught.value.problems[0].file) == dst and "--force" in caught.value.problems[0].fix
    assert dst.read_text(encoding="utf-8") == "precious\n"
    convert(src, dst, force=True)
    assert _lines(dst)[0]["messages"][1]["content"] == "greet"


def test_an_interrupted_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    import evals.data._write as write

    src = tmp_path / "data.csv"
    src.write_text("input,output\nhello,greet\n", encoding="utf-8")
    dst = tmp_path / "chat.jsonl"
    dst.write_text("old\n", encoding="utf-8")

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(write.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        convert(src, dst, force=True)
    assert dst.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chat.jsonl", "data.csv"]


def test_output_may_not_replace_the_input_even_with_force(tmp_path):
    src = tmp_path / "data.csv"
    src.write_text("input,output\nhello,greet\n", encoding="utf-8")
    with pytest.raises(InputError, match="replace the input"):
        convert(src, src, force=True)
