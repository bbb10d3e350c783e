"""The embedding model (chalicelib.embeddings): the pinned files, the numpy forward pass in its
pieces (GELU's erf, pooling), and the whole against the reference implementation's published
output; unit vectors, determinism, batching, truncation at 256 tokens, and a paraphrase probe.
Speed is printed, not asserted (bench/embedding_speed.py has the figures)."""
from __future__ import annotations

import math
import time
import zipfile

import numpy as np
import pytest

from chalicelib.embeddings import bert, files, model, tokenizer

ICU_NURSE = ("Registered nurse, eight years in a surgical intensive care unit: ventilated and "
             "post-operative patients, vasoactive drips, rapid response calls, family updates.")
ENGINEER = ("Senior software engineer: built the billing event pipeline in Python and Go on "
            "Kubernetes, cut invoice latency from hours to minutes, mentored four juniors.")
TEACHER = ("Primary school teacher for classes of twenty-eight six-year-olds: reading, phonics "
           "and arithmetic lessons, planned with the year group, termly parent meetings.")


@pytest.fixture(scope="module")
def m() -> model.Model:
    start = time.perf_counter()
    loaded = model.get_model()
    print(f"\nmodel loaded in {time.perf_counter() - start:.2f} s")
    return loaded


def test_the_reference_implementations_vector_is_reproduced(m):
    # sentence-transformers' all-MiniLM-L6-v2 model card: the first values of
    # model.encode("This is an example sentence") (PyTorch, fp32).
    published = [6.76569194e-02, 6.34959191e-02, 4.87131141e-02, 7.93049783e-02,
                 3.74480337e-02]
    vector = m.embed(["This is an example sentence"])[0]
    assert np.allclose(vector[:5], published, atol=1e-4)


def test_vectors_are_384_wide_unit_length_and_finite(m):
    texts = [ICU_NURSE, "x", "🙂🙂🙂", "東京の病院で看護師として十年勤務", "Фёдор, врач", "a " * 600]
    vectors = m.embed(texts)
    assert vectors.shape == (len(texts), 384) and vectors.dtype == np.float32
    assert np.all(np.isfinite(vectors))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_no_texts_give_no_vectors(m):
    assert m.embed([]).shape == (0, 384)


def test_the_same_text_gives_the_same_vector(m):
    assert np.array_equal(m.embed([ICU_NURSE, ENGINEER]), m.embed([ICU_NURSE, ENGINEER]))


def test_a_batch_equals_its_texts_one_by_one(m):
    # Lengths differ, so the batch pads: padding must change nothing.
    texts = [ICU_NURSE, "nurse", ENGINEER * 3, TEACHER, "looks after critically ill patients"]
    batched = m.embed(texts, batch=3)
    single = np.stack([m.embed([t])[0] for t in texts])
    assert np.allclose(batched, single, atol=1e-5)


def test_text_past_256_tokens_is_not_read(m):
    long = " ".join([ENGINEER] * 20)
    assert tokenizer.count_tokens([long])[0] > 256
    assert len(m.tokenizer.encode(long).ids) == 256
    base = m.embed([long])[0]
    changed = m.embed([long + " " + ICU_NURSE * 5])[0]
    assert np.allclose(base, changed, atol=1e-6)
    # ...but everything up to the 256th token is read: a different opening changes the vector.
    assert not np.allclose(base, m.embed([ICU_NURSE + " " + long])[0], atol=1e-3)


def test_paraphrases_find_the_right_profession(m):
    passages = m.embed([ICU_NURSE, ENGINEER, TEACHER])
    queries = {"looks after critically ill patients": 0,
               "writes backend code for payment systems": 1,
               "taught young children": 2}
    q = m.embed(list(queries))
    for row, (text, right) in enumerate(queries.items()):
        scores = passages @ q[row]
        assert int(np.argmax(scores)) == right, (text, scores)


def test_the_model_is_loaded_once_per_process():
    assert model.get_model() is model.get_model()


def test_fp16_weights_give_the_same_vectors(m):
    half = model.Model.load(precision="fp16")
    texts = [ICU_NURSE, ENGINEER, "taught young children"]
    assert np.all((m.embed(texts) * half.embed(texts)).sum(1) > 0.9999)


def _archive_with(tmp_path, members: dict[str, bytes]):
    path = tmp_path / "model.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_a_tampered_tokenizer_is_refused(tmp_path):
    genuine = files.read_member(files.TOKENIZER)
    tampered = genuine.replace(b'"[UNK]"', b'"[UNX]"', 1)
    assert tampered != genuine
    archive = _archive_with(tmp_path, {files.TOKENIZER: tampered})
    with pytest.raises(files.ModelFileError, match="SHA-256"):
        tokenizer.build(archive)


def test_tampered_weights_are_refused_before_they_are_used(tmp_path):
    archive = _archive_with(tmp_path, {files.WEIGHTS: b"\0" * 1024,
                                       files.TOKENIZER: files.read_member(files.TOKENIZER)})
    with pytest.raises(files.ModelFileError, match="model.safetensors: SHA-256"):
        model.Model.load(archive)


def test_a_missing_member_or_archive_is_a_clear_error(tmp_path):
    with pytest.raises(files.ModelFileError, match="cannot read model.safetensors"):
        files.read_member(files.WEIGHTS, _archive_with(tmp_path, {}))
    with pytest.raises(files.ModelFileError, match="cannot read"):
        files.read_member(files.WEIGHTS, tmp_path / "absent.zip")


def test_the_installed_files_are_the_pinned_ones():
    for name in (files.WEIGHTS, files.TOKENIZER):
        files.read_member(name)  # raises on a mismatch
    with zipfile.ZipFile(files.archive_path()) as zf:
        assert {files.WEIGHTS, files.TOKENIZER} <= set(zf.namelist())


def test_erf_is_exact_to_float32():
    xs = np.linspace(-6, 6, 2001)
    exact = np.array([math.erf(x) for x in xs])
    assert np.max(np.abs(bert.erf(xs) - exact)) < 2e-7
    assert bert.gelu(np.array([0.0], dtype=np.float32))[0] == 0.0
    assert abs(bert.gelu(np.array([1.0]))[0] - 0.5 * (1 + math.erf(1 / math.sqrt(2)))) < 1e-7


def test_pooling_averages_real_tokens_only_and_normalises():
    hidden = np.zeros((2, 3, 384), dtype=np.float32)
    hidden[:, 0, 0], hidden[:, 1, 1], hidden[:, 2, 2] = 3.0, 4.0, 100.0
    mask = np.array([[1, 1, 0], [1, 1, 1]])
    pooled = bert.mean_pool_normalized(hidden, mask)
    assert np.allclose(pooled[0, :3], [0.6, 0.8, 0.0])  # the padded token's 100 is ignored
    assert pooled[1, 2] > 0.99
    assert np.allclose(np.linalg.norm(pooled, axis=1), 1.0)


def test_speed_is_printed(m):
    passage = " ".join([ICU_NURSE] * 8)
    start = time.perf_counter()
    m.embed([passage] * 4)
    per = (time.perf_counter() - start) / 4
    start = time.perf_counter()
    m.embed(["looks after critically ill patients"])
    query = time.perf_counter() - start
    print(f"\n{per * 1000:.0f} ms per 256-token passage, {query * 1000:.1f} ms per query")
    assert per > 0 and query > 0


def test_the_fp16_export_is_pinned_and_loads_to_the_same_vectors(m, tmp_path):
    out = files.export_fp16(tmp_path / "model")
    assert sorted(p.name for p in out.iterdir()) == [files.WEIGHTS_FP16, files.TOKENIZER]
    assert files.problems(out) == []
    exported = model.Model.load(out)
    texts = [ICU_NURSE, "taught young children"]
    assert np.allclose(exported.embed(texts), model.Model.load(precision="fp16").embed(texts),
                       atol=1e-6)
    assert (out / files.WEIGHTS_FP16).stat().st_size < 46_000_000  # half of 90.9 MB


def test_package_checks_name_each_bad_file(tmp_path):
    assert files.problems() == []
    out = files.export_fp16(tmp_path / "model")
    data = bytearray((out / files.WEIGHTS_FP16).read_bytes())
    data[-1] ^= 1
    (out / files.WEIGHTS_FP16).write_bytes(bytes(data))
    (out / files.TOKENIZER).unlink()
    found = files.problems(out)
    assert len(found) == 2
    assert "model-fp16.safetensors: SHA-256" in found[0] and "cannot read tokenizer" in found[1]


def test_make_package_fails_on_a_model_problem(tmp_path):
    from infra import package, zipcheck
    packaged = package.Packaged(
        stage="dev", out=tmp_path, template_path=tmp_path / "sam.json",
        zip_path=tmp_path / "deployment.zip", seconds=0.0,
        zip_report=zipcheck.Report(str(tmp_path / "deployment.zip"), 1, 1, 1),
        template_problems=[], model_problems=files.problems(tmp_path / "absent"))
    assert len(packaged.problems) == 2 and "cannot read" in packaged.problems[0]


# -- EMBEDDING_MODEL_DIR: the deployed functions' model (the embedder runtime layer) ----------

@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    return files.export_fp16(tmp_path_factory.mktemp("layer") / "embedding-model")


@pytest.fixture
def reload(monkeypatch):
    """The process's model and tokenizer loaded anew, and dropped again afterwards (the next
    test loads the package's)."""
    def clear():
        model._loaded.cache_clear()
        tokenizer.get.cache_clear()
    clear()
    yield monkeypatch
    clear()


def test_the_model_dir_is_loaded_instead_of_the_package(m, exported, reload):
    reload.setenv(files.MODEL_DIR_ENV, str(exported))

    def no_package():
        raise AssertionError("the registry package's model.zip was read")

    reload.setattr(files, "archive_path", no_package)  # a layer's function has no package
    layered = model.get_model()
    assert layered is not m and layered is model.get_model()
    texts = [ICU_NURSE, ENGINEER, "taught young children"]
    assert np.all((m.embed(texts) * model.embed(texts)).sum(1) > 0.9999)
    # Passages count tokens with the same files (passages.py): no package needed either.
    assert tokenizer.count_tokens([ICU_NURSE]) == [len(m.tokenizer.encode(ICU_NURSE).ids)]


def test_without_the_variable_the_package_is_loaded(reload):
    reload.delenv(files.MODEL_DIR_ENV, raising=False)
    assert files.configured_source() is None
    reload.setenv(files.MODEL_DIR_ENV, "")
    assert files.configured_source() is None


def test_a_missing_or_tampered_model_dir_stops_the_load(exported, reload, tmp_path):
    reload.setenv(files.MODEL_DIR_ENV, str(tmp_path / "absent"))
    with pytest.raises(files.ModelFileError, match="EMBEDDING_MODEL_DIR=.* is not a directory"):
        model.get_model()
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    (tampered / files.TOKENIZER).write_bytes((exported / files.TOKENIZER).read_bytes())
    data = bytearray((exported / files.WEIGHTS_FP16).read_bytes())
    data[-1] ^= 1
    (tampered / files.WEIGHTS_FP16).write_bytes(bytes(data))
    reload.setenv(files.MODEL_DIR_ENV, str(tampered))
    with pytest.raises(files.ModelFileError, match="model-fp16.safetensors: SHA-256"):
        model.get_model()
    (tampered / files.WEIGHTS_FP16).unlink()
    with pytest.raises(files.ModelFileError, match="cannot read model-fp16"):
        model.get_model()
