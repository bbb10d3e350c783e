"""The embedder runtime layer (infra/embedder_layer.py): loadable on the python3.12 runtime, the
pinned model inside, within Lambda's 250 MiB beside the app's zip, built byte for byte the same,
attached to the API and embed_resumes only; and the functions embed from it on a bare Python
3.12, as the runtime runs them (/var/task + /opt)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

from chalicelib.embeddings import files as model_files, model
from infra import embedder_layer, zipcheck
from infra.template import settings_for
from tests.deploy_fixtures import packaged, sam_transform

pytestmark = pytest.mark.package

EMBEDDERS = {"APIHandler", "EmbedResumes"}
NURSE = "Registered nurse in a surgical intensive care unit, ventilated patients."


def resources_of(doc, kind):
    return {k: v for k, v in doc["Resources"].items() if v["Type"] == kind}


@pytest.fixture(scope="module")
def dev():
    return packaged("dev")


def test_the_layer_passes_every_check_and_fits_beside_the_zip(dev, capsys):
    report = dev.layer_report
    with capsys.disabled():
        print(f"\napp zip {dev.zip_report.zipped_bytes:,} B zipped, "
              f"{dev.zip_report.unzipped_bytes:,} unzipped; layer {report.zipped_bytes:,} "
              f"zipped, {report.unzipped_bytes:,} unzipped; together "
              f"{(dev.zip_report.unzipped_bytes + report.unzipped_bytes) / 2**20:.1f} MiB of 250")
    assert report.problems == [] and dev.layer_problems == [] and dev.problems == []
    assert dev.zip_report.unzipped_bytes + report.unzipped_bytes <= zipcheck.MAX_UNZIPPED
    assert report.zipped_bytes > zipcheck.MAX_ZIPPED  # why it goes through S3
    assert {w.split("-")[0] for w in report.wheels} == {"numpy", "safetensors", "tokenizers"}
    glibc, _ = report.max_glibc()
    assert glibc <= zipcheck.RUNTIME_GLIBC
    with zipfile.ZipFile(dev.layer_path) as archive:
        names = archive.namelist()
    assert {n.split("/")[0] for n in names} == {"python", embedder_layer.MODEL_DIR}
    assert sorted(n for n in names if n.startswith(embedder_layer.MODEL_DIR)) == [
        f"{embedder_layer.MODEL_DIR}/{model_files.WEIGHTS_FP16}",
        f"{embedder_layer.MODEL_DIR}/{model_files.TOKENIZER}"]  # not the 83 MB model.zip
    assert not [n for n in names if "__pycache__" in n or n.startswith("python/bin/")]
    # The app's zip carries none of it: each function gets it from the layer once.
    with zipfile.ZipFile(dev.zip_path) as archive:
        assert not [n for n in archive.namelist()
                    if n.startswith(("numpy/", "tokenizers/", "safetensors/"))]
    written = json.loads((dev.out / "package-report.json").read_text())["layer"]
    assert written["unzipped_bytes"] == report.unzipped_bytes and written["problems"] == []


def test_the_layer_is_built_byte_for_byte_the_same(dev, tmp_path):
    with zipfile.ZipFile(dev.layer_path) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {embedder_layer.ZIP_TIME}
    assert {i.external_attr >> 16 for i in infos} <= {0o100644, 0o100755}
    # The same tree zips to the same bytes whatever its files' times and creation order.
    tree = tmp_path / "tree"
    for name in ("b/two.py", "a/one.py", "c.txt"):
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(name)
    first = embedder_layer.write_zip(tree, tmp_path / "first.zip").read_bytes()
    os.utime(tree / "c.txt", (0, 0))
    (tree / "a" / "one.py").unlink()
    (tree / "a" / "one.py").write_text("a/one.py")
    assert embedder_layer.write_zip(tree, tmp_path / "second.zip").read_bytes() == first
    # The cache key follows the inputs: the pins, the wheels' lines, the platforms.
    key = embedder_layer.cache_key()
    assert key == embedder_layer.cache_key() and dev.layer_path.name == embedder_layer.LAYER_ZIP
    assert "numpy==" in " ".join(embedder_layer.requirements())
    assert not [r for r in embedder_layer.requirements() if "model" in r]


def test_a_bad_model_or_a_layer_too_large_is_refused(tmp_path):
    fake = tmp_path / "layer.zip"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr(f"{embedder_layer.MODEL_DIR}/{model_files.WEIGHTS_FP16}", b"\0" * 64)
    report, problems = embedder_layer.check(fake, zipcheck.MAX_UNZIPPED)
    assert any("numpy" in p for p in report.problems)  # a required file missing
    assert not any(p.startswith("zipped size") for p in report.problems)  # S3: no 50 MiB cap
    assert any("model-fp16.safetensors: SHA-256" in p for p in problems)
    assert any("tokenizer.json is missing" in p for p in problems)
    assert any("Lambda's limit for a function and its layers" in p for p in problems)


def test_the_layer_goes_to_the_api_and_embed_resumes_from_s3(dev):
    doc = dev.load_template()
    layers = resources_of(doc, "AWS::Serverless::LayerVersion")
    assert list(layers) == ["EmbedderLayer"]
    assert layers["EmbedderLayer"]["Properties"]["ContentUri"] == f"./{embedder_layer.LAYER_ZIP}"
    functions = resources_of(doc, "AWS::Serverless::Function")
    with_layer = {name for name, f in functions.items() if f["Properties"].get("Layers")}
    assert with_layer == EMBEDDERS
    for name in EMBEDDERS:
        props = functions[name]["Properties"]
        assert props["Layers"] == [{"Ref": "EmbedderLayer"}]
        variables = props["Environment"]["Variables"]
        assert variables["EMBEDDING_MODEL_DIR"] == embedder_layer.MODEL_PATH
        assert variables["VECTOR_INDEX_NAME"] == "passages"
    # After the transform: a LayerVersion whose Content is the S3 object the CLI uploaded.
    transformed = sam_transform(doc)
    published = resources_of(transformed, "AWS::Lambda::LayerVersion")
    (layer_id, layer), = published.items()
    assert set(layer["Properties"]["Content"]) == {"S3Bucket", "S3Key"}
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]
    for name in EMBEDDERS:
        assert transformed["Resources"][name]["Properties"]["Layers"] == [{"Ref": layer_id}]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_embedders_memory_time_and_queue(stage):
    doc = packaged(stage).load_template()
    s = settings_for(stage)
    api = doc["Resources"]["APIHandler"]["Properties"]
    embed = doc["Resources"]["EmbedResumes"]["Properties"]
    assert api["MemorySize"] == s.api_memory_mb >= 768  # the model's ~200 MB beside the API's
    assert (embed["MemorySize"], embed["Timeout"]) == (s.embed_memory_mb, s.embed_timeout_s)
    assert 1024 <= embed["MemorySize"] <= 1536 and embed["Timeout"] >= 150
    queue = doc["Resources"]["EmbedQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * embed["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["EmbedDeadLetterQueue", "Arn"]}
    event = embed["Events"]["EmbedResumesSqsEventSource"]["Properties"]
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["ScalingConfig"]["MaximumConcurrency"] == s.embed_max_concurrency <= 5
    assert event["Queue"]["Fn::Sub"].endswith(":professionals-embed-" + stage)
    # The indexer enqueues; the embedder is told nothing else.
    indexer = doc["Resources"]["IndexSearch"]["Properties"]["Environment"]["Variables"]
    assert indexer["EMBED_QUEUE_URL"] == {"Ref": "EmbedQueue"}


LAMBDA_LIKE = textwrap.dedent("""
    import json, os, sys, time
    task_root, opt = sys.argv[1], sys.argv[2]
    # What the python3.12 runtime's bootstrap puts first: the task root, then the layers'.
    sys.path[:0] = [task_root, os.path.join(opt, "python")]
    started = time.perf_counter()
    import app
    imported = time.perf_counter() - started
    from chalicelib.embeddings import model, passages
    import numpy
    started = time.perf_counter()
    vector = model.embed([sys.argv[3]])[0]
    first = time.perf_counter() - started
    started = time.perf_counter()
    model.embed([sys.argv[3]])
    again = time.perf_counter() - started
    print(json.dumps({"vector": vector.tolist(), "numpy": numpy.__file__,
                      "passages": len(passages.cut(sys.argv[3] * 40)),
                      "import_s": imported, "first_s": first, "query_s": again,
                      "handlers": [callable(getattr(app, n, None))
                                   for n in ("app", "embed_resumes")]}))
""")


def test_the_functions_embed_from_the_layer_on_a_bare_python312(dev, tmp_path, capsys):
    """The app's zip as /var/task, the layer as /opt, a Python 3.12 with no packages of its
    own, EMBEDDING_MODEL_DIR as the template sets it (under this /opt): the model loads from
    the layer, checked, and embeds as the registry package's does."""
    task_root, opt = tmp_path / "task", tmp_path / "opt"
    with zipfile.ZipFile(dev.zip_path) as archive:
        archive.extractall(task_root)
    with zipfile.ZipFile(dev.layer_path) as archive:
        archive.extractall(opt)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(tmp_path / "runtime")], check=True)
    python = tmp_path / "runtime" / "bin" / "python"
    assert subprocess.run([str(python), "-c", "import numpy"], capture_output=True).returncode
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "LAMBDA_TASK_ROOT": str(task_root), "STAGE": "dev", "TABLE_NAME": "t",
           "RESUME_BUCKET": "b", "AWS_REGION": "us-east-1", "OPENBLAS_NUM_THREADS": "1",
           "EMBEDDING_MODEL_DIR": str(opt / embedder_layer.MODEL_DIR)}
    done = subprocess.run([str(python), "-c", LAMBDA_LIKE, str(task_root), str(opt), NURSE],
                          capture_output=True, text=True, env=env, cwd=task_root, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    with capsys.disabled():
        print(f"\nfrom the layer: app imported in {result['import_s']:.2f} s, first embedding "
              f"(model load included) {result['first_s']:.2f} s, a query "
              f"{result['query_s'] * 1000:.0f} ms")
    assert result["handlers"] == [True, True]
    assert result["numpy"].startswith(str(opt / "python"))
    assert result["passages"] >= 2
    here = model.embed([NURSE])[0]
    assert float(np.dot(here, np.array(result["vector"], dtype=np.float32))) > 0.9999
