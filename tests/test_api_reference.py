"""docs/api.md, the API reference in words, and chalicelib/openapi.json say the same thing: the
same routes, each with the same statuses, every query parameter and error code named; and the
repository's documents point to nothing outside the repository."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "api.md"
SPEC = ROOT / "chalicelib" / "openapi.json"
# A clone has only this repository: no file may send the reader to the documents it was built
# from (the shared contract and notes), which now live in docs/.
OUTSIDE = ("../shared/", "CONTRACT.md", "LOCAL_AWS.md")
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
ROW = re.compile(r"^\| `(?P<method>[A-Z]+) (?P<path>/[^`]*)` \| (?P<who>[^|]+) \| (?P<ok>[^|]+) \| "
                 r"(?P<other>[^|]+) \|$")


def reference_routes() -> dict[tuple[str, str], set[str]]:
    """The Routes table of docs/api.md: (method, path) -> every status it lists."""
    text = REFERENCE.read_text()
    section = text.split("\n## Routes\n", 1)[1].split("\n## ", 1)[0]
    routes = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            key = (match["method"].lower(), match["path"])
            assert key not in routes, f"{key} twice in docs/api.md"
            routes[key] = set(re.findall(r"\b[1-5]\d\d\b", match["ok"] + " " + match["other"]))
    return routes


def spec() -> dict:
    return json.loads(SPEC.read_text())


def spec_routes() -> dict[tuple[str, str], set[str]]:
    return {(method, path): set(operation["responses"])
            for path, item in spec()["paths"].items()
            for method, operation in item.items() if method in METHODS}


def test_the_reference_and_the_openapi_document_have_the_same_routes_and_statuses():
    written, served = reference_routes(), spec_routes()
    assert len(written) >= 12
    assert set(written) == set(served), {
        "only in docs/api.md": sorted(set(written) - set(served)),
        "only in openapi.json": sorted(set(served) - set(written))}
    differences = {f"{m.upper()} {p}": {"only in docs/api.md": sorted(written[m, p] - served[m, p]),
                                        "only in openapi.json": sorted(served[m, p] - written[m, p])}
                   for m, p in written if written[m, p] != served[m, p]}
    assert not differences, differences


def test_every_query_parameter_and_error_code_of_the_document_is_in_the_reference():
    text = REFERENCE.read_text()
    document = spec()
    shared = document["components"]["parameters"]
    missing = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for parameter in operation.get("parameters", []):
                if "$ref" in parameter:
                    parameter = shared[parameter["$ref"].rsplit("/", 1)[1]]
                if parameter["in"] == "query" and f"`{parameter['name']}`" not in text \
                        and f"?{parameter['name']}=" not in text:
                    missing.append(f"{method.upper()} {path}: {parameter['name']}")
    assert not missing, missing
    errors = text.split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| \d{3} \| `([a-z_]+)` \|", errors, re.M))
    assert documented == set(document["components"]["schemas"]["ErrorCode"]["enum"])


def test_nothing_in_the_repository_points_outside_it():
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout.decode().split("\0")
    offenders = []
    for name in tracked:
        if not name or not name.endswith((".md", ".py", ".ts", ".tsx", ".json", ".sh", ".txt")) \
                or name == "tests/test_api_reference.py":
            continue
        path = ROOT / name
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        offenders += [f"{name}: {mark}" for mark in OUTSIDE if mark in text]
    assert not offenders, offenders


def test_the_readme_and_the_docs_link_to_the_reference():
    for name in ("README.md", "docs/decisions.md", "docs/operations.md", "docs/local.md"):
        assert "api.md" in (ROOT / name).read_text(), name


def test_the_spa_knows_every_resume_reason_the_document_names():
    """Each reason has its sentence in the SPA (frontend/src/lib/resume.ts, typed by this list)."""
    named = [r for r in spec()["components"]["schemas"]["Resume"]["properties"]["reason"]["enum"]
             if r is not None]
    types = (ROOT / "frontend" / "src" / "types" / "api.ts").read_text()
    listed = re.search(r"RESUME_REASONS = \[(.*?)\] as const", types, re.S)
    assert listed, "RESUME_REASONS not found in frontend/src/types/api.ts"
    assert re.findall(r"'([a-z_]+)'", listed[1]) == named
