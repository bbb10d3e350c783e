"""all-MiniLM-L6-v2 sentence embeddings, in numpy: `embed(texts) -> (n, 384)` unit vectors.

The model (weights and tokenizer, SHA-256 pinned in `files`) is loaded once per process, on
first use: a Lambda container pays the load on its cold start only. It comes from the
directory named by EMBEDDING_MODEL_DIR when that is set (the deployed functions' layer), else
from the registry package. No PyTorch, nothing
downloaded.
"""
from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Sequence

import numpy as np
from safetensors.numpy import load as load_safetensors
from tokenizers import Tokenizer

from chalicelib.embeddings import bert, files, tokenizer

DIMENSIONS = 384
BATCH = 16  # passages per forward pass: larger batches gain little on one core and cost memory


class Model:
    """The tokenizer and the weights of one loaded model."""

    def __init__(self, weights: bert.Weights, tok: Tokenizer):
        self.weights = weights
        self.tokenizer = tok

    @classmethod
    def load(cls, source: Path | None = None, *, precision: str = "fp32") -> "Model":
        """From the registry package's model.zip, or a directory written by
        `files.export_fp16`, checked. `precision="fp16"` rounds a model.zip's float32 weights
        to float16 first, which is what the exported copy holds (bench/embedding_speed.py)."""
        tensors = load_safetensors(files.read_member(files.weights_name(source), source))
        if precision == "fp16":
            tensors = {k: v.astype(np.float16) if v.dtype == np.float32 else v
                       for k, v in tensors.items()}
        elif precision != "fp32":
            raise ValueError(f"precision must be fp32 or fp16, not {precision!r}")
        return cls(bert.Weights.from_tensors(tensors), tokenizer.build(source))

    def embed(self, texts: Sequence[str], batch: int = BATCH) -> np.ndarray:
        """Unit vectors (len(texts), 384), float32; each text truncated to 256 tokens."""
        texts = list(texts)
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(texts)
        # Texts of like length share a batch, so little of a forward pass is spent on padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), batch):
            chunk = order[start:start + batch]
            length = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.int64)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            hidden = bert.encode(self.weights, ids, mask)
            out[chunk] = bert.mean_pool_normalized(hidden, mask)
        return out


_lock = threading.Lock()


@functools.cache
def _loaded() -> Model:
    # EMBEDDING_MODEL_DIR (deployed: the embedder runtime layer's fp16 export), else the
    # registry package's model.zip.
    return Model.load(files.configured_source())


def get_model() -> Model:
    """The process's model, loaded on first use (once, even if threads race for it)."""
    with _lock:
        return _loaded()


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors (len(texts), 384) of the texts, by the process's model."""
    return get_model().embed(texts)
