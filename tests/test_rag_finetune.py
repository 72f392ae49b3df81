"""The RAG + fine-tune rung (RAFT): its training contexts, and the rung on the ladder."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml
from clirun import run_cli
from conftest import copy_shipped

from advisor.record.run import load_record
from advisor.record.samples import read
from advisor.rungs.rag_finetune import raft_contexts, raft_train
from advisor.scenario.workspace import prepare
from evals.strategies import Rag, SourceIndex, load_knowledge, make_retriever


@pytest.fixture(scope="module")
def faq(tmp_path_factory):
    """The shipped product-FAQ workspace and a BM25 Rag over its knowledge, top 3."""
    path = copy_shipped("product-faq", tmp_path_factory.mktemp("faq"))
    ws = prepare(path)
    rag = Rag(make_retriever("bm25", load_knowledge(ws.scenario.data.knowledge)), 3, ws.system_prompt, qa=True, cite=True)
    return ws, rag


def test_a_share_of_questions_sees_its_passage_among_distractors_and_the_rest_distractors_only(faq):
    ws, rag = faq
    shown = raft_contexts(ws.train_set, rag, gold_share=0.8, seed=0)
    index = SourceIndex(rag.retriever.chunks)
    kept = 0
    for example in ws.train_set:
        context = shown[example.user_text]
        gold_docs = index.gold(example)
        assert gold_docs and len(context.hits) == 3  # every shipped train question names its document
        with_gold = [h for h in context.hits if h.chunk.source in gold_docs]
        if context.gold is not None:
            kept += 1
            assert [h.chunk for h in with_gold] == [context.gold]  # the answering passage once, among 2 distractors
            assert any(a.lower() in context.gold.text.lower() for a in example.answers)
        else:
            assert not with_gold  # distractors only
    share = kept / len(ws.train_set)
    assert 0.7 <= share <= 0.9  # 0.8 of them, drawn at random
    positions = Counter(
        next(i for i, h in enumerate(shown[e.user_text].hits) if h.chunk == shown[e.user_text].gold)
        for e in ws.train_set
        if shown[e.user_text].gold
    )
    assert len(positions) == 3  # the answering passage is not always first


def test_the_shares_follow_the_setting_and_the_seed(faq):
    ws, rag = faq
    none = raft_contexts(ws.train_set, rag, gold_share=0.0, seed=0)
    every = raft_contexts(ws.train_set, rag, gold_share=1.0, seed=0)
    assert all(s.gold is None for s in none.values()) and all(s.gold is not None for s in every.values())
    assert raft_contexts(ws.train_set, rag, 0.8, seed=1) != raft_contexts(ws.train_set, rag, 0.8, seed=2)
    assert raft_contexts(ws.train_set, rag, 0.8, seed=1) == raft_contexts(ws.train_set, rag, 0.8, seed=1)


def test_training_examples_come_from_train_alone_and_cite_the_passage_they_were_shown(faq):
    ws, rag = faq
    shown = raft_contexts(ws.train_set, rag, gold_share=0.8, seed=0)
    eval_questions = {e.user_text for e in ws.eval_set}
    assert not eval_questions & set(shown)  # no eval question among the training contexts
    examples = raft_train(ws.train_set, shown, cite=True)
    assert [e.id for e in examples] == [e.id for e in ws.train_set]
    for example, original in zip(examples, ws.train_set):
        gold = shown[original.user_text].gold
        assert example.expected == (f"{original.expected} [{gold.doc}]" if gold else original.expected)
    assert [e.expected for e in raft_train(ws.train_set, shown, cite=False)] == [e.expected for e in ws.train_set]


@pytest.mark.slow
def test_rag_finetune_climbs_beside_rag_and_finetune(tmp_path, run_cache, capsys):
    path = copy_shipped("product-faq", tmp_path)
    scenario = yaml.safe_load(path.read_text())
    scenario["ladder"]["rag_finetune"] = {}  # off unless a scenario sets it
    scenario["ladder"]["finetune"] |= {"epochs": 1}  # two trainings on 2 cores: one epoch each on short passages
    scenario["ladder"]["rag"] |= {"chunk_tokens": 48, "chunk_overlap": 8}
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    train = path.parent / "product-faq" / "train.jsonl"
    train.write_text("".join(train.read_text().splitlines(keepends=True)[:100]))  # the fewest a fine-tune takes
    out = tmp_path / "run"
    args = ["run", str(path), "--rungs", "rag,finetune,rag_finetune", "--full", "--limit", "30", "--out", str(out)]
    code, _, err = run_cli(args, capsys)
    assert code in (0, 1), err
    record = load_record(out / "run.json")
    for name in ("rag", "finetune", "rag_finetune"):
        rung = record.rung(name)
        assert rung is not None and rung.status == "measured", name
    tuned = record.rung("rag_finetune")
    assert tuned is not None and tuned.training is not None and tuned.rag is not None
    assert "citation_recall" in tuned.metrics
    samples = read(out / "samples" / "rag_finetune.jsonl")
    assert samples and all(s.retrieved for s in samples)  # the passages each answer was given
