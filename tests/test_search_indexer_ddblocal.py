"""The search indexer against DynamoDB Local's real stream (NEW_AND_OLD_IMAGES).

Writes go through the app's own modules; the stream's records are then read from DynamoDB
Local exactly as an event source mapping would hand them over, and applied by the same handler
the Lambda runs. S3 (the resume text objects) is moto in-process.
"""
from __future__ import annotations

import os
import uuid

import boto3
import pytest
from moto import mock_aws

from chalicelib import clients, db, professionals
from chalicelib.auth import Caller
from chalicelib.bulk import bulk_upsert
from chalicelib.models import ProfessionalItem
from chalicelib.search import index, indexer, layout, query
from infra.verify import check_search_index
from tests import search_sync
from tests.test_concurrency_ddblocal import ddb_table  # noqa: F401  (a fresh table there)

pytestmark = pytest.mark.ddblocal

STAFF = Caller(role="staff", name="ops")


@pytest.fixture
def tables(ddb_table, monkeypatch):
    """A fresh professionals table and its search table in DynamoDB Local; S3 on moto."""
    monkeypatch.setenv("SEARCH_TABLE_NAME", f"{ddb_table}-search")  # what resources.create_app_tables made
    monkeypatch.setenv("RESUME_BUCKET", "professionals-resumes-test")
    with mock_aws():
        clients.reset()
        search_sync.forget()
        clients.s3().create_bucket(Bucket="professionals-resumes-test")
        yield ddb_table
    clients.reset()


def search_ids(q: str, source: str | None = None) -> list[str]:
    """Every result of a search, following the cursors."""
    ids, cursor = [], None
    while True:
        found = query.search(query.parse_q(q), where=layout.Filters(source=source), limit=100,
                             cursor=cursor)
        ids += [item["id"] for item in found["items"]]
        cursor = found["next_cursor"]
        if not cursor:
            return ids


def index_items() -> list[dict]:
    client = boto3.client("dynamodb")
    items, start = [], None
    while True:
        kwargs = {"TableName": os.environ["SEARCH_TABLE_NAME"], "ConsistentRead": True}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = client.scan(**kwargs)
        items += [index.from_raw(raw) for raw in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def snapshot() -> list[tuple]:
    """The index's content, comparable across runs (compressed blobs as bytes)."""
    out = []
    for item in index_items():
        values = {k: (v.value if hasattr(v, "value") else v) for k, v in item.items()}
        out.append(tuple(sorted((k, repr(v)) for k, v in values.items())))
    return sorted(out)


def create(**fields) -> ProfessionalItem:
    return professionals.create({"full_name": "Ada Lovelace", **fields}, STAFF)


def test_insert_update_delete_follow_the_table(tables):
    ada = create(email="ada@example.com", company_name="Analytical Engines", job_title="Engineer")
    grace = create(full_name="Grace Hopper", email="grace@navy.example", job_title="Admiral")
    assert search_sync.sync_search_index() > 0
    assert search_ids("lovel") == [ada.id]
    assert search_ids("engin") == [ada.id]
    assert search_ids("admiral grace") == [grace.id]

    professionals.patch(ada.id, {"full_name": "Augusta King", "company_name": None}, STAFF)
    search_sync.sync_search_index()
    assert search_ids("lovel") == []
    assert search_ids("engines") == []
    assert search_ids("augusta") == [ada.id]
    assert check_search_index(sample=None)["problems"] == []

    professionals.delete(grace.id)
    search_sync.sync_search_index()
    assert search_ids("grace") == []
    assert not [i for i in index_items() if i.get("id") == grace.id and i["pk"] != f"DOC#{grace.id}"]
    assert check_search_index(sample=None)["problems"] == []


def test_replays_and_out_of_order_records_change_nothing(tables):
    ada = create(email="ada@example.com", job_title="Engineer")
    professionals.patch(ada.id, {"job_title": "Mathematician"}, STAFF)
    professionals.patch(ada.id, {"company_name": "Babbage and Co"}, STAFF)
    gone = create(full_name="Charles Babbage", email="charles@example.com")
    professionals.delete(gone.id)
    records = search_sync.pending_records()
    assert len([r for r in records if r["dynamodb"]["Keys"]["pk"]["S"].startswith("PRO#")]) == 5

    assert indexer.handle_stream_records(records) == []
    settled = snapshot()
    assert search_ids("mathematician babbage") == [ada.id]
    assert search_ids("engineer") == []
    assert search_ids("charles") == []

    assert indexer.handle_stream_records(records) == []  # the whole batch again
    assert snapshot() == settled
    assert indexer.handle_stream_records(list(reversed(records))) == []  # newest first
    assert snapshot() == settled
    for record in records:  # each one alone, oldest first, after everything
        assert indexer.handle_stream_records([record]) == []
    assert snapshot() == settled
    assert search_ids("charles") == []


def test_a_poison_record_fails_alone_and_is_reported(tables):
    create(email="first@example.com", full_name="First Person")
    create(email="last@example.com", full_name="Last Person")
    records = search_sync.pending_records()
    professional_records = [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"].startswith("PRO#")]
    poison = {**professional_records[1], "dynamodb": {
        **professional_records[1]["dynamodb"], "NewImage": {"pk": {"S": "PRO#x"}, "id": {"N": "1"}}}}
    batch = [professional_records[0], poison, *records]
    failed = indexer.handle_stream_records(batch)
    assert failed == [poison["dynamodb"]["SequenceNumber"]]
    assert len(search_ids("first")) == 1  # the record before it was applied
    # The event source retries from the poison record, then sets it aside; the rest go through.
    assert indexer.handle_stream_records(records) == []
    assert len(search_ids("last person")) == 1


def test_resume_text_from_s3_missing_and_huge(tables):
    ada = create(email="ada@example.com")
    ada_text = "Ada wrote the first program for the Analytical Engine. " * 3
    huge = ("kubernetes " * 3) + ("filler " * 20_000) + "zanzibar"  # zanzibar past 100,000 chars
    assert len(huge) > 100_000
    bob = create(full_name="Bob Builder", email="bob@example.com")
    eve = create(full_name="Eve Missing", email="eve@example.com")
    for item, text in ((ada, ada_text), (bob, huge), (eve, None)):
        key = f"text/{item.id}/0123456789abcdef.txt"
        if text is not None:
            clients.s3().put_object(Bucket="professionals-resumes-test", Key=key, Body=text.encode())
        _make_ready(item.id, key)
    search_sync.sync_search_index()
    assert search_ids("program") == [ada.id]
    assert search_ids("progr") == []  # resume words match whole
    assert search_ids("kubernetes") == [bob.id]
    assert search_ids("zanzibar") == []  # past the 100,000 characters indexed
    assert search_ids("eve missing") == [eve.id]  # a missing text object does not stop indexing
    hit = query.search(["analytical", "program"], where=layout.Filters(), limit=10,
                       cursor=None)["items"][0]
    assert hit["match"]["fields"] == ["resume"]
    assert "program" in hit["match"]["snippet"] and len(hit["match"]["snippet"]) <= 200


def _make_ready(professional_id: str, text_key: str) -> None:
    """Mark the resume ready as the resume processor does (its text object already written)."""
    def attempt() -> None:
        item = professionals.get(professional_id)
        before = item.version
        item.resume_ready = {"pdf_key": text_key.replace("text/", "resumes/"),
                             "text_key": text_key, "filename": "cv.pdf"}
        item.resume = {"status": "ready"}
        item.version = before + 1
        db.transact([db.Action("put", item, ProfessionalItem.version == before)])
    db.retrying(attempt, what="test")


def test_a_bulk_import_is_searchable_and_the_indexer_never_reads_the_table(tables):
    rows = [{"full_name": f"Person {n:04d} Zq{n:04d}", "email": f"p{n}@bulk.example",
             "job_title": "Engineer" if n % 2 else "Designer"} for n in range(300)]
    result = bulk_upsert(rows, STAFF)
    assert result["summary"]["created"] == 300
    calls: list[tuple[str, str]] = []

    def count(params, model, **_):
        for name in [params.get("TableName", ""), *params.get("RequestItems", {})]:
            calls.append((model.name, name))
    table = os.environ["TABLE_NAME"]
    db._client().meta.events.register("provide-client-params.dynamodb", count)
    clients.dynamodb().meta.events.register("provide-client-params.dynamodb", count)
    search_sync.sync_search_index()
    assert not [c for c in calls if c[1] == table], calls[:5]  # stream images are enough
    assert len(search_ids("zq0123")) == 1
    assert len(search_ids("designer")) == 150
    assert check_search_index(sample=None)["problems"] == []


def test_reindex_rebuilds_a_lost_index_resumably_and_prunes(tables, capsys):
    from infra.__main__ import main
    from infra.search_reindex import reindex
    people = [create(full_name=f"Reindex Person{n}", email=f"r{n}@example.com",
                     job_title="Welder" if n % 3 else "Painter") for n in range(45)]
    search_sync.sync_search_index()
    before = snapshot()
    client = boto3.client("dynamodb")
    for item in index_items():  # lose the whole index
        client.delete_item(TableName=os.environ["SEARCH_TABLE_NAME"],
                           Key=index.to_raw({"pk": item["pk"], "sk": item["sk"]}))
    assert search_ids("reindex") == []
    import infra.search_reindex as module
    module.PAGE = 10
    try:
        first = reindex(say=lambda line: None, stop_after_pages=2)  # interrupted
        assert sum(first.values()) < 45
        professionals.delete(people[0].id)  # deleted meanwhile, its index entries still there
        assert main(["search", "reindex"]) == 0  # goes on where it stopped
    finally:
        module.PAGE = 200
    out = capsys.readouterr().out
    assert "resuming the reindex" in out and "reindexed" in out
    assert sorted(search_ids("reindex")) == sorted(p.id for p in people[1:])
    assert len(search_ids("painter")) == 14
    assert main(["verify", "--whole"]) == 0
    assert snapshot() != before  # (people[0] is gone, so the index differs from before)
