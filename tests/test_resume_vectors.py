"""Resume passages into the vector store (chalicelib/resume_vectors.py) and the messages that
ask for it (chalicelib/embed_queue.py, sent by the search indexer from the table's stream): moto
for the table, S3, SQS and S3 Vectors; the real model (texts kept short: ~0.1-0.2 s a passage)."""
from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from chalicelib import clients, db, embed_queue, professionals, resume_vectors, vectors
from chalicelib.auth import Caller
from chalicelib.models import ProfessionalItem
from chalicelib.search import indexer
from infra.local import s3vectors_query
from tests import search_sync

STAFF = Caller(role="staff", name="ops")
BUCKET = "professionals-resumes-test"
NURSE = "ICU nurse with twelve years on cardiac wards. Night shifts, triage and ventilators."


@pytest.fixture
def embed_env(store, monkeypatch):
    """The table, the resume bucket, the vector index and the embed queue, in moto."""
    s3vectors_query.install()
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3VECTORS", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_SQS", raising=False)
    vectors.create_index(clients.s3vectors(), "professionals-test-vectors", "passages")
    sqs = clients.sqs()
    url = sqs.create_queue(QueueName="professionals-embed-test")["QueueUrl"]
    monkeypatch.setenv("EMBED_QUEUE_URL", url)
    search_sync.pending_records()  # the stream so far (none): later reads are the test's own
    return url


def create(**fields) -> ProfessionalItem:
    fields.setdefault("email", f"{uuid.uuid4().hex[:12]}@example.com")
    return professionals.create({"full_name": "Ada Lovelace", **fields}, STAFF)


def make_ready(professional_id: str, text: str | None, name: str = "a") -> str:
    """Mark a resume ready as the resume processor does, its text object written first (None:
    the object is missing); returns its text key."""
    key = f"text/{professional_id}/{name}.txt"
    if text is not None:
        clients.s3().put_object(Bucket=BUCKET, Key=key, Body=text.encode())

    def attempt() -> None:
        item = professionals.get(professional_id)
        before = item.version
        item.resume_ready = {"pdf_key": key.replace("text/", "resumes/"), "text_key": key,
                             "filename": "cv.pdf"}
        item.resume = {"status": "ready"}
        item.version = before + 1
        db.transact([db.Action("put", item, ProfessionalItem.version == before)])
    db.retrying(attempt, what="test")
    return key


def stored(professional_id: str) -> dict[int, dict]:
    """passage number -> metadata of the vectors the store holds for this person."""
    got = clients.s3vectors().get_vectors(
        vectorBucketName="professionals-test-vectors", indexName="passages", returnMetadata=True,
        keys=[vectors.key(professional_id, n) for n in range(vectors.MAX_PASSAGES)])["vectors"]
    return {vectors.parse_key(v["key"])[1]: v["metadata"] for v in got}


COMMON = "the nurse cared for patients on the ward at night and led the team".split()


def words(n: int) -> str:
    """``n`` words of one token each (the model's cost is per token), a sentence every 20."""
    return " ".join(COMMON[i % len(COMMON)] + ("." if i % 20 == 19 else "") for i in range(n))


def queued(url: str) -> list[str]:
    """The ids of every message on the queue (received and deleted)."""
    ids = []
    while True:
        got = clients.sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                            WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return ids
        for m in got:
            ids.append(json.loads(m["Body"])["id"])
            clients.sqs().delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def sqs_record(professional_id: str, message_id: str) -> dict:
    return {"messageId": message_id, "body": json.dumps({"id": professional_id})}


# --- sync ---------------------------------------------------------------------------------

def test_a_ready_resume_is_embedded_with_its_metadata(embed_env):
    ada = create(email="ada@example.com")
    make_ready(ada.id, NURSE)
    assert resume_vectors.sync(ada.id) == 1
    meta = stored(ada.id)
    assert list(meta) == [0]
    assert meta[0]["professional"] == ada.id and meta[0]["source"] == ada.source
    assert meta[0]["created_at"] == vectors.created_at_ms(ada.created_at)
    assert meta[0]["text"] == NURSE
    # the vector is the model's: a nurse query finds it first
    from chalicelib.embeddings import model
    hit = vectors.query(model.embed(["critical care nursing"])[0], 1)[0]
    assert hit.professional_id == ada.id and hit.score > 0.3


def test_a_replaced_shorter_resume_leaves_no_passage_of_the_longer_one(embed_env):
    ada = create()
    make_ready(ada.id, words(400), "long")
    long_count = resume_vectors.sync(ada.id)
    assert long_count >= 3 and sorted(stored(ada.id)) == list(range(long_count))
    make_ready(ada.id, "Carpenter. Oak furniture and staircases.", "short")
    assert resume_vectors.sync(ada.id) == 1
    assert stored(ada.id)[0]["text"] == "Carpenter. Oak furniture and staircases."
    assert list(stored(ada.id)) == [0]


def test_no_ready_resume_empty_text_or_missing_object_removes_everything(embed_env):
    ada, bob, eve = create(), create(full_name="Bob"), create(full_name="Eve")
    for person in (ada, bob, eve):
        vectors.put_passages(person.id, "internal", [[1.0] + [0.0] * 383] * 2, ["x", "y"],
                             created_at=person.created_at)
    make_ready(bob.id, "   \n\t  ")  # a resume of no words: 0 passages
    make_ready(eve.id, None)  # its text object gone
    assert [resume_vectors.sync(p.id) for p in (ada, bob, eve)] == [0, 0, 0]
    assert stored(ada.id) == stored(bob.id) == stored(eve.id) == {}


def test_a_deleted_professional_loses_their_vectors(embed_env):
    ada = create()
    make_ready(ada.id, NURSE)
    resume_vectors.sync(ada.id)
    professionals.delete(ada.id, STAFF)
    assert resume_vectors.sync(ada.id) == 0
    assert stored(ada.id) == {}
    assert resume_vectors.sync("never-existed") == 0  # nothing to delete is no error


def test_100000_characters_are_cut_at_max_passages(embed_env, monkeypatch):
    """128 passages of the real model would take ~20 s: the cap is checked with the cutter's
    real passages and the model's real vectors for the few distinct texts."""
    from chalicelib.embeddings import model
    seen: list[int] = []

    real_embed = model.embed

    def embed_few(texts):
        seen.append(len(texts))
        return real_embed(["filler"]).repeat(len(texts), axis=0)
    monkeypatch.setattr(model, "embed", embed_few)
    ada = create()
    text = ("A cat sat. " * 10_000)[:100_000]  # ~27,000 words: ~170 passages, 128 kept
    make_ready(ada.id, text)
    assert resume_vectors.sync(ada.id) == vectors.MAX_PASSAGES == seen[0]
    assert sorted(stored(ada.id)) == list(range(vectors.MAX_PASSAGES))


def test_one_line_and_other_scripts(embed_env):
    ada, li = create(), create(full_name="Li Wei")
    make_ready(ada.id, "Plumber")
    make_ready(li.id, "软件工程师，十年经验。Σωκράτης, Фёдор: инженер-программист.")
    assert resume_vectors.sync(ada.id) == 1 and resume_vectors.sync(li.id) == 1
    assert stored(li.id)[0]["text"].startswith("软件工程师")


# --- handle: the SQS batch --------------------------------------------------------------

def test_one_failing_resume_does_not_fail_the_others(embed_env, monkeypatch):
    ada, bob = create(), create(full_name="Bob")
    make_ready(ada.id, NURSE)
    make_ready(bob.id, "Carpenter.")
    real_put = vectors.put_passages

    def put(professional_id, *args, **kwargs):
        if professional_id == bob.id:  # the store refuses this one: an outage to the caller
            raise vectors.VectorsUnavailable("down")
        return real_put(professional_id, *args, **kwargs)
    monkeypatch.setattr(vectors, "put_passages", put)
    failed = resume_vectors.handle([sqs_record(ada.id, "m1"), sqs_record(bob.id, "m2"),
                                    {"messageId": "m3", "body": "not json"},
                                    {"messageId": "m4", "body": "{}"},
                                    sqs_record(bob.id, "m5")])
    assert failed == ["m2", "m3", "m4", "m5"]
    assert list(stored(ada.id)) == [0]


def test_an_unreachable_store_fails_the_message(embed_env, monkeypatch):
    ada = create()
    make_ready(ada.id, NURSE)
    error = ClientError({"Error": {"Code": "ServiceUnavailableException", "Message": "x"}},
                        "PutVectors")

    class Down:
        def __getattr__(self, name):
            def call(**_):
                raise error
            return call
    monkeypatch.setattr(clients, "s3vectors", lambda: Down())
    assert resume_vectors.handle([sqs_record(ada.id, "m1")]) == ["m1"]
    with pytest.raises(vectors.VectorsUnavailable):
        resume_vectors.sync(ada.id)


def test_the_app_handler_reports_batch_item_failures(embed_env):
    from chalice.test import Client

    from app import app
    ada = create()
    make_ready(ada.id, NURSE)
    with Client(app, stage_name="test") as client:
        answer = client.lambda_.invoke("embed_resumes", {"Records": [
            {**sqs_record(ada.id, "m1"), "receiptHandle": "r1", "eventSource": "aws:sqs"},
            {"messageId": "m2", "body": "[]", "receiptHandle": "r2", "eventSource": "aws:sqs"}]}
        ).payload
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert list(stored(ada.id)) == [0]


# --- the indexer names whom to sync -------------------------------------------------------

def test_the_indexer_queues_resume_changes_and_removals_once_per_batch(embed_env):
    url = embed_env
    ada, bob = create(), create(full_name="Bob")
    professionals.patch(ada.id, {"job_title": "Nurse"}, STAFF)  # no resume: nothing to queue
    search_sync.sync_search_index()
    assert queued(url) == []
    make_ready(ada.id, NURSE, "one")
    make_ready(ada.id, NURSE, "two")  # two changes in one batch: one message
    professionals.patch(bob.id, {"job_title": "Carpenter"}, STAFF)
    search_sync.sync_search_index()
    assert queued(url) == [ada.id]
    professionals.patch(ada.id, {"job_title": "Head nurse"}, STAFF)  # same resume: nothing
    search_sync.sync_search_index()
    assert queued(url) == []
    professionals.delete(ada.id, STAFF)  # erased with a ready resume
    professionals.delete(bob.id, STAFF)  # never had one: nothing to remove
    search_sync.sync_search_index()
    assert queued(url) == [ada.id]


def test_a_failed_send_fails_the_batch_and_the_retry_sends(embed_env, monkeypatch):
    url = embed_env
    ada = create()
    make_ready(ada.id, NURSE)
    records = search_sync.pending_records()
    monkeypatch.setenv("EMBED_QUEUE_URL", url + "-missing")
    assert indexer.handle_stream_records(records) == [records[0]["dynamodb"]["SequenceNumber"]]
    monkeypatch.setenv("EMBED_QUEUE_URL", url)
    assert indexer.handle_stream_records(records) == []  # the index is written: sent anyway
    assert queued(url) == [ada.id]


def test_without_a_queue_url_nothing_is_sent(embed_env, monkeypatch):
    monkeypatch.setenv("EMBED_QUEUE_URL", "")
    assert embed_queue.send(["a", "b"]) == 0
    monkeypatch.setenv("EMBED_QUEUE_URL", embed_env)
    assert embed_queue.send(["a", "b", "a"] + [f"p{n}" for n in range(12)]) == 14
    assert sorted(queued(embed_env)) == sorted(["a", "b"] + [f"p{n}" for n in range(12)])


def test_a_message_replayed_after_a_newer_one_still_ends_in_the_current_state(embed_env):
    ada = create()
    make_ready(ada.id, words(300), "old")
    make_ready(ada.id, "Carpenter.", "new")
    for _ in range(2):  # the old resume's message, late, and the new one's: the same result
        assert resume_vectors.sync(ada.id) == 1
    assert stored(ada.id)[0]["text"] == "Carpenter."


def test_replaying_the_index_dlq_also_queues_the_resumes_the_failed_batch_changed(embed_env):
    """A stream batch that failed for good never sent its embed messages: the index's DLQ
    replay (infra/search_dlq.py) sends them from the records it reads back."""
    from infra import search_dlq
    from tests.test_search_dlq import on_failure_message
    ada, bob = create(), create(full_name="Bob")
    make_ready(ada.id, NURSE)
    records = search_sync.pending_records()  # the batch that failed: never delivered
    arn = clients.dynamodb().describe_table(TableName="professionals-test")["Table"][
        "LatestStreamArn"]
    shard, = search_sync.stream_client().describe_stream(StreamArn=arn)["StreamDescription"][
        "Shards"]  # moto's stream has one shard
    shard = shard["ShardId"]
    dlq = clients.sqs().create_queue(QueueName="professionals-test-search-dlq")["QueueUrl"]
    clients.sqs().send_message(QueueUrl=dlq, MessageBody=on_failure_message(
        arn, shard, records[0], records[-1], len(records)))
    report = search_dlq.replay(dlq, sqs=clients.sqs(), streams=search_sync.stream_client(),
                               say=lambda line: None)
    assert report.ok and sorted(report.replayed.popitem()[1]) == sorted([ada.id, bob.id])
    assert queued(embed_env) == [ada.id]
