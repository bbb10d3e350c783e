"""The vector store (chalicelib/vectors.py) through the real boto3 s3vectors client, against moto
with the local stack's QueryVectors (in process): put, query with filters, read, delete; the
metadata it keeps; an unreachable store is 503 ``unavailable``."""
from __future__ import annotations

import math

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from chalicelib import clients, vectors
from chalicelib.errors import Unavailable
from infra.local import s3vectors_query


@pytest.fixture
def vector_store(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3VECTORS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("TABLE_NAME", "professionals-test")
    s3vectors_query.install()
    with mock_aws():
        clients.reset()
        vectors.create_index(clients.s3vectors(), "professionals-test-vectors", "passages")
        yield clients.s3vectors()
        clients.reset()


def _axis(i: int, j: int | None = None) -> list[float]:
    """A unit vector along axis ``i`` (or halfway between ``i`` and ``j``)."""
    v = [0.0] * vectors.DIMENSION
    v[i] = 1.0
    if j is not None:
        v[i] = v[j] = math.sqrt(0.5)
    return v


def _nurse_and_teacher() -> None:
    vectors.put_passages("nurse", "signup", [_axis(0), _axis(1)],
                         ["ICU nurse, twelve years.", "Night shifts on a cardiac ward."],
                         created_at="2026-01-10T09:00:00.000Z")
    vectors.put_passages("teacher", "import", [_axis(2), _axis(0, 2)],
                         ["Primary school teacher.", "Taught first aid to children."],
                         created_at="2026-03-01T09:00:00.000Z")


def test_round_trip_put_query_delete(vector_store):
    _nurse_and_teacher()
    hits = vectors.query(_axis(0), 10)
    assert [(h.professional_id, h.passage) for h in hits][:2] == [("nurse", 0), ("teacher", 1)]
    best = hits[0]
    assert best.distance == pytest.approx(0.0) and best.score == pytest.approx(1.0)
    assert best.text == "ICU nurse, twelve years."
    assert hits[1].score == pytest.approx(math.sqrt(0.5))  # cosine 45 degrees
    assert all(0.0 <= h.score <= 1.0 for h in hits)

    # source= (contract 8.3's filters apply in every mode)
    only_imports = vectors.query(_axis(0), 10, vectors.metadata_filter(source="import"))
    assert {h.professional_id for h in only_imports} == {"teacher"}

    vectors.delete_professional("nurse", 2)
    assert {h.professional_id for h in vectors.query(_axis(0), 10)} == {"teacher"}


def test_the_metadata_each_vector_carries(vector_store):
    _nurse_and_teacher()
    got = vector_store.get_vectors(vectorBucketName="professionals-test-vectors",
                                   indexName="passages", keys=["teacher#1"],
                                   returnMetadata=True)["vectors"][0]
    assert got["metadata"] == {"professional": "teacher", "passage": 1, "source": "import",
                               "created_at": 1772355600000,  # 2026-03-01T09:00Z in ms
                               "text": "Taught first aid to children."}


def test_created_range_and_exclusion_filters(vector_store):
    _nurse_and_teacher()

    def who(**kwargs):
        return {h.professional_id
                for h in vectors.query(_axis(0), 10, vectors.metadata_filter(**kwargs))}

    assert who(created_from="2026-03-01T09:00:00.000Z") == {"teacher"}  # inclusive
    assert who(created_to="2026-03-01T09:00:00.000Z") == {"nurse"}  # exclusive
    assert who(created_from="2026-01-01T00:00:00.000Z",
               created_to="2026-02-01T00:00:00.000Z", source="signup") == {"nurse"}
    assert who(exclude="nurse") == {"teacher"}
    assert vectors.metadata_filter() is None


def test_a_persons_own_vectors_in_passage_order(vector_store):
    _nurse_and_teacher()
    assert vectors.get_vectors("teacher", 2) == [_axis(2), pytest.approx(_axis(0, 2))]
    assert vectors.get_vectors("nobody", 3) == []


def test_a_shorter_resume_replaces_a_longer_ones_passages(vector_store):
    _nurse_and_teacher()
    count = vectors.put_passages("nurse", "signup", [_axis(3)], ["Midwife now."],
                                 created_at="2026-01-10T09:00:00.000Z")
    vectors.delete_passages("nurse", range(count, 2))
    assert vectors.get_vectors("nurse", 2) == [_axis(3)]


def test_batches_of_aws_size(vector_store, monkeypatch):
    calls = []
    real = clients.s3vectors().put_vectors
    monkeypatch.setattr(clients.s3vectors(), "put_vectors",
                        lambda **kw: calls.append(len(kw["vectors"])) or real(**kw))
    n = vectors.PUT_BATCH + 3
    vectors.put_passages("long", "signup", [_axis(i % 5) for i in range(n)],
                         [f"passage {i}" for i in range(n)],
                         created_at="2026-01-10T09:00:00.000Z")
    assert calls == [500, 3]
    assert len(vectors.get_vectors("long", n)) == n  # read back 100 keys a call
    vectors.delete_professional("long", n)
    assert vectors.get_vectors("long", n) == []


def test_long_text_is_cut_within_the_metadata_limit(vector_store):
    vectors.put_passages("long", "signup", [_axis(0)], ["é" * 20_000],
                         created_at="2026-01-10T09:00:00.000Z")
    text = vectors.query(_axis(0), 1)[0].text
    assert len(text.encode()) <= vectors.TEXT_BYTES_MAX and set(text) == {"é"}


def test_an_unreachable_store_is_unavailable(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3VECTORS", "http://127.0.0.1:9")  # nothing listens
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    clients.reset()
    try:
        with pytest.raises(vectors.VectorsUnavailable) as caught:
            vectors.query(_axis(0), 5)
        assert isinstance(caught.value, Unavailable)
        assert caught.value.status == 503 and caught.value.code == "unavailable"
    finally:
        clients.reset()


def test_a_wrong_request_is_a_bug_not_an_outage(vector_store):
    with pytest.raises(ClientError):  # 383 dimensions: ValidationException, not a 503
        vectors.query([1.0] * (vectors.DIMENSION - 1), 5)
    with pytest.raises(ValueError):
        vectors.query(_axis(0), vectors.TOP_K_MAX + 1)


def test_the_template_deploys_the_same_index_and_grants_on_it_only():
    from infra import template
    from infra.template import vectors as deployed

    doc = template.build("dev")
    index = doc["Resources"][deployed.INDEX]["Properties"]
    assert (index["Dimension"], index["DistanceMetric"], index["DataType"]) == (
        vectors.DIMENSION, vectors.DISTANCE_METRIC, vectors.DATA_TYPE)
    assert index["MetadataConfiguration"]["NonFilterableMetadataKeys"] == [vectors.TEXT_KEY]
    assert doc["Resources"][deployed.BUCKET]["Type"] == "AWS::S3Vectors::VectorBucket"
    api_env = doc["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert api_env["VECTOR_BUCKET_NAME"] == "professionals-vectors-dev"
    assert api_env["VECTOR_INDEX_NAME"] == deployed.INDEX_NAME
    grants = deployed.read_grants() + deployed.write_grants()
    assert {a for g in grants for a in g["Action"]} == {
        "s3vectors:QueryVectors", "s3vectors:GetVectors", "s3vectors:PutVectors",
        "s3vectors:DeleteVectors"}
    assert all(g["Resource"] == [{"Fn::GetAtt": [deployed.INDEX, "IndexArn"]}] for g in grants)
