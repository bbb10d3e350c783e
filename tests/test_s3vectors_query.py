"""The local stack's QueryVectors (infra/local/s3vectors_query.py) against AWS's documentation:
the metadata filtering page's examples (its movies: ``genre``, ``year``), top-K limits, the
distances of known vectors worked out by hand, returnDistance/returnMetadata, the errors.
Through the real boto3 client: in process (mock_aws) and against a moto server process run as
the local stack runs it."""
from __future__ import annotations

import math
import os
import subprocess
import sys

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.local import s3vectors_query
from infra.local.ports import free_port

BUCKET, INDEX = "movies-bucket", "movies"
# Unit vectors at known angles to the query [1, 0] (doc2 is a 3-4-5 triangle), and one with no
# genre at all.
MOVIES = [
    ("doc1", [1.0, 0.0], {"genre": "documentary", "year": 2019}),
    ("doc2", [0.6, 0.8], {"genre": ["documentary", "romance"], "year": 2020}),
    ("doc3", [0.0, 1.0], {"genre": "drama", "year": 2021}),
    ("doc4", [-1.0, 0.0], {"genre": "comedy", "year": 2024}),
    ("doc5", [0.0, -1.0], {"year": 2022}),
]
QUERY = {"float32": [1.0, 0.0]}


@pytest.fixture
def client(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3VECTORS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    s3vectors_query.install()
    with mock_aws():
        c = boto3.client("s3vectors", region_name="us-east-1")
        _movies(c)
        yield c


def _movies(c, metric: str = "cosine", index: str = INDEX) -> None:
    try:
        c.create_vector_bucket(vectorBucketName=BUCKET)
    except c.exceptions.ConflictException:
        pass
    c.create_index(vectorBucketName=BUCKET, indexName=index, dataType="float32", dimension=2,
                   distanceMetric=metric,
                   metadataConfiguration={"nonFilterableMetadataKeys": ["synopsis"]})
    c.put_vectors(vectorBucketName=BUCKET, indexName=index, vectors=[
        {"key": k, "data": {"float32": v}, "metadata": {**m, "synopsis": f"about {k}"}}
        for k, v, m in MOVIES])


def _keys(c, **kwargs) -> list[str]:
    request = {"vectorBucketName": BUCKET, "indexName": INDEX, "topK": 10,
               "queryVector": QUERY, **kwargs}
    return [v["key"] for v in c.query_vectors(**request)["vectors"]]


def _error(c, **kwargs) -> dict:
    with pytest.raises(ClientError) as caught:
        _keys(c, **kwargs)
    return caught.value.response


def test_nearest_first_with_cosine_distances_worked_out_by_hand(client):
    out = client.query_vectors(vectorBucketName=BUCKET, indexName=INDEX, topK=5,
                               queryVector=QUERY, returnDistance=True)
    # 1 - cos: same direction 0; doc2 at cos 0.6; right angles 1 (doc3, doc5: ties in key
    # order); opposite 2.
    assert [(v["key"], round(v["distance"], 6)) for v in out["vectors"]] == [
        ("doc1", 0.0), ("doc2", 0.4), ("doc3", 1.0), ("doc5", 1.0), ("doc4", 2.0)]
    assert out["distanceMetric"] == "cosine"


def test_cosine_ignores_length_and_euclidean_does_not(client):
    _movies(client, metric="euclidean", index="movies-l2")
    out = client.query_vectors(vectorBucketName=BUCKET, indexName="movies-l2", topK=2,
                               queryVector={"float32": [2.0, 0.0]}, returnDistance=True)
    assert out["distanceMetric"] == "euclidean"
    # |(2,0)-(1,0)| = 1; |(2,0)-(0.6,0.8)| = sqrt(1.96 + 0.64)
    assert [v["key"] for v in out["vectors"]] == ["doc1", "doc2"]
    assert [v["distance"] for v in out["vectors"]] == pytest.approx([1.0, math.sqrt(2.6)])
    cosine = client.query_vectors(vectorBucketName=BUCKET, indexName=INDEX, topK=1,
                                  queryVector={"float32": [2.0, 0.0]}, returnDistance=True)
    assert cosine["vectors"][0]["distance"] == pytest.approx(0.0)


def test_top_k_caps_the_answer(client):
    assert _keys(client, topK=2) == ["doc1", "doc2"]
    assert len(_keys(client, topK=100)) == 5  # fewer vectors than asked: all of them


def test_keys_only_unless_distance_or_metadata_is_asked_for(client):
    plain = client.query_vectors(vectorBucketName=BUCKET, indexName=INDEX, topK=1,
                                 queryVector=QUERY)["vectors"]
    assert plain == [{"key": "doc1"}]
    full = client.query_vectors(vectorBucketName=BUCKET, indexName=INDEX, topK=1,
                                queryVector=QUERY, returnMetadata=True,
                                returnDistance=True)["vectors"][0]
    # Non-filterable metadata comes back with the rest.
    assert full["metadata"] == {"genre": "documentary", "year": 2019, "synopsis": "about doc1"}
    assert full["distance"] == pytest.approx(0.0)


def test_index_arn_names_the_index_too(client):
    index = client.get_index(vectorBucketName=BUCKET, indexName=INDEX)["index"]
    assert index["metadataConfiguration"] == {"nonFilterableMetadataKeys": ["synopsis"]}
    arn = index["indexArn"]
    out = client.query_vectors(indexArn=arn, topK=1, queryVector=QUERY)
    assert [v["key"] for v in out["vectors"]] == ["doc1"]


# The metadata filtering page's examples, one by one.
@pytest.mark.parametrize("metadata_filter, expected", [
    # Simple equality (an implicit $eq), and $eq against a list: any element.
    ({"genre": "documentary"}, ["doc1", "doc2"]),
    ({"genre": {"$eq": "documentary"}}, ["doc1", "doc2"]),
    ({"genre": {"$ne": "drama"}}, ["doc1", "doc2", "doc5", "doc4"]),
    ({"year": {"$gt": 2019}}, ["doc2", "doc3", "doc5", "doc4"]),
    ({"year": {"$gte": 2020}}, ["doc2", "doc3", "doc5", "doc4"]),
    ({"year": {"$lt": 2020}}, ["doc1"]),
    ({"year": {"$lte": 2020}}, ["doc1", "doc2"]),
    ({"genre": {"$in": ["comedy", "documentary"]}}, ["doc1", "doc2", "doc4"]),
    ({"genre": {"$nin": ["comedy", "documentary"]}}, ["doc3", "doc5"]),
    ({"genre": {"$exists": True}}, ["doc1", "doc2", "doc3", "doc4"]),
    ({"genre": {"$exists": False}}, ["doc5"]),
    # Numeric range: operators side by side on one key.
    ({"year": {"$gte": 2020, "$lt": 2022}}, ["doc2", "doc3"]),
    ({"$and": [{"genre": "drama"}, {"year": {"$gte": 2020}}]}, ["doc3"]),
    ({"$or": [{"genre": "drama"}, {"year": {"$lt": 2020}}]}, ["doc1", "doc3"]),
    ({"$or": [{"$and": [{"genre": "comedy"}, {"year": 2024}]}, {"genre": "romance"}]},
     ["doc2", "doc4"]),
    # Keys side by side: both must hold.
    ({"genre": "documentary", "year": 2020}, ["doc2"]),
    ({"genre": "thriller"}, []),
])
def test_metadata_filter(client, metadata_filter, expected):
    assert _keys(client, filter=metadata_filter) == expected


def test_a_filter_keeps_only_matches_before_top_k(client):
    # Pre-filtering: the nearest comedy, though four vectors are nearer.
    assert _keys(client, topK=1, filter={"genre": "comedy"}) == ["doc4"]


def test_booleans_are_not_numbers(client):
    client.put_vectors(vectorBucketName=BUCKET, indexName=INDEX, vectors=[
        {"key": "flag", "data": {"float32": [1.0, 1.0]}, "metadata": {"year": True}}])
    assert _keys(client, filter={"year": 1}) == []
    assert _keys(client, filter={"year": True}) == ["flag"]


@pytest.mark.parametrize("bad", [
    {"topK": 101},
    {"filter": {"synopsis": "about doc1"}},  # non-filterable: a 400, the query page says
    {"filter": {"genre": {"$in": []}}},
    {"filter": {"genre": {"$regex": "doc"}}},
    {"filter": {"year": {"$gt": "2019"}}},
    {"filter": {"$and": []}},
    {"filter": {"$or": {"genre": "drama"}}},
    {"filter": {"genre": {"$exists": "yes"}}},
    {"filter": {"$not": {"genre": "drama"}}},
    {"queryVector": {"float32": [1.0, 0.0, 0.0]}},  # not the index's dimension
])
def test_bad_requests_are_validation_errors(client, bad):
    response = _error(client, **bad)
    assert response["Error"]["Code"] == "ValidationException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_an_unknown_index_or_bucket_is_not_found(client):
    for names in ({"indexName": "nope"}, {"vectorBucketName": "no-such-bucket"}):
        response = _error(client, **names)
        assert response["Error"]["Code"] == "NotFoundException"
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_put_vectors_holds_to_the_metadata_limits(client):
    def put(metadata):
        client.put_vectors(vectorBucketName=BUCKET, indexName=INDEX, vectors=[
            {"key": "big", "data": {"float32": [1.0, 1.0]}, "metadata": metadata}])

    put({"synopsis": "x" * 30_000, "genre": "drama"})  # large, but non-filterable
    for too_much in ({"genre": "x" * 2100},  # filterable: 2 KB
                     {"synopsis": "x" * 41_000},  # all: 40 KB
                     {f"k{i}": i for i in range(51)}):  # 50 keys
        with pytest.raises(ClientError) as caught:
            put(too_much)
        assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_deleted_vectors_are_no_longer_found(client):
    assert _keys(client, topK=1) == ["doc1"]
    client.delete_vectors(vectorBucketName=BUCKET, indexName=INDEX, keys=["doc1"])
    assert _keys(client, topK=1) == ["doc2"]
    client.put_vectors(vectorBucketName=BUCKET, indexName=INDEX, vectors=[
        {"key": "doc2", "data": {"float32": [-0.6, 0.8]}, "metadata": {}}])  # overwritten
    assert _keys(client, topK=1) == ["doc3"]


def test_a_moto_server_run_as_the_local_stack_runs_it_answers_queryvectors():
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "infra.local_stack", "moto", "--port",
                               str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        from infra.local.emulators import wait_http
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/moto-api/", lambda status, _: status < 500, timeout=60.0,
                  alive=server.poll, what="moto server")
        c = boto3.client("s3vectors", region_name="us-east-1", endpoint_url=url,
                         aws_access_key_id="test", aws_secret_access_key="test")
        _movies(c)
        out = c.query_vectors(vectorBucketName=BUCKET, indexName=INDEX, topK=2,
                              queryVector=QUERY, filter={"year": {"$gte": 2020}},
                              returnDistance=True, returnMetadata=True)
        assert [(v["key"], round(v["distance"], 6), v["metadata"]["year"])
                for v in out["vectors"]] == [("doc2", 0.4, 2020), ("doc3", 1.0, 2021)]
        with pytest.raises(ClientError) as caught:
            c.query_vectors(vectorBucketName=BUCKET, indexName=INDEX, topK=101,
                            queryVector=QUERY)
        assert caught.value.response["Error"]["Code"] == "ValidationException"
    finally:
        server.terminate()
        server.wait(timeout=20)
