"""The model's WordPiece tokenizer (Hugging Face `tokenizers`, from the pinned tokenizer.json).

Loaded apart from the weights: cutting passages counts tokens, and needs no 90 MB of weights.
"""
from __future__ import annotations

import functools
from pathlib import Path

from tokenizers import Tokenizer

from chalicelib.embeddings import files

# all-MiniLM-L6-v2 was trained on sequences of up to 256 tokens ([CLS] and [SEP] included);
# tokenizer.json itself says 128 and pads to 128, which would cut passages short.
MAX_TOKENS = 256


def build(source: Path | None = None, *, truncate: bool = True) -> Tokenizer:
    tok = Tokenizer.from_str(files.read_member(files.TOKENIZER, source).decode("utf-8"))
    if truncate:
        tok.enable_truncation(max_length=MAX_TOKENS)
    else:
        tok.no_truncation()
    tok.no_padding()  # batches are padded to their longest member by the model
    return tok


@functools.cache
def get(truncate: bool = True) -> Tokenizer:
    """The process's tokenizer, built on first use (a tokenizer's settings are shared state, so
    the counting one is a second instance rather than a toggle). From the same source as the
    model's (EMBEDDING_MODEL_DIR deployed, where no registry package is installed)."""
    return build(files.configured_source(), truncate=truncate)


def count_tokens(texts: list[str]) -> list[int]:
    """Tokens each text takes, [CLS] and [SEP] included, before truncation."""
    return [len(e.ids) for e in get(truncate=False).encode_batch(list(texts))]
