"""Resume intelligence's paths for tests/test_deploy_iam.py (contract 8.4): the vector index and
the embed queue in moto, the embed queue's messages (sent by the search indexer) handled by
``embed_resumes``, and the API's semantic, hybrid and similar reads."""
from __future__ import annotations

import json
from typing import Any

from chalicelib import clients, vectors
from infra.local import s3vectors_query

TEST_VECTOR_BUCKET, TEST_VECTOR_INDEX = "professionals-test-vectors", "passages"
EMBED_QUEUE = "professionals-embed-test"


def provision(monkeypatch) -> str:
    """The test stage's vector index (QueryVectors installed into moto) and embed queue;
    returns the queue's URL, which the indexer sends to."""
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3VECTORS", raising=False)
    s3vectors_query.install()
    vectors.create_index(clients.s3vectors(), TEST_VECTOR_BUCKET, TEST_VECTOR_INDEX)
    url = clients.sqs().create_queue(QueueName=EMBED_QUEUE)["QueueUrl"]
    monkeypatch.setenv("EMBED_QUEUE_URL", url)
    return url


def index_key(params: dict[str, Any]) -> str:
    """How to_accesses names the index an S3 Vectors call touches."""
    return f"{params['vectorBucketName']}/{params['indexName']}"


def embed_resumes(api, phase, url: str) -> int:
    """Every message the indexer queued, handled by embed_resumes as Lambda would deliver them
    (batches of 5); returns how many."""
    phase(None)
    bodies = []
    while True:
        got = clients.sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                            WaitTimeSeconds=0).get("Messages", [])
        if not got:
            break
        bodies += [m["Body"] for m in got]
        clients.sqs().delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
    assert bodies and all("id" in json.loads(b) for b in bodies)
    phase("EmbedResumes")
    for start in range(0, len(bodies), 5):
        event = api.client.events.generate_sqs_event(message_bodies=bodies[start:start + 5],
                                                     queue_name=EMBED_QUEUE)
        answer = api.client.lambda_.invoke("embed_resumes", event).payload
        assert answer == {"batchItemFailures": []}, answer
    phase(None)
    return len(bodies)


def read_by_meaning(api, phase, professional_id: str) -> None:
    """The API's reads of the index: semantic and hybrid pages, and a record's similar ones."""
    phase("APIHandler")
    for mode in ("semantic", "hybrid"):
        page = api.call("GET", f"/professionals?q=pages+of+a+resume&mode={mode}")
        assert page.status_code == 200, page.json
    similar = api.call("GET", f"/professionals/{professional_id}/similar")
    assert similar.status_code == 200, similar.json
    phase(None)
