"""The `local` backend: a transformers causal LM on this machine, optional peft adapter, batched generation.

Prompts go through the tokenizer's chat template. SmolLM2's template adds its own default system
prompt ("You are a helpful AI assistant named SmolLM...") when the messages have none; we keep it,
because that is what every user of the model gets.

Temperature 0 is greedy, and a greedy answer does not depend on which requests share its batch;
above 0 it samples, seeded by `params.seed` (reproducible for the same set of concurrent requests). `output_tokens` counts every
token generated, the end-of-turn token included, up to the stop; `extra["finish_reason"]` is "stop"
or "length", and `extra["machine_s"]` the call's share of its batch's generation time (what a call
costs on a machine paid by the hour, where `latency_s` also counts waiting for a batch). With `on_text`, a call
also gets its answer piece by piece while its batch generates (what `advisor serve` streams).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BackendError, InputError, Problem
from ..memory import release_memory
from ._batching import MicroBatcher
from ._identity import adapter_weights, file_sha256, weights_sha256
from .base import Completion, GenerationParams

if TYPE_CHECKING:  # torch and transformers are imported when the model loads
    from transformers import PreTrainedTokenizerBase

    from ..models import CausalLM
    from ._generate import Generated, Prompt

MAX_BATCH_TOKENS = 2048
"""Long prompts (few-shot, retrieved passages) share a generate call only up to this many padded tokens: memory
grows with them (the KV cache, the prefill's activations), while the prefill's time per token hardly depends on the
batch. The quick start's few-shot rung (prompts of 410 to 590 tokens, up to 8 per call) peaked at 2.56 GB without
the cap, 1.83 GB with it (benchmarks/bench_memory.py)."""


def set_threads() -> None:
    """Honour ADVISOR_THREADS (torch's own default otherwise)."""
    value = os.environ.get("ADVISOR_THREADS")
    if not value:
        return
    if not value.isdigit() or int(value) < 1:
        raise InputError(Problem(f"ADVISOR_THREADS={value!r} is not a positive integer", fix="unset it or set e.g. ADVISOR_THREADS=4"))
    import torch

    torch.set_num_threads(int(value))


class LocalBackend:
    """Complete chat messages with a local model; concurrent `complete` calls share `model.generate` batches.

    Args:
        model: an embedded model name, a model folder or a hub id (ignored for loading with `model_obj`).
        adapter: a peft adapter folder to apply on top of the model.
        model_obj, tokenizer: an already-loaded model (e.g. a PeftModel fresh from training) and its tokenizer.
        max_batch_size: the most requests in one generate call.
        max_batch_tokens: the most prompt tokens in one generate call, every row padded to the longest (None: no cap).
        device: "cpu", "cuda"...; default cuda when available.
        identity: names an in-memory model for caches; default a hash of its (adapter) weights.
    """

    def __init__(
        self,
        model: str = "smollm2-135m",
        adapter: str | Path | None = None,
        *,
        model_obj: CausalLM | None = None,
        tokenizer: PreTrainedTokenizerBase | None = None,
        max_batch_size: int = 16,
        max_batch_tokens: int | None = MAX_BATCH_TOKENS,
        device: str | None = None,
        identity: str | None = None,
    ):
        if (model_obj is None) != (tokenizer is None):
            raise ValueError("pass model_obj and tokenizer together")
        self.model_name, self.device = model, device
        self.spec = f"local:{model}"
        self.adapter = Path(adapter).expanduser() if adapter else None
        self._adapter_sha = file_sha256(adapter_weights(self.adapter)) if self.adapter else None
        self._label = identity
        self._model, self._tokenizer = model_obj, tokenizer
        self._given_model = model_obj is not None
        self._load_lock, self._generate_lock = threading.Lock(), threading.Lock()
        self._encode_lock = threading.Lock()
        self._batcher = MicroBatcher(self._run_batch, max_batch_size, max_batch_tokens=max_batch_tokens)
        self.stats = {"requests": 0, "batches": 0, "largest_batch": 0}

    @property
    def identity(self) -> dict:
        from ._constrain import DECODING

        ident = {"backend": "local", "model": self.model_name, "constrained_decoding": DECODING}
        if self._adapter_sha:
            ident["adapter_sha256"] = self._adapter_sha
        if self._given_model and self._label is None:
            self._label = weights_sha256(self._loaded()[1])  # once: the caller's weights do not change under us
        if self._label:
            ident["model_identity"] = self._label
        return ident

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        return self._loaded()[0]

    @property
    def model(self) -> CausalLM:
        """The loaded model (loaded now if needed), e.g. to check it with lm-eval without loading a second copy."""
        return self._loaded()[1]

    def _loaded(self) -> tuple[PreTrainedTokenizerBase, CausalLM]:
        self.load()
        assert self._tokenizer is not None and self._model is not None  # load() sets both
        return self._tokenizer, self._model

    def release(self) -> None:
        """Drop the model this backend loaded and give its memory back (the next call loads it again); one handed in is kept."""
        if self._given_model:
            return
        with self._load_lock, self._generate_lock:
            self._model = self._tokenizer = None
        release_memory()

    def load(self) -> None:
        """Load the model, tokenizer and adapter now (otherwise the first `complete` does)."""
        with self._load_lock:
            if self._model is not None:
                return
            from ..models import load_model, resolve_model

            set_threads()
            tokenizer, base = load_model(resolve_model(self.model_name), device=self.device)
            model: CausalLM = base
            if self.adapter:
                import warnings

                from peft import PeftModel

                with warnings.catch_warnings():  # peft calls a transformers API deprecated in v5; not the user's concern
                    warnings.simplefilter("ignore", FutureWarning)
                    model = PeftModel.from_pretrained(base, self.adapter).eval()
            self._tokenizer, self._model = tokenizer, model

    def encode(self, messages: list[dict]) -> list[int]:
        """Token ids of the chat-templated prompt, ending with the assistant header."""
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def _encode_alone(self, messages: list[dict]) -> list[int]:
        with self._encode_lock:  # one thread at a time: a fast tokenizer refuses concurrent use ("Already borrowed")
            return self.encode(messages)

    async def complete(
        self, messages: list[dict], params: GenerationParams, *, use_adapter: bool = True, on_text: Callable[[str], None] | None = None
    ) -> Completion:
        """Generate the assistant's reply; `use_adapter=False` answers with the base model under the adapter.

        `on_text` is called on this event loop with each piece of the answer as its batch generates it; the pieces
        join to the completion's text.
        """
        if self._model is None:
            await asyncio.to_thread(self.load)
        start = time.perf_counter()  # after loading: a one-off load is not the latency of a call
        from ._generate import Prompt

        ids = await asyncio.to_thread(self._encode_alone, messages)  # a 20 MB prompt must not stall the event loop
        self._check_context(len(ids), params.max_tokens)
        sampled = params.temperature > 0
        key = (params.temperature if sampled else 0.0, params.seed if sampled else None, use_adapter)
        streamed = _on_loop(asyncio.get_running_loop(), on_text) if on_text else None
        prompt = Prompt(ids, params.max_tokens, tuple(params.stop), params.structure, on_text=streamed)
        out, machine_s = await self._batcher.submit(prompt, key, len(ids))
        extra = {"finish_reason": out.finish_reason, "machine_s": machine_s}
        if params.structure is not None:
            extra["constrained"] = out.constraint_error is None
            if out.constraint_error:
                extra["constraint_error"] = out.constraint_error
            if out.closed_at_budget:
                extra["closed_at_budget"] = True
        return Completion(out.text, len(ids), out.output_tokens, time.perf_counter() - start, extra=extra)

    def _check_context(self, prompt_tokens: int, max_tokens: int) -> None:
        context = getattr(self.model.config, "max_position_embeddings", None)
        if max_tokens < 1:
            raise InputError(Problem(f"max_tokens is {max_tokens}", fix="ask for at least 1 token", field="max_tokens"))
        if context and prompt_tokens + max_tokens > context:
            fix = "shorten the prompt (fewer shots or retrieved passages) or lower max_tokens"
            raise InputError(
                Problem(
                    f"the prompt has {prompt_tokens} tokens; with max_tokens {max_tokens} it exceeds the model's context of {context}",
                    fix=fix,
                    field="max_tokens",
                )
            )

    def _run_batch(self, key: tuple[float, int | None, bool], prompts: list[Prompt]) -> list[tuple[Generated, float]]:
        """Run one generate call (blocking; one at a time, as the model is not thread-safe)."""
        from contextlib import nullcontext

        from ._generate import generate_batch

        temperature, seed, use_adapter = key
        tokenizer, model = self._loaded()
        base_only = model.disable_adapter() if (not use_adapter and hasattr(model, "disable_adapter")) else nullcontext()
        with self._generate_lock:
            started = time.perf_counter()
            was_training = model.training
            model.eval()  # a model handed over from training would otherwise generate with dropout
            try:
                with base_only:
                    results = generate_batch(model, tokenizer, prompts, temperature=temperature, seed=seed)
            except (RuntimeError, ValueError) as exc:
                raise BackendError(f"local generation with {self.spec} failed: {exc}") from exc
            finally:
                model.train(was_training)
            # Each row's share of the machine time: what a call costs when calls share batches.
            share = (time.perf_counter() - started) / len(prompts)
        self.stats["requests"] += len(prompts)
        self.stats["batches"] += 1
        self.stats["largest_batch"] = max(self.stats["largest_batch"], len(prompts))
        return [(result, share) for result in results]


def _on_loop(loop: asyncio.AbstractEventLoop, on_text: Callable[[str], None]) -> Callable[[str], None]:
    """`on_text`, called from the generating thread but run on `loop`."""

    def hand_over(piece: str) -> None:
        with contextlib.suppress(RuntimeError):  # the caller's loop has closed; the rest of its batch generates on
            loop.call_soon_threadsafe(on_text, piece)

    return hand_over
