"""The LoRA recipe on tiny runs: what trains, what it learns from, resume, padding, merge."""

from __future__ import annotations

import json

import pytest

from evals.errors import InputError
from evals.example import Example
from trainers import LoraSettings, merge_adapter, train_lora
from trainers._data import Collator, encode, encode_all, length_grouped_order, padding_waste
from trainers._watch import assess

SYSTEM = "Classify the support message as billing, shipping, account or technical. Answer with the label only."
MESSAGES = {
    "billing": ["I was charged twice this month", "Why is my invoice higher than usual?", "Please refund my last payment"],
    "shipping": ["Where is my package?", "My order has not arrived yet", "Can I change the delivery address?"],
    "account": ["I cannot log in to my account", "How do I reset my password?", "Please delete my account and my data"],
    "technical": ["The app crashes when I open it", "Sync stopped working on my phone", "I get error 500 at checkout"],
}
PROJECTIONS = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


def chat(user: str, answer: str, system: str | None = SYSTEM) -> Example:
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": user},
        {"role": "assistant", "content": answer},
    ]
    return Example(messages=messages)


EXAMPLES = [chat(greeting + text, label) for label, texts in MESSAGES.items() for text in texts for greeting in ("", "Hello, ")]


@pytest.fixture(autouse=True)
def one_thread():
    """A tiny model trains faster on one thread than on threads waiting for each other."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from evals.models import resolve_model

    return AutoTokenizer.from_pretrained(resolve_model("smollm2-135m").path)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, tokenizer):
    """A 2-layer random Llama with the embedded model's tokenizer and chat template: trains in seconds."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=8,
        max_position_embeddings=256,
        tie_word_embeddings=True,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=2,
        initializer_range=0.2,
    )
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-llama")
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_model):
    settings = LoraSettings(
        r=4,
        alpha=8,
        dropout=0.0,
        epochs=4,
        lr=3e-2,
        batch_size=4,
        grad_accum=1,
        max_seq_len=64,
        val_fraction=0.2,
        early_stopping_patience=0,
    )
    return train_lora(EXAMPLES, settings, tmp_path_factory.mktemp("run"), model=tiny_model, resume=False)


def test_lora_trains_adapter_only_and_loss_falls(trained, tiny_model):
    import torch
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    from trainers import lora_config

    fresh = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32)
    base = {name: p.clone() for name, p in fresh.named_parameters()}
    torch.manual_seed(0)  # the same seed train_lora draws the adapter's initial weights with
    initial = {n: p.clone() for n, p in get_peft_model(fresh, lora_config(LoraSettings(r=4, alpha=8))).named_parameters() if "lora_" in n}
    after = dict(trained.model.named_parameters())
    lora = {n for n in after if "lora_" in n}
    assert lora == set(initial) and {n.split(".")[-4] for n in lora} == PROJECTIONS
    assert all(not torch.equal(after[n].cpu(), initial[n]) for n in lora), "every LoRA matrix moved"
    for name, value in base.items():
        trained_name = (
            "base_model.model." + name.replace(".weight", ".base_layer.weight")
            if name.split(".")[-2] in PROJECTIONS
            else "base_model.model." + name
        )
        assert torch.equal(after[trained_name].cpu(), value), f"{name} changed"
    train_losses = [p["loss"] for p in trained.curve if p["loss"] is not None]
    val_losses = [p["val_loss"] for p in trained.curve if p["val_loss"] is not None]
    assert sum(train_losses[-5:]) / 5 < sum(train_losses[:5]) / 5 - 0.5
    assert val_losses[-1] < val_losses[0]
    assert trained.trainable_params == 4 * 2 * (32 + 32 + 32 + 16 + 32 + 16 + 32 + 32 + 3 * (32 + 64))
    assert trained.trainable_line.endswith(f"= {trained.trainable_share:.2%}")
    assert trained.steps == trained.total_steps == 20 and trained.val_examples == 5
    assert trained.train_tokens > 0 and trained.tokens_per_s > 0 and trained.padding_waste <= 0.10


def test_run_writes_adapter_log_and_curve(trained):
    out = trained.adapter_dir.parent
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if r["loss"] is not None] == list(range(1, 21))
    assert {"step", "epoch", "loss", "val_loss", "lr", "tokens"} <= set(log[0])
    assert json.loads((out / "curve.json").read_text()) == trained.curve
    assert json.loads((out / "train_result.json").read_text())["steps"] == 20


def test_assistant_only_labels_decode_to_the_answers(tokenizer):
    multi = Example(
        messages=[
            {"role": "user", "content": "Where is my order?"},
            {"role": "assistant", "content": "shipping"},
            {"role": "user", "content": "And my refund?"},
            {"role": "assistant", "content": "billing"},
        ]
    )
    for example, answers in [
        (EXAMPLES[0], ["billing"]),
        (chat("Reset my password", "account", system=None), ["account"]),
        (multi, ["shipping", "billing"]),
    ]:
        feature = encode(example, tokenizer, max_seq_len=512)
        spans, current = [], []
        for token, label in zip(feature["input_ids"], feature["labels"]):
            if label == -100 and current:
                spans, current = spans + [current], []
            elif label != -100:
                assert label == token
                current.append(label)
        spans += [current] if current else []
        assert [tokenizer.decode(span) for span in spans] == [a + "<|im_end|>" for a in answers]
        prompt = tokenizer.apply_chat_template([m.model_dump() for m in example.messages[:-1]], add_generation_prompt=True, tokenize=False)
        assert tokenizer.decode(feature["input_ids"]).startswith(prompt)


def test_truncation_drops_examples_left_without_an_answer(tokenizer):
    features, skipped = encode_all([EXAMPLES[0], chat("word " * 80, "billing")], tokenizer, max_seq_len=64)
    assert skipped == 1 and len(features) == 1 and len(features[0]["input_ids"]) <= 64


def test_padding_waste_of_a_hand_made_batch():
    collator = Collator(pad_id=0)
    batch = collator([{"input_ids": [5, 6], "labels": [-100, 6]}, {"input_ids": [5, 6, 7, 8], "labels": [-100, -100, 7, 8]}])
    assert batch["input_ids"].tolist() == [[5, 6, 0, 0], [5, 6, 7, 8]]
    assert batch["attention_mask"].tolist() == [[1, 1, 0, 0], [1, 1, 1, 1]]
    assert batch["labels"].tolist() == [[-100, 6, -100, -100], [-100, -100, 7, 8]]
    assert batch["shift_labels"].tolist() == [6, 7, 8]  # the targets of the positions whose logits are computed
    collator([{"input_ids": [1, 2, 3], "labels": [1, 2, 3], "heldout": True}, {"input_ids": [1], "labels": [1], "heldout": True}])
    assert collator.batches == [(6, 8)]  # validation batches are not counted
    assert padding_waste(collator.batches) == pytest.approx(0.25)
    assert padding_waste([(6, 8), (10, 12)]) == pytest.approx(4 / 20)


def test_length_grouping_keeps_every_example_and_cuts_padding():
    import random

    lengths = [random.Random(i).randint(20, 400) for i in range(300)]
    order = length_grouped_order(lengths, batch_size=8, seed=0)
    assert sorted(order) == list(range(300)) and order == length_grouped_order(lengths, 8, seed=0)

    def waste(indices):
        batches = [[lengths[i] for i in indices[k : k + 8]] for k in range(0, len(indices), 8)]
        return padding_waste([(sum(b), max(b) * len(b)) for b in batches])

    assert waste(order) <= 0.10 < waste(list(range(300)))


def test_run_stopped_after_a_checkpoint_resumes_from_it(tmp_path, tiny_model):
    import torch
    from safetensors.torch import load_file

    settings = LoraSettings(r=4, alpha=8, epochs=1, lr=1e-2, batch_size=4, grad_accum=1, max_seq_len=64, val_fraction=0)

    def stop_at_step_3(tick):
        if tick.step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_lora(EXAMPLES, settings, tmp_path / "run", model=tiny_model, eval_steps=2, progress=stop_at_step_3)
    assert (tmp_path / "run" / "checkpoints" / "checkpoint-2").is_dir()
    resumed = train_lora(EXAMPLES, settings, tmp_path / "run", model=tiny_model, eval_steps=2)
    assert resumed.resumed_from_step == 2 and resumed.steps == 6
    log = [json.loads(line)["step"] for line in (tmp_path / "run" / "train_log.jsonl").read_text().splitlines()]
    assert log == [1, 2, 3, 4, 5, 6]
    straight = train_lora(EXAMPLES, settings, tmp_path / "straight", model=tiny_model, eval_steps=2)
    a, b = (load_file(r.adapter_dir / "adapter_model.safetensors") for r in (resumed, straight))
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a), "same data order and state after resume"
    with pytest.raises(InputError, match="different run"):
        train_lora(
            EXAMPLES,
            LoraSettings(r=8, epochs=1, batch_size=4, grad_accum=1, max_seq_len=64, val_fraction=0),
            tmp_path / "run",
            model=tiny_model,
        )


def test_merged_model_gives_the_adapter_logits(trained, tiny_model, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    merged_dir = merge_adapter(tiny_model, trained.adapter_dir, tmp_path / "merged")
    assert (merged_dir / "model.safetensors").is_file() and (merged_dir / "tokenizer.json").is_file()
    ids = torch.tensor([[1, 504, 3458, 314, 957, 2]])
    peft_model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model), trained.adapter_dir).eval()
    merged = AutoModelForCausalLM.from_pretrained(merged_dir).eval()
    with torch.no_grad():
        assert torch.allclose(merged(ids).logits, peft_model(ids).logits, atol=1e-5)
    with pytest.raises(InputError, match="force"):
        merge_adapter(tiny_model, trained.adapter_dir, merged_dir)
    assert merge_adapter(tiny_model, trained.adapter_dir, merged_dir, force=True) == merged_dir


def test_methods_this_recipe_cannot_run_are_refused_with_the_fix(tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(InputError, match="CUDA") as error:
        train_lora(EXAMPLES, LoraSettings(method="qlora"), tmp_path)
    assert "method: lora" in error.value.problems[0].fix
    with pytest.raises(InputError, match="hosted"):
        train_lora(EXAMPLES, {"method": "openai"}, tmp_path)


def test_validation_losses_decide_early_stop_and_overfitting():
    history = [
        {"step": 1, "loss": 2.0},
        {"step": 2, "loss": 1.8},
        {"step": 2, "eval_loss": 1.5},
        {"step": 3, "loss": 1.2},
        {"step": 4, "loss": 1.0},
        {"step": 4, "eval_loss": 1.6},
        {"step": 5, "loss": 0.7},
        {"step": 6, "eval_loss": 1.7},
    ]
    verdict = assess(history, patience=2)
    assert verdict.stop and verdict.best_step == 2 and verdict.best_val_loss == 1.5
    assert verdict.warning.startswith("overfitting from step 4: val loss rose 1.500 -> 1.600")
    assert not assess(history, patience=0).stop and not assess(history, patience=3).stop
    assert assess(history[:3], patience=1).warning is None


def test_a_run_whose_val_loss_stops_improving_stops_early(tmp_path, tiny_model):
    # lr=1e-30 keeps the val loss flat (updates vanish in float32 rounding), so the second evaluation is the first without improvement.
    settings = LoraSettings(
        r=4, epochs=2, lr=1e-30, batch_size=4, grad_accum=1, max_seq_len=64, val_fraction=0.2, early_stopping_patience=1
    )
    result = train_lora(EXAMPLES, settings, tmp_path, model=tiny_model, eval_steps=1)
    assert result.stopped_early and result.steps == 2 < result.total_steps and result.best_step == 1


@pytest.mark.slow
def test_embedded_model_loss_falls_in_a_few_steps(tmp_path):
    settings = LoraSettings(r=4, alpha=8, epochs=1, lr=2e-3, batch_size=8, grad_accum=1, max_seq_len=64, val_fraction=0)
    result = train_lora(EXAMPLES, settings, tmp_path, max_steps=3)
    losses = [p["loss"] for p in result.curve if p["loss"] is not None]
    assert result.steps == 3 and losses[-1] < losses[0]


def test_epochs_auto_follows_the_train_size():
    from trainers._epochs import MIN_STEPS, auto_epochs, hosted_auto_epochs

    # The hosted rule as OpenAI's cookbook states it: 3 epochs, within 100..25,000 examples seen, 1..25 epochs.
    assert [hosted_auto_epochs(n) for n in (10, 30, 34, 100, 2_000, 8_334, 20_000)] == [10, 3, 3, 3, 3, 2, 1]
    assert auto_epochs(100, batch_size=8) > auto_epochs(2_000, batch_size=8) == 3
    assert auto_epochs(100, batch_size=8) * 13 >= MIN_STEPS  # 13 steps an epoch, raised to the step floor
    assert auto_epochs(3, batch_size=8) == 25 and auto_epochs(100_000, batch_size=8) == 1
    assert LoraSettings().epochs == "auto"


class ScriptedScores:
    """A validation scorer that returns a fixed score per evaluation, in order (no generation)."""

    def __init__(self, scores: list[float]):
        self.scores, self.calls = list(scores), []

    def __call__(self, model, tokenizer, examples):
        self.calls.append(len(examples))
        return self.scores[len(self.calls) - 1]


def test_the_kept_weights_are_the_best_validation_score_s_even_when_not_the_last(tmp_path, tiny_model):
    import torch
    from safetensors.torch import load_file

    scorer = ScriptedScores([0.2, 0.9, 0.5, 0.6])
    settings = LoraSettings(
        r=4, alpha=8, epochs=1, lr=3e-2, batch_size=4, grad_accum=1, max_seq_len=64, val_fraction=0.2, early_stopping_patience=0
    )
    result = train_lora(EXAMPLES, settings, tmp_path, model=tiny_model, eval_steps=1, max_steps=4, val_scorer=scorer)
    assert result.steps == 4 and scorer.calls == [5] * 4
    assert [p["val_score"] for p in result.curve if p["val_loss"] is not None] == [0.2, 0.9, 0.5, 0.6]
    val_losses = [p["val_loss"] for p in result.curve if p["val_loss"] is not None]
    assert val_losses[-1] < val_losses[1]  # the loss alone would have kept a later step
    assert result.best_step == 2 and result.best_val_score == 0.9 and result.best_val_loss == val_losses[1]
    best = load_file(tmp_path / "checkpoints" / "checkpoint-2" / "adapter_model.safetensors")
    kept = load_file(result.adapter_dir / "adapter_model.safetensors")
    assert best.keys() == kept.keys() and all(torch.equal(best[k], kept[k]) for k in best)
    last = load_file(tmp_path / "checkpoints" / "checkpoint-4" / "adapter_model.safetensors")
    assert not all(torch.equal(last[k], kept[k]) for k in last)


def test_equal_scores_keep_the_lower_val_loss_and_early_stopping_follows_the_score(tmp_path, tiny_model):
    settings = LoraSettings(
        r=4, alpha=8, epochs=1, lr=3e-2, batch_size=4, grad_accum=1, max_seq_len=64, val_fraction=0.2, early_stopping_patience=0
    )
    tie = train_lora(
        EXAMPLES, settings, tmp_path / "tie", model=tiny_model, eval_steps=1, max_steps=4, val_scorer=ScriptedScores([0.5] * 4)
    )
    losses = [p["val_loss"] for p in tie.curve if p["val_loss"] is not None]
    assert tie.best_val_loss == min(losses) and tie.best_step == 1 + losses.index(min(losses))
    # The val loss falls all along (lr 3e-2), but the score does not improve after the first evaluation.
    patient = LoraSettings(
        r=4, alpha=8, epochs=1, lr=3e-2, batch_size=4, grad_accum=1, max_seq_len=64, val_fraction=0.2, early_stopping_patience=2
    )
    stopped = train_lora(
        EXAMPLES, patient, tmp_path / "stop", model=tiny_model, eval_steps=1, max_steps=4, val_scorer=ScriptedScores([0.8, 0.7, 0.6, 0.9])
    )
    assert stopped.stopped_early and stopped.steps == 3 and stopped.best_step == 1


def test_a_loss_still_falling_at_the_end_is_called_undertrained():
    from trainers._watch import undertrained

    falling = [{"step": i, "loss": 2.0 - 0.1 * i} for i in range(1, 9)] + [{"step": 8, "eval_loss": 1.0}]
    assert undertrained(falling, window=4).startswith(
        "undertrained: the train loss was still falling at the end (1.750 -> 1.350 over the last 4 steps)"
    )
    flat = [{"step": i, "loss": 0.5} for i in range(1, 9)]
    assert undertrained(flat, window=4) is None
    val_rose = [*falling[:-1], {"step": 4, "eval_loss": 0.9}, {"step": 8, "eval_loss": 1.0}]
    assert undertrained(val_rose, window=4) is None  # falling train loss with rising val loss is overfitting


def test_the_scenario_s_finetune_block_is_lora_settings_plus_the_ladder_s_own_fields():
    from advisor.rungs.finetune.settings import FinetuneSettings as Finetune

    shared = LoraSettings.model_fields
    assert {name: (f.annotation, f.default, f.description) for name, f in shared.items()} == {
        name: (f.annotation, f.default, f.description) for name, f in Finetune.model_fields.items() if name in shared
    }
    assert set(Finetune.model_fields) - set(shared) == {"model", "forgetting_threshold", "forgetting_tasks", "prompt", "compare"}
    block = Finetune(epochs=3, r=8, prompt="full", forgetting_threshold=0.1)
    assert LoraSettings.from_obj(block) == LoraSettings(epochs=3, r=8) and LoraSettings.from_obj(block).as_dict() == block.as_dict()


def test_a_full_fine_tune_moves_every_weight_lowers_the_loss_and_saves_a_whole_model(tmp_path, tiny_model):
    import torch
    from transformers import AutoModelForCausalLM

    before = dict(AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32).named_parameters())
    settings = LoraSettings(
        method="full", epochs=4, full_lr=3e-3, batch_size=4, grad_accum=1, max_seq_len=64, val_fraction=0.2, early_stopping_patience=0
    )
    result = train_lora(EXAMPLES, settings, tmp_path, model=tiny_model, resume=False)
    after = dict(result.model.named_parameters())
    assert after.keys() == before.keys() and all(not torch.equal(after[n], before[n]) for n in before), "every weight moved"
    assert result.trainable_params == result.total_params == sum(p.numel() for p in before.values())
    losses = [p["loss"] for p in result.curve if p["loss"] is not None]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 0.5
    assert result.adapter_dir == tmp_path / "model" and (result.adapter_dir / "model.safetensors").is_file()
    reloaded = AutoModelForCausalLM.from_pretrained(result.adapter_dir).eval()
    ids = torch.tensor([[1, 504, 3458, 314, 957, 2]])
    with torch.no_grad():
        assert torch.allclose(reloaded(ids).logits, result.model.eval()(ids).logits, atol=1e-5)
    assert result.artifact_bytes >= (result.adapter_dir / "model.safetensors").stat().st_size and result.peak_rss_bytes > 0


def test_a_full_fine_tune_that_would_not_fit_is_refused_before_it_starts_with_the_estimate(tmp_path, tiny_model):
    from trainers._memory import STATE_BYTES_PER_PARAM

    settings = LoraSettings(method="full", batch_size=4, grad_accum=1, max_seq_len=64, max_memory_gb=0.01)
    with pytest.raises(InputError) as error:
        train_lora(EXAMPLES, settings, tmp_path, model=tiny_model)
    problem = error.value.problems[0]
    from transformers import AutoModelForCausalLM

    params = sum(p.numel() for p in AutoModelForCausalLM.from_pretrained(tiny_model).parameters())
    assert f"{params * STATE_BYTES_PER_PARAM / 1e9:.2f} GB" in problem.message and "max_memory_gb is 0.01" in problem.message
    assert "method: lora" in problem.fix and problem.field == "ladder.finetune.method"
    assert not (tmp_path / "checkpoints").exists()


def test_activation_checkpointing_auto_follows_the_widest_micro_batch():
    from trainers._config import CHECKPOINT_TOKENS, checkpointing_needed

    settings = LoraSettings()
    assert settings.activation_checkpointing == "auto" and settings.batch_size * settings.grad_accum == 8  # updates of 8
    assert not checkpointing_needed(settings, CHECKPOINT_TOKENS // 2)  # the quick start's short inputs
    assert checkpointing_needed(settings, CHECKPOINT_TOKENS // 2 + 1)
    assert checkpointing_needed(LoraSettings(activation_checkpointing=True), 1)
    assert not checkpointing_needed(LoraSettings(activation_checkpointing=False), 100_000)
