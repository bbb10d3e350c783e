"""The Lambda deployment zip: loadable on the python3.12 runtime, within Lambda's limits, and
complete enough to run the functions on a bare Python 3.12, as the runtime runs them."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from infra import zipcheck
from tests import pdf_corpus
from tests.deploy_fixtures import packaged

pytestmark = pytest.mark.package


@pytest.fixture(scope="module")
def zip_path() -> Path:
    return packaged("dev").zip_path


def test_the_zip_passes_every_check(zip_path, capsys):
    report = zipcheck.check(str(zip_path))
    with capsys.disabled():
        print("\n" + "\n".join(report.summary().splitlines()[:3]))
    assert report.problems == []
    assert report.zipped_bytes <= zipcheck.MAX_ZIPPED
    assert report.unzipped_bytes <= zipcheck.MAX_UNZIPPED
    glibc, _ = report.max_glibc()
    assert glibc <= zipcheck.RUNTIME_GLIBC
    assert any(so.path.startswith("pylibmagic/libmagic.so") for so in report.shared_objects)
    # No wheel was compiled here, against this machine's libraries.
    assert not [w for w, tags in report.wheels.items() if any("linux_x86_64" == t.split("-")[-1]
                                                              for t in tags)]


@pytest.mark.skipif(not shutil.which("readelf"), reason="binutils' readelf cross-checks")
def test_the_elf_reader_agrees_with_readelf(zip_path, tmp_path):
    with zipfile.ZipFile(zip_path) as archive:
        names = [n for n in archive.namelist() if re.search(r"\.so(\.\d+)*$", n)]
        assert names
        for name in names:
            target = tmp_path / name.replace("/", "__")
            target.write_bytes(archive.read(name))
            ours = zipcheck.parse_elf(target.read_bytes())
            dynamic = subprocess.run(["readelf", "-d", "-W", str(target)], capture_output=True,
                                     text=True, check=True).stdout
            needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)
            assert ours.needed == needed, name
            versions = subprocess.run(["readelf", "-V", "-W", str(target)], capture_output=True,
                                      text=True, check=True).stdout
            section = versions.split(".gnu.version_r")[-1] if ".gnu.version_r" in versions else ""
            theirs = set(re.findall(r"Name: ((?:GLIBC|GLIBCXX|CXXABI|GCC)_[\d.]+)", section))
            mine = {v for vs in ours.versions.values() for v in vs
                    if re.match(r"(GLIBC|GLIBCXX|CXXABI|GCC)_[\d.]+$", v)}
            assert mine == theirs, name


def patched_zip(zip_path: Path, out: Path, member: str, old: bytes, new: bytes) -> Path:
    """A copy of the zip in which one member's bytes are edited (same length)."""
    assert len(old) == len(new)
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(out, "w") as target:
        for name in ("app.py", "chalicelib/pdftext.py", "pylibmagic/magic.mgc",
                     "pylibmagic/libmagic.so.1", member):
            data = source.read(name)
            if name == member:
                assert old in data
                data = data.replace(old, new)
            target.writestr(name, data)
    return out


def test_a_library_needing_a_newer_glibc_is_refused(zip_path, tmp_path):
    member = "cryptography/hazmat/bindings/_rust.abi3.so"
    bad = patched_zip(zip_path, tmp_path / "bad.zip", member, b"GLIBC_2.34", b"GLIBC_2.39")
    problems = zipcheck.check(str(bad)).problems
    assert [p for p in problems if member in p] == [
        f"{member}: needs GLIBC_2.39 > 2.34 (python3.12)"]


def test_a_library_linking_what_the_runtime_lacks_is_refused(zip_path, tmp_path):
    member = "pylibmagic/libmagic.so.1.0.0"
    bad = patched_zip(zip_path, tmp_path / "bad.zip", member, b"libz.so.1", b"libq.so.1")
    problems = zipcheck.check(str(bad)).problems
    assert any(member in p and "links libq.so.1" in p for p in problems), problems


def test_missing_libmagic_and_size_limits_are_refused(tmp_path):
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("app.py", "app = None\n")
    problems = zipcheck.check(str(empty), max_zipped=10, max_unzipped=5).problems
    assert any("pylibmagic's libmagic" in p for p in problems)
    assert any("pylibmagic's magic database" in p for p in problems)
    assert any(p.startswith("zipped size") for p in problems)
    assert any(p.startswith("unzipped size") for p in problems)


@pytest.mark.parametrize("tags, ok", [
    (["py3-none-any"], True),
    (["cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-manylinux2014_x86_64"], True),
    (["cp311-abi3-manylinux_2_34_x86_64"], True),
    (["cp312-cp312-manylinux_2_35_x86_64"], False),
    (["cp312-cp312-linux_x86_64"], False),  # built from source here
    (["cp312-cp312-manylinux_2_28_aarch64"], False),
    (["cp311-cp311-manylinux_2_17_x86_64"], False),
    (["cp312-cp312-musllinux_1_2_x86_64"], False),
])
def test_wheel_tags_the_runtime_can_load(tags, ok):
    assert (zipcheck.wheel_problems("w", tags) == []) is ok


LAMBDA_LIKE = textwrap.dedent("""
    import json, sys
    task_root = sys.argv[1]
    sys.path.insert(0, task_root)  # what the python3.12 runtime's bootstrap does
    import app
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in
                    ("pdfplumber", "pdfminer", "magic", "pylibmagic", "pypdfium2", "PIL"))
    from chalicelib import resume_processor
    pdf = open(sys.argv[2], "rb").read()
    mime = resume_processor._mime(pdf[:2048])
    libmagic = [l.split()[-1] for l in open("/proc/self/maps") if "libmagic.so" in l][0]
    extracted = resume_processor.extract_text(pdf)
    print(json.dumps({"loaded_at_import": loaded, "mime": mime, "libmagic": libmagic,
                      "pages": extracted.get("pages"), "error": extracted.get("error"),
                      "handlers": [callable(getattr(app, n, None)) for n in
                                   ("app", "process_resume_uploads", "key_authorizer")]}))
""")


def test_the_functions_run_from_the_zip_on_a_bare_python312(zip_path, tmp_path):
    """Unzipped as /var/task is, run by a Python 3.12 with no packages of its own (a fresh venv
    of the base interpreter, like the runtime's /var/lang/bin/python3.12): the API imports no
    PDF code, libmagic comes from the zip, and the extractor child process finds pdfplumber."""
    task_root = tmp_path / "task"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(task_root)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(tmp_path / "runtime")], check=True)
    python = tmp_path / "runtime" / "bin" / "python"
    probe = subprocess.run([str(python), "-c", "import pdfplumber"], capture_output=True)
    assert probe.returncode != 0, "the stand-in runtime must not have pdfplumber of its own"
    pdf = tmp_path / "two.pdf"
    pdf.write_bytes(pdf_corpus.pdf(2))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "en_US.UTF-8",
           "LAMBDA_TASK_ROOT": str(task_root), "PYTHONPATH": str(tmp_path / "var-runtime"),
           "LD_LIBRARY_PATH": f"/lib64:/usr/lib64:{task_root}:{task_root}/lib",
           "STAGE": "dev", "SIGNING_SECRET": "s" * 64, "TABLE_NAME": "t", "RESUME_BUCKET": "b",
           "AWS_REGION": "us-east-1"}
    done = subprocess.run([str(python), "-c", LAMBDA_LIKE, str(task_root), str(pdf)],
                          capture_output=True, text=True, env=env, cwd=task_root, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["handlers"] == [True, True, True]
    assert result["loaded_at_import"] == []  # the API's cold start imports no PDF stack
    assert result["mime"] == "application/pdf"
    assert result["libmagic"].startswith(str(task_root / "pylibmagic"))
    assert result == {**result, "pages": 2, "error": None}, result
