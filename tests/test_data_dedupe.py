"""`advisor data dedupe`: exact and near repeats inside one file dropped, the first of each kept, the input never touched."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from clirun import run_cli
from rapidfuzz import fuzz

from evals.data import NEAR_DUPLICATE_THRESHOLD, find_duplicates, load_jsonl, normalize_text
from evals.example import Example

BAD = Path(__file__).parent / "fixtures" / "bad_data"

# (question, answer, the line it repeats or None): lines 3, 5, 6 and 9 are planted repeats.
PLANTED = [
    ("Where is order 123?", "shipping", None),
    ("How do I reset my password?", "account", None),
    ("where is ORDER 124", "shipping", 1),  # near: one digit apart (94)
    ("Can I pay with PayPal?", "billing", None),
    ("How do I reset my password?", "account", 2),  # exact
    ("can i pay with paypal", "billing", 4),  # exact once case and punctuation are normalized
    ("My headphones arrived broken and I want a refund.", "refund", None),
    ("I want a refund for my broken headphones", "refund", None),  # a paraphrase is not a near-duplicate (45)
    ("How can I reset my password?", "account", 2),  # near (91)
    ("Do you ship to Norway?", "shipping", None),
]


pytestmark = pytest.mark.usefixtures("wide_output")


def run(capsys, *args: object) -> tuple[int, str, str]:
    return run_cli([str(a) for a in args], capsys)


def chat(question: str, answer: str = "ok") -> dict:
    return {"messages": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]}


def planted(path: Path) -> Path:
    path.write_text("".join(json.dumps(chat(q, a)) + "\n" for q, a, _ in PLANTED), encoding="utf-8")
    return path


def test_planted_repeats_are_dropped_the_first_of_each_kept_and_the_input_untouched(tmp_path, capsys):
    src, dst = planted(tmp_path / "data.jsonl"), tmp_path / "deduped.jsonl"
    before = src.read_bytes()
    code, out, err = run(capsys, "data", "dedupe", src, "--out", dst)
    assert code == 0, err
    assert src.read_bytes() == before
    kept = load_jsonl(dst)  # a valid chat JSONL file: no duplicate left for validate to flag
    assert [ex.user_text for ex in kept] == [q for q, _, repeats in PLANTED if repeats is None]
    report = [line.strip() for line in out.splitlines() if "repeats line" in line]
    assert report == [
        "line 3 repeats line 1 (similarity 94, near): 'where is ORDER 124' ~ 'Where is order 123?'",
        "line 5 repeats line 2 (similarity 100, exact): 'How do I reset my password?'",
        "line 6 repeats line 4 (similarity 100, exact): 'can i pay with paypal'",
        "line 9 repeats line 2 (similarity 91, near): 'How can I reset my password?' ~ 'How do I reset my password?'",
    ]
    assert f"dropped 4 lines of {src} (2 exact, 2 near); wrote 6 examples to {dst}" in out


def test_a_clean_file_is_copied_whole(tmp_path, capsys):
    src = tmp_path / "clean.jsonl"
    src.write_text("".join(json.dumps(chat(q)) + "\n" for q in ("Where is my card?", "Cancel my plan", "Do you ship to Norway?")))
    code, out, _ = run(capsys, "data", "dedupe", src, "--out", tmp_path / "out.jsonl")
    assert code == 0 and "no duplicates; wrote 3 examples" in out
    assert (tmp_path / "out.jsonl").read_text() == src.read_text()


def example(text: str, line: int) -> Example:
    return Example.model_validate({**chat(text), "line": line})


def test_a_chain_is_compared_with_kept_lines_only_and_questions_left_empty_repeat_nothing():
    # "abcdefghij" ~ "abcdefghik" (90) ~ "abcdefghkk" (90), but the first and the last are 80 apart.
    examples = [example(t, n) for n, t in enumerate(["abcdefghij", "abcdefghik", "abcdefghkk", "???", "?!"], start=1)]
    assert [(d.line, d.kept_line) for d in find_duplicates(examples)] == [(2, 1)]


def test_the_rule_is_the_leakage_rule_across_block_boundaries():
    """Against a brute-force oracle: rapidfuzz's ratio of normalized texts, the first kept line on a tie."""
    rng = random.Random(0)
    bases = [f"where is order {n} for customer {rng.randint(100, 999)}" for n in range(300)]
    texts = [rng.choice(bases) + rng.choice(["", "?", "!", " please", "s"]) for _ in range(1200)]
    examples = [example(t, n) for n, t in enumerate(texts, start=1)]
    norm = [normalize_text(t) for t in texts]
    kept: list[int] = []
    expected = []
    for i, text in enumerate(norm):
        best = max(kept, key=lambda j: (fuzz.ratio(text, norm[j]), -j), default=None)
        if best is not None and fuzz.ratio(text, norm[best]) >= NEAR_DUPLICATE_THRESHOLD:
            expected.append((i + 1, best + 1, fuzz.ratio(text, norm[best])))
        else:
            kept.append(i)
    found = find_duplicates(examples)
    assert [(d.line, d.kept_line) for d in found] == [(line, first) for line, first, _ in expected]
    assert [d.similarity for d in found] == pytest.approx([score for _, _, score in expected], abs=1e-3)
    assert any(d.line > 512 and not d.exact for d in found) and any(d.exact for d in found)


def test_the_output_may_not_be_the_input_even_with_force_or_by_another_name(tmp_path, capsys):
    src = planted(tmp_path / "data.jsonl")
    before = src.read_bytes()
    (tmp_path / "link.jsonl").symlink_to(src)
    for out in (src, tmp_path / "sub" / ".." / "data.jsonl", tmp_path / "link.jsonl"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        code, _, err = run(capsys, "data", "dedupe", src, "--out", out, "--force")
        assert code == 2 and f"{out}: the output would replace the input" in err and "pass another path to --out" in err
    assert src.read_bytes() == before and (tmp_path / "link.jsonl").is_symlink()


def test_an_existing_output_is_kept_unless_force(tmp_path, capsys):
    src, dst = planted(tmp_path / "data.jsonl"), tmp_path / "deduped.jsonl"
    dst.write_text("mine\n")
    code, _, err = run(capsys, "data", "dedupe", src, "--out", dst)
    assert code == 2 and f"{dst}: file exists and would be overwritten" in err and "--force" in err
    assert dst.read_text() == "mine\n"
    code, _, _ = run(capsys, "data", "dedupe", src, "--out", dst, "--force")
    assert code == 0 and len(load_jsonl(dst)) == 6


@pytest.mark.parametrize(
    "name, where",
    [
        ("missing.jsonl", "missing.jsonl: data set file not found. Fix: check the path"),
        ("not_json.jsonl", "not_json.jsonl:2: not valid JSON"),
        ("bad_role.jsonl", "bad_role.jsonl:2, field 'messages[1].role': unknown role"),
    ],
)
def test_bad_input_exits_2_naming_file_line_and_field_and_writes_nothing(tmp_path, capsys, name, where):
    dst = tmp_path / "out.jsonl"
    code, out, err = run(capsys, "data", "dedupe", BAD / name, "--out", dst)
    assert code == 2 and where in err and "Fix:" in err and "Traceback" not in out + err
    assert not dst.exists()


def test_a_file_that_is_not_jsonl_is_refused(tmp_path, capsys):
    src = tmp_path / "data.csv"
    src.write_text("question,answer\nWhere is my card?,card\n")
    code, _, err = run(capsys, "data", "dedupe", src, "--out", tmp_path / "out.jsonl")
    assert code == 2 and f"{src}:1: not valid JSON" in err and f"{src}:2: not valid JSON" in err
