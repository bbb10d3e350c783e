"""The resume passages' vector store on the running local stack, both emulators: the stack names
S3 Vectors' endpoint for its processes (a moto server of its own beside LocalStack, whose
community edition has none), has created the bucket and the cosine index of 384, and answers
QueryVectors through chalicelib/vectors.py as the API and the embedder call it."""
from __future__ import annotations

import pytest

from chalicelib import clients, vectors

pytestmark = pytest.mark.e2e


def _axis(i: int) -> list[float]:
    v = [0.0] * vectors.DIMENSION
    v[i] = 1.0
    return v


@pytest.fixture
def stack_vectors(stack, monkeypatch):
    env = stack.env
    for name in ("AWS_ENDPOINT_URL_S3VECTORS", "VECTOR_BUCKET_NAME", "VECTOR_INDEX_NAME",
                 "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if name in env:
            monkeypatch.setenv(name, env[name])
    clients.reset()
    yield env
    clients.reset()


def test_the_stack_serves_s3_vectors_with_queryvectors(stack, stack_vectors):
    endpoint = stack_vectors["AWS_ENDPOINT_URL_S3VECTORS"]
    if stack.emulator == "moto":
        assert endpoint == stack_vectors["AWS_ENDPOINT_URL_S3"]  # the one moto server
    else:
        assert endpoint == stack_vectors["COGNITO_ENDPOINT"]  # moto beside LocalStack
    index = clients.s3vectors().get_index(vectorBucketName=stack_vectors["VECTOR_BUCKET_NAME"],
                                          indexName=stack_vectors["VECTOR_INDEX_NAME"])["index"]
    assert (index["dimension"], index["distanceMetric"]) == (384, "cosine")

    person = f"e2e-{stack.emulator}"
    vectors.put_passages(person, "signup", [_axis(0), _axis(1)], ["first", "second"],
                         created_at="2026-12-07T10:00:00.000Z")
    hits = vectors.query(_axis(1), 5, vectors.metadata_filter(source="signup"))
    assert (hits[0].professional_id, hits[0].passage, hits[0].text) == (person, 1, "second")
    vectors.delete_professional(person, 2)
    assert person not in {h.professional_id for h in vectors.query(_axis(1), 100)}
