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


def test_a_ready_resume_is_embedded_within_30_s_and_its_vectors_leave_with_it(stack, http,
                                                                              stack_vectors):
    """Contract 8.4's freshness, from the store's side: the resume processor makes it ready,
    the stream indexer names it on the embed queue, the embed worker stores its passages."""
    import time

    from tests.e2e.conftest import unique_email
    from tests.e2e.pdf import tiny_pdf
    headers = {"X-Api-Key": stack.keys["staff"]}
    pdf = tiny_pdf("Curriculum vitae: glassblower, furnace work and lampworking for ten years")
    created = http.post(f"{stack.api}/professionals", headers=headers, timeout=30, json={
        "full_name": "Vector Glassblower", "email": unique_email("vectors-cv"),
        "resume": {"filename": "cv.pdf", "content_type": "application/pdf",
                   "size_bytes": len(pdf)}})
    assert created.status_code == 201, created.text
    person, upload = created.json()["id"], created.json()["resume_upload"]
    sent = http.post(upload["url"], data=upload["fields"], timeout=30,
                     files={"file": ("cv.pdf", pdf, "application/pdf")},
                     headers={"Origin": stack.url})
    assert sent.status_code in (200, 201, 204), sent.text

    def status() -> str:
        return http.get(f"{stack.api}/professionals/{person}", headers=headers,
                        timeout=30).json()["resume"]["status"]

    def first_vector() -> bool:
        return bool(clients.s3vectors().get_vectors(
            vectorBucketName=stack_vectors["VECTOR_BUCKET_NAME"],
            indexName=stack_vectors["VECTOR_INDEX_NAME"],
            keys=[vectors.key(person, 0)])["vectors"])

    def within(predicate, seconds: float) -> float | None:
        began = time.monotonic()
        while time.monotonic() - began < seconds:
            if predicate():
                return time.monotonic() - began
            time.sleep(0.2)
        return None

    assert within(lambda: status() == "ready", 120) is not None, stack.log_tail()
    waited = within(first_vector, 30)
    assert waited is not None, stack.log_tail()
    print(f"vector #0 stored {waited:.1f} s after the resume was ready ({stack.emulator})")
    assert http.delete(f"{stack.api}/professionals/{person}", headers=headers,
                       timeout=30).status_code == 204
    assert within(lambda: not first_vector(), 30) is not None, stack.log_tail()
