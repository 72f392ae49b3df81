"""Knowledge chunks, source matching, rank fusion, the recall@k curve and grounding: no model involved."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from advisor.scenario.sources import source_warnings
from evals.data import load_jsonl
from evals.example import Example
from evals.strategies import (
    BM25Retriever,
    Chunk,
    Hit,
    SourceIndex,
    chunk_text,
    citations,
    fuse,
    ground,
    is_grounded,
    load_knowledge,
    retrieval_curve,
    strip_citations,
)

TOPICS = {
    "harbor": "The harbor lighthouse was built in 1871 and painted red and white.",
    "orchard": "The orchard grows forty kinds of apples, harvested every September.",
    "glacier": "The glacier retreats about twelve metres each year since records began.",
    "railway": "The mountain railway climbs 1,200 metres through nine tunnels.",
}
QUESTIONS = {
    "harbor": "When was the harbor lighthouse built?",
    "orchard": "How many kinds of apples does the orchard grow?",
    "glacier": "How fast does the glacier retreat?",
    "railway": "How many tunnels does the mountain railway pass?",
}


def make_kb(folder: Path) -> Path:
    """harbor and orchard at the top, glacier in sub/, railway as a JSONL document."""
    (folder / "sub").mkdir(parents=True)
    (folder / "harbor.txt").write_text(TOPICS["harbor"])
    (folder / "orchard.md").write_text(TOPICS["orchard"])
    (folder / "sub" / "glacier.txt").write_text(TOPICS["glacier"])
    (folder / "more.jsonl").write_text(json.dumps({"id": "railway-doc", "text": TOPICS["railway"]}) + "\n")
    return folder


def question(topic: str, source) -> Example:
    return Example.model_validate(
        {"messages": [{"role": "user", "content": QUESTIONS[topic]}, {"role": "assistant", "content": "x"}], "meta": {"source": source}}
    )


def test_chunks_are_windows_of_the_size_that_share_the_overlap_and_cover_every_token():
    text = " ".join(f"w{i}" for i in range(50))
    pieces = chunk_text(text, 16, 4)
    windows = [p.split() for p in pieces]
    assert all(len(w) == 16 for w in windows[:-1]) and windows[-1][-1] == "w49"
    assert all(a[-4:] == b[:4] for a, b in zip(windows, windows[1:]))
    assert sorted({t for w in windows for t in w}, key=lambda t: int(t[1:])) == text.split()
    assert chunk_text("short text", 16, 4) == ["short text"] and chunk_text("  \n ", 16, 4) == []


def test_a_document_answers_to_its_path_its_stem_its_file_name_and_a_jsonl_id(tmp_path):
    index = SourceIndex(load_knowledge(make_kb(tmp_path / "kb")))
    assert {index.resolve(n) for n in ("sub/glacier.txt", "sub/glacier", "glacier.txt", "glacier", "glacier#0")} == {"sub/glacier.txt"}
    assert {index.resolve(n) for n in ("harbor", "harbor.txt", "./harbor.txt")} == {"harbor.txt"}
    assert index.resolve("railway-doc") == "railway-doc" and index.resolve("nyt_0123") is None


@pytest.mark.parametrize("form", ["glacier", "glacier.txt", "sub/glacier.txt"])
def test_sources_written_as_doc_doc_txt_or_sub_doc_txt_give_the_same_recall(tmp_path, form):
    chunks = load_knowledge(make_kb(tmp_path / "kb"))
    examples = [question("glacier", form), question("harbor", "harbor"), question("railway", ["railway-doc"])]
    curve = retrieval_curve(BM25Retriever(chunks), examples, SourceIndex(chunks))
    assert (curve.n, curve.unmatched) == (3, 0)
    assert curve.recall[0] == 1.0 and curve.mrr[-1] == 1.0


def test_sources_that_match_no_document_are_a_data_problem_not_a_zero_recall(tmp_path):
    kb = make_kb(tmp_path / "kb")
    chunks = load_knowledge(kb)
    examples = [question("glacier", "nyt_0001"), question("harbor", "nyt_0002.txt")]
    curve = retrieval_curve(BM25Retriever(chunks), examples, SourceIndex(chunks))
    assert (curve.n, curve.with_source, curve.unmatched, curve.recall) == (0, 2, 2, [])
    eval_file = tmp_path / "eval.jsonl"
    [warning] = source_warnings([e.model_copy(update={"line": 3}) for e in examples], kb, eval_file)
    assert "no eval meta.source matches any knowledge document" in warning.message and "'nyt_0001'" in warning.message
    assert (warning.file, warning.line, warning.field) == (eval_file, 3, "meta.source")
    assert "without its suffix" in warning.message and "harbor.txt" in warning.fix


def test_recall_and_mrr_at_k_follow_the_rank_of_the_source():
    chunks = [Chunk(f"d{i}#0", f"d{i}.txt", f"common words doc{i}") for i in range(12)]

    class Fixed:  # ranks d0, d1, ... d11 for every query
        def hits(self, query, k):
            return [Hit(c, 1.0) for c in chunks[:k]]

    examples = [
        Example.model_validate(
            {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], "meta": {"source": f"d{r}"}}
        )
        for r in (0, 2, 11)
    ]
    curve = retrieval_curve(Fixed(), examples, SourceIndex(chunks))
    assert curve.recall[0] == pytest.approx(1 / 3) and curve.recall[2] == pytest.approx(2 / 3) and curve.recall[9] == pytest.approx(2 / 3)
    assert curve.mrr[2] == pytest.approx((1 + 1 / 3) / 3)


def test_reciprocal_rank_fusion_sums_one_over_60_plus_rank():
    a, b, c = (Chunk(i, i, i) for i in "abc")
    fused = fuse([[Hit(a, 9.0), Hit(b, 5.0)], [Hit(b, 0.9), Hit(c, 0.8)]], 3)
    assert [h.chunk.id for h in fused] == ["b", "a", "c"]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61) and fused[1].score == pytest.approx(1 / 61)


def test_citations_are_read_and_removed_in_the_stated_form():
    assert citations("6.8 kg [thunderbox-500] [faq, returns#0] [thunderbox-500]") == ["thunderbox-500", "faq", "returns#0"]
    assert strip_citations("6.8 kg [thunderbox-500]") == "6.8 kg" and citations("no brackets") == []


def test_grounded_catches_an_answer_that_is_not_in_the_context():
    context = "The Thunderbox 500 weighs 6.8 kg. Its warranty is 36 months."
    assert is_grounded("6.8 kg [thunderbox-500]", context)
    assert is_grounded("36 Months.", context)
    assert not is_grounded("7.2 kg [thunderbox-500]", context)  # cited, fluent, and made up
    assert not is_grounded("6.8", "It weighs 16.8 kg.")  # whole words only
    assert not is_grounded("", context) and is_grounded("unknown", context)


def test_citation_precision_and_recall_score_the_cited_documents_against_the_source(tmp_path):
    index = SourceIndex(load_knowledge(make_kb(tmp_path / "kb")))
    gold = {"sub/glacier.txt"}
    right = ground("twelve metres [glacier]", TOPICS["glacier"], ["sub/glacier.txt"], gold, index)
    assert (right.citation_precision, right.citation_recall, right.grounded, right.retrieval_hit) == (1.0, 1.0, True, True)
    half = ground("twelve metres [glacier][harbor]", TOPICS["harbor"], ["harbor.txt"], gold, index)
    assert (half.citation_precision, half.citation_recall, half.grounded, half.retrieval_hit) == (0.5, 1.0, False, False)
    none = ground("twelve metres", TOPICS["glacier"], ["sub/glacier.txt"], gold, index)
    assert (none.citation_precision, none.citation_recall) == (0.0, 0.0)
    unsourced = ground("x [glacier]", "", [], None, index)
    assert unsourced.citation_recall is None and unsourced.retrieval_hit is None


def test_the_faq_sources_all_match_and_bm25_ranks_them_first():
    faq = Path(__file__).resolve().parent.parent / "scenarios" / "product-faq"
    chunks = load_knowledge(faq / "kb")
    curve = retrieval_curve(BM25Retriever(chunks), load_jsonl(faq / "eval.jsonl"), SourceIndex(chunks))
    assert curve.unmatched == 0 and curve.n == 100 and curve.recall[2] >= 0.95
    assert all(re.fullmatch(r"[\w.-]+#\d+", c.id) for c in chunks)
