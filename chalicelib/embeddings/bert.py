"""The forward pass of a BERT encoder in numpy (all-MiniLM-L6-v2: 6 layers, 12 heads, 384 wide).

A pure function of the weights and a padded batch of token ids, so it is tested apart from the
tokenizer and the files. Computed in float32 whatever the stored precision: numpy's float16
matrix products have no BLAS path and are many times slower.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LAYERS, HEADS, HIDDEN = 6, 12, 384
LAYER_NORM_EPS = 1e-12


@dataclass(frozen=True)
class Layer:
    qkv_w: np.ndarray  # (384, 1152): query, key and value in one product
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_g: np.ndarray
    ln1_b: np.ndarray
    up_w: np.ndarray  # (384, 1536)
    up_b: np.ndarray
    down_w: np.ndarray  # (1536, 384)
    down_b: np.ndarray
    ln2_g: np.ndarray
    ln2_b: np.ndarray


@dataclass(frozen=True)
class Weights:
    words: np.ndarray
    positions: np.ndarray
    token_type: np.ndarray  # row 0: every token is in segment A
    ln_g: np.ndarray
    ln_b: np.ndarray
    layers: tuple[Layer, ...]

    @classmethod
    def from_tensors(cls, t: dict[str, np.ndarray]) -> "Weights":
        """From the tensors of a BertModel's safetensors file (Hugging Face names)."""
        def f(name: str) -> np.ndarray:
            return np.ascontiguousarray(t[name], dtype=np.float32)

        def layer(i: int) -> Layer:
            p = f"encoder.layer.{i}."
            att = p + "attention."
            # Stored (out, in) as torch's Linear; transposed once here so products are x @ W.
            qkv_w = np.concatenate([f(att + f"self.{n}.weight") for n in ("query", "key", "value")])
            qkv_b = np.concatenate([f(att + f"self.{n}.bias") for n in ("query", "key", "value")])
            return Layer(
                qkv_w=np.ascontiguousarray(qkv_w.T), qkv_b=qkv_b,
                out_w=np.ascontiguousarray(f(att + "output.dense.weight").T),
                out_b=f(att + "output.dense.bias"),
                ln1_g=f(att + "output.LayerNorm.weight"), ln1_b=f(att + "output.LayerNorm.bias"),
                up_w=np.ascontiguousarray(f(p + "intermediate.dense.weight").T),
                up_b=f(p + "intermediate.dense.bias"),
                down_w=np.ascontiguousarray(f(p + "output.dense.weight").T),
                down_b=f(p + "output.dense.bias"),
                ln2_g=f(p + "output.LayerNorm.weight"), ln2_b=f(p + "output.LayerNorm.bias"))

        return cls(words=f("embeddings.word_embeddings.weight"),
                   positions=f("embeddings.position_embeddings.weight"),
                   token_type=f("embeddings.token_type_embeddings.weight")[0],
                   ln_g=f("embeddings.LayerNorm.weight"), ln_b=f("embeddings.LayerNorm.bias"),
                   layers=tuple(layer(i) for i in range(LAYERS)))


def layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LAYER_NORM_EPS) * g + b


def erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz and Stegun 7.1.26 (absolute error < 1.5e-7, below float32's own): numpy has
    no erf, and BERT's GELU is the exact, erf-based one, not the tanh approximation."""
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                           + t * 1.061405429))))
    return s * (1.0 - poly * np.exp(-a * a))


def gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x * np.float32(0.7071067811865476)))


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def encode(w: Weights, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Last hidden states (batch, tokens, 384) of a padded batch; mask is 1 for real tokens."""
    n, length = ids.shape
    head = HIDDEN // HEADS
    x = layer_norm(w.words[ids] + w.positions[:length] + w.token_type, w.ln_g, w.ln_b)
    # Padding gets a large negative score so softmax gives it no weight.
    pad = ((1.0 - mask.astype(np.float32)) * np.float32(-1e9))[:, None, None, :]
    scale = np.float32(1.0 / np.sqrt(head))
    for layer in w.layers:
        qkv = (x @ layer.qkv_w + layer.qkv_b).reshape(n, length, 3, HEADS, head)
        q, k, v = (qkv[:, :, i].transpose(0, 2, 1, 3) for i in range(3))  # (n, heads, t, 32)
        attn = softmax(q @ k.transpose(0, 1, 3, 2) * scale + pad)
        ctx = (attn @ v).transpose(0, 2, 1, 3).reshape(n, length, HIDDEN)
        x = layer_norm(x + ctx @ layer.out_w + layer.out_b, layer.ln1_g, layer.ln1_b)
        up = gelu(x @ layer.up_w + layer.up_b)
        x = layer_norm(x + up @ layer.down_w + layer.down_b, layer.ln2_g, layer.ln2_b)
    return x


def mean_pool_normalized(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' pooling for this model: the mean of the real tokens' states, then
    L2 normalisation (so a dot product is the cosine)."""
    m = mask.astype(np.float32)[:, :, None]
    pooled = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
