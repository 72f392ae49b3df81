"""The local backend on the embedded SmolLM2: batch-invariant greedy outputs, stops, token counts, identity."""

from __future__ import annotations

import asyncio
import warnings

import pytest

from evals.backends._batching import MicroBatcher, Pending, plan
from evals.backends.base import GenerationParams
from evals.backends.local import LocalBackend
from evals.errors import InputError

# Different lengths on purpose: a batch of them is left-padded.
PROMPTS = [
    "What is 2+2?",
    "Name a colour.",
    "Say hello in French.",
    "Is water wet? Answer yes or no.",
    "What is the capital of France?",
    "Write one word: cat or dog?",
    "Translate 'thank you' to Spanish.",
    "Classify the sentiment of this review as positive or negative: 'The battery died after two days and support never answered.'",
    "Count to three.",
    "What day comes after Monday?",
]


def chat(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


@pytest.fixture(scope="module")
def backend(embedded_model):
    local = LocalBackend("smollm2-135m")
    local.load()
    return local


@pytest.fixture(scope="module")
def adapters(embedded_model, tmp_path_factory):
    """Two LoRA adapters for the embedded model: zero-initialised (a no-op) and random."""
    from peft import LoraConfig, get_peft_model

    from evals.models import load_model

    folders = {}
    for name, init in (("zero", True), ("random", False)):
        _, model = load_model(embedded_model)
        config = LoraConfig(r=2, target_modules=["q_proj", "v_proj"], init_lora_weights=init)
        folders[name] = tmp_path_factory.mktemp(f"adapter-{name}")
        with warnings.catch_warnings():  # peft calls a transformers API deprecated in v5
            warnings.simplefilter("ignore", FutureWarning)
            get_peft_model(model, config).save_pretrained(folders[name])
    return folders


async def test_batched_greedy_outputs_equal_one_by_one(backend):
    params = GenerationParams(max_tokens=8)
    alone = [await backend.complete(chat(p), params) for p in PROMPTS]
    before = dict(backend.stats)
    together = await asyncio.gather(*[backend.complete(chat(p), params) for p in PROMPTS])
    assert backend.stats["batches"] - before["batches"] < len(PROMPTS)
    assert backend.stats["largest_batch"] > 1
    assert [c.text for c in together] == [c.text for c in alone]
    # A batched call's share of the machine is less than its latency, which includes waiting for the batch.
    assert all(0 < c.extra["machine_s"] < c.latency_s for c in together)
    assert sum(c.extra["machine_s"] for c in together) < sum(c.extra["machine_s"] for c in alone)
    assert [c.output_tokens for c in together] == [c.output_tokens for c in alone]


async def test_stop_string_truncates_the_text(backend):
    params = GenerationParams(max_tokens=16)
    full = await backend.complete(chat("What is the capital of France?"), params)
    stop = full.text.split()[2]  # a word in the middle of the greedy answer
    cut = await backend.complete(chat("What is the capital of France?"), GenerationParams(max_tokens=16, stop=("zzz", stop)))
    assert cut.text == full.text[: full.text.find(stop)]
    assert cut.extra["finish_reason"] == "stop"
    assert cut.output_tokens < full.output_tokens


async def test_max_tokens_is_respected(backend):
    long = chat("Write a long story about a dragon who learns to cook.")
    for max_tokens in (1, 5):
        out = await backend.complete(long, GenerationParams(max_tokens=max_tokens))
        assert out.output_tokens == max_tokens
        assert out.extra["finish_reason"] == "length"


async def test_token_counts_match_the_tokenizer(backend):
    tokenizer = backend.tokenizer
    messages = chat("What is the capital of France?")
    templated = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]
    out = await backend.complete(messages, GenerationParams(max_tokens=32))
    assert out.input_tokens == len(templated)
    assert out.extra["finish_reason"] == "stop"
    # Counted: the answer's tokens plus the end-of-turn token the model generated.
    assert out.output_tokens == len(tokenizer(out.text, add_special_tokens=False)["input_ids"]) + 1
    assert out.latency_s > 0


async def test_sampling_is_reproducible_with_a_seed(backend):
    story = chat("Tell me a story.")
    first, again = [await backend.complete(story, GenerationParams(max_tokens=6, temperature=1.0, seed=3)) for _ in range(2)]
    assert first.text == again.text and first.output_tokens == again.output_tokens


def test_default_system_prompt_is_the_templates_own(backend):
    decode = backend.tokenizer.decode
    assert "named SmolLM" in decode(backend.encode(chat("hi")))
    own = decode(backend.encode([{"role": "system", "content": "Be brief."}, *chat("hi")]))
    assert "named SmolLM" not in own and "Be brief." in own


async def test_prompt_beyond_the_context_is_an_input_error(backend):
    with pytest.raises(InputError, match="context"):
        await backend.complete(chat("hi"), GenerationParams(max_tokens=9000))


async def test_adapter_changes_identity_and_zero_adapter_keeps_outputs(backend, adapters):
    zero, random = LocalBackend(adapter=adapters["zero"]), LocalBackend(adapter=adapters["random"])
    ids = [backend.identity, zero.identity, random.identity]
    assert "adapter_sha256" not in ids[0]
    assert len({i.get("adapter_sha256") for i in ids}) == 3
    assert ids[1]["model"] == ids[2]["model"] == "smollm2-135m"
    params = GenerationParams(max_tokens=8)
    base = await backend.complete(chat(PROMPTS[4]), params)
    with_zero = await zero.complete(chat(PROMPTS[4]), params)
    without = await zero.complete(chat(PROMPTS[4]), params, use_adapter=False)
    assert with_zero.text == without.text == base.text


def test_not_an_adapter_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not a peft adapter folder") as err:
        LocalBackend(adapter=tmp_path)
    assert err.value.problems[0].field == "adapter"


async def test_in_memory_model_keeps_training_mode_and_identity(backend):
    model = backend._model
    given = LocalBackend(model_obj=model, tokenizer=backend.tokenizer, identity="run-7")
    assert given.identity["model_identity"] == "run-7"
    model.train()
    try:
        out = await given.complete(chat(PROMPTS[0]), GenerationParams(max_tokens=4))
        assert model.training  # handed back as it came
    finally:
        model.eval()
    assert out.output_tokens >= 1
    hashed = LocalBackend(model_obj=model, tokenizer=backend.tokenizer).identity["model_identity"]
    assert len(hashed) == 64


async def test_release_drops_the_loaded_model_and_the_next_call_loads_it_again(backend):
    own, params = LocalBackend("smollm2-135m"), GenerationParams(max_tokens=8)
    before = await own.complete(chat(PROMPTS[4]), params)
    own.release()
    assert own._model is None and own._tokenizer is None
    after = await own.complete(chat(PROMPTS[4]), params)
    assert after.text == before.text and own._model is not None
    given = LocalBackend(model_obj=backend.model, tokenizer=backend.tokenizer, identity="handed-in")
    given.release()  # the caller's model is the caller's to free
    assert given.model is backend.model


def test_plan_groups_by_key_and_length():
    items = [Pending(i, key, length, None) for i, (key, length) in enumerate([("a", 9), ("b", 1), ("a", 1), ("a", 5), ("a", 7)])]
    batches = plan(items, max_batch_size=2)
    assert [[p.item for p in b] for b in batches] == [[2, 3], [4, 0], [1]]


def test_plan_caps_a_batch_s_padded_tokens():
    items = [Pending(i, "k", length, None) for i, length in enumerate([100, 300, 200, 700, 400, 900])]
    batches = plan(items, max_batch_size=8, max_batch_tokens=1000)
    # 100+200+300 padded to 300 is 900 tokens; a fourth row of 400 would make 1,600. 900 alone passes the cap and runs alone.
    assert [[p.length for p in b] for b in batches] == [[100, 200, 300], [400], [700], [900]]
    assert all(len(b) * max(p.length for p in b) <= 1000 or len(b) == 1 for b in batches)


async def test_batcher_batches_and_reports_failures_to_every_caller():
    seen = []

    def scripted_run(key, items):
        seen.append(list(items))
        if "boom" in items:
            raise RuntimeError("generation failed")
        return [i.upper() for i in items]

    batcher = MicroBatcher(scripted_run, max_batch_size=3)
    results = await asyncio.gather(*[batcher.submit(w, "k", len(w)) for w in ["a", "bb", "ccc", "dddd"]])
    assert results == ["A", "BB", "CCC", "DDDD"]
    assert [len(b) for b in seen] == [3, 1]
    failed = await asyncio.gather(batcher.submit("boom", "k", 4), batcher.submit("x", "k", 1), return_exceptions=True)
    assert all(isinstance(f, RuntimeError) for f in failed)
    assert await batcher.submit("after", "k", 5) == "AFTER"


async def test_a_part_full_batch_waits_once_for_requests_that_arrive_while_a_full_one_runs():
    seen = []

    def scripted_run(key, items):
        seen.append(len(items))
        import time

        time.sleep(0.05)  # long enough for the late requests to arrive meanwhile
        return items

    batcher = MicroBatcher(scripted_run, max_batch_size=4)

    async def late():
        await asyncio.sleep(0.02)
        return await asyncio.gather(*[batcher.submit(w, "k", 9) for w in ["g", "h"]])

    early = asyncio.gather(*[batcher.submit(w, "k", len(w)) for w in ["a", "b", "c", "d", "e", "f"]])
    results = await asyncio.gather(early, late())
    assert results == [["a", "b", "c", "d", "e", "f"], ["g", "h"]]
    assert seen == [4, 4]  # not 4, 2, 2: the two left over joined the two that came late


def test_an_idle_batcher_worker_ends_and_a_later_request_starts_another(monkeypatch, recwarn):
    """A batcher dropped with its backend must not leave a worker pending forever (the loop would destroy it)."""
    import asyncio

    from evals.backends import _batching

    monkeypatch.setattr(_batching, "IDLE_S", 0.05)

    async def use() -> tuple[int, int, int]:
        batcher = _batching.MicroBatcher(lambda key, items: [i * 2 for i in items])
        first = await batcher.submit(3, "k", 1)
        await asyncio.sleep(0.3)  # idle: the worker ends and leaves the batcher
        idle = len(batcher._workers)
        return first, idle, await batcher.submit(4, "k", 1)

    assert asyncio.run(use()) == (6, 0, 8)
