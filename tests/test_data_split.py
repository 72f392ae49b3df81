"""Seeded splits: deterministic to the byte, stratified by label, every example kept exactly once."""

from __future__ import annotations

from collections import Counter

import pytest

from evals.data import split, write_jsonl
from evals.errors import InputError
from evals.example import Example, Message


def _examples(labels: list[str]) -> list[Example]:
    return [
        Example(messages=[Message(role="user", content=f"question {i}"), Message(role="assistant", content=label)], id=f"q{i}", line=i + 1)
        for i, label in enumerate(labels)
    ]


LABELS = ["a"] * 60 + ["b"] * 30 + ["c"] * 10


def test_same_seed_same_bytes_other_seed_other_split(tmp_path):
    examples = _examples(LABELS)
    outputs = []
    for run, seed in enumerate([7, 7, 8]):
        train, held_out = split(examples, 0.3, seed, stratify_by_label=True)
        write_jsonl(train, tmp_path / f"train{run}.jsonl")
        write_jsonl(held_out, tmp_path / f"eval{run}.jsonl")
        outputs.append((tmp_path / f"train{run}.jsonl").read_bytes() + (tmp_path / f"eval{run}.jsonl").read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0] != outputs[2]


def test_stratified_split_keeps_label_shares_and_every_example_once():
    examples = _examples(LABELS)
    train, held_out = split(examples, 0.3, 0, stratify_by_label=True)
    assert Counter(ex.expected for ex in held_out) == {"a": 18, "b": 9, "c": 3}
    assert sorted(ex.id for ex in train + held_out) == sorted(ex.id for ex in examples)
    assert [ex.line for ex in train] == sorted(ex.line for ex in train)  # input order kept


def test_unstratified_split_has_the_requested_size():
    train, held_out = split(_examples(LABELS), 0.25, 3)
    assert (len(train), len(held_out)) == (75, 25)


def test_rounding_across_labels_still_hits_the_total():
    train, held_out = split(_examples(["x"] * 5 + ["y"] * 5 + ["z"] * 5), 0.5, 1, stratify_by_label=True)
    assert len(held_out) == 8 and len(train) == 7


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_fraction_outside_the_open_interval_is_an_input_error(fraction):
    with pytest.raises(InputError, match="outside"):
        split(_examples(LABELS), fraction, 0)


def test_one_example_cannot_be_split():
    with pytest.raises(InputError, match="cannot split 1 example"):
        split(_examples(["a"]), 0.5, 0)
