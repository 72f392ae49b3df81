"""Extractive RAG answers: the grammar admits only words copied from a retrieved passage, under that passage's id."""

from __future__ import annotations

import asyncio

import pytest

from evals.backends import GenerationParams, Structure, get_backend
from evals.backends._constrain import matcher
from evals.backends.grammar import grammar_problem
from evals.example import Example
from evals.runner._jobs import plan_jobs
from evals.strategies import BM25Retriever, Chunk, Rag, citations, strip_citations
from evals.text import normalize_answer

PASSAGES = {
    "harbor": "The harbor lighthouse was built in 1871 and painted red and white.",
    "orchard": "The orchard grows forty kinds of apples, harvested every September.",
    "glacier": "The glacier retreats about twelve metres each year since records began.",
}
QUESTIONS = [
    "When was the harbor lighthouse built?",
    "How many kinds of apples does the orchard grow?",
    "How fast does the glacier retreat?",
    "What colours is the lighthouse painted?",
    "When are the apples harvested?",
    "Who wrote the orchard's history?",
]
EXTRACT = Structure("extract", choices=("unknown",), passages=tuple(PASSAGES.values()), cite=tuple(PASSAGES))


def example(question: str, n: int = 0) -> Example:
    return Example.model_validate(
        {"id": f"q{n}", "messages": [{"role": "user", "content": question}, {"role": "assistant", "content": "-"}]}
    )


@pytest.fixture(scope="module")
def local(embedded_model):
    backend = get_backend("local:smollm2-135m")
    backend.load()
    return backend


def accepts(tokenizer, structure: Structure, text: str) -> bool:
    m = matcher(tokenizer, structure)
    return all(m.consume_token(t) for t in tokenizer(text, add_special_tokens=False)["input_ids"]) and m.is_accepting()


def test_the_grammar_accepts_a_span_under_its_own_passage_id_and_refuses_the_rest(local):
    assert grammar_problem(EXTRACT) is None
    tokenizer = local.tokenizer
    for good in ("[harbor] built in 1871", "[orchard] forty kinds of apples", "[glacier] twelve metres", "unknown"):
        assert accepts(tokenizer, EXTRACT, good), good
    for bad in ("[orchard] built in 1871", "[harbor] built in 1872", "built in 1871", "[harbor] lighthouse built", "[moon] red"):
        assert not accepts(tokenizer, EXTRACT, bad), bad
    uncited = Structure("extract", passages=tuple(PASSAGES.values()))
    assert accepts(tokenizer, uncited, "painted red and white") and not accepts(tokenizer, uncited, "[harbor] red")


def test_extractive_rag_answers_are_spans_of_the_retrieved_passages_under_their_ids(local):
    rag = Rag(BM25Retriever([Chunk(f"{doc}#0", f"{doc}.txt", text) for doc, text in PASSAGES.items()]), 2, qa=True, extract=True)
    prompts = [rag(example(q)) for q in QUESTIONS]

    async def answers(constrained: bool):
        return await asyncio.gather(
            *[local.complete(p.messages, GenerationParams(24, structure=p.structure if constrained else None)) for p in prompts]
        )

    outs, free = asyncio.run(answers(True)), asyncio.run(answers(False))
    for prompt, out in zip(prompts, outs):
        retrieved = [h["id"].split("#")[0] for h in prompt.context["retrieved"]]
        answer = strip_citations(out.text)
        if answer == "unknown":
            continue
        (cited,) = citations(out.text)
        assert cited in retrieved, out.text
        # Whole words in order from the cited passage; a span cut at max_tokens may end inside a word.
        words = answer.split()
        assert " ".join(words[:-1]) in PASSAGES[cited] and words[-1] in PASSAGES[cited], out.text
    assert any(normalize_answer(strip_citations(f.text)) not in normalize_answer(" ".join(PASSAGES.values())) for f in free), (
        "free answers should show what the constraint prevents"
    )


def test_a_prompt_with_its_own_structure_constrains_its_row_and_keys_the_cache():
    own = Rag(BM25Retriever([Chunk("d#0", "d.txt", PASSAGES["harbor"])]), 1, qa=True, extract=True)
    items = [(example(QUESTIONS[0], 0), own(example(QUESTIONS[0], 0))), (example("b?", 1), [{"role": "user", "content": "b?"}])]
    run_params = GenerationParams(max_tokens=8)
    jobs = plan_jobs(items, "rag", {"model": "m"}, run_params, repeat=1)
    assert jobs[0].params.structure == Structure("extract", choices=("unknown",), passages=(PASSAGES["harbor"],), cite=("d",))
    assert jobs[1].params == run_params
    plain = plan_jobs([(items[0][0], items[0][1].messages)], "rag", {"model": "m"}, run_params, repeat=1)
    assert plain[0].key != jobs[0].key
