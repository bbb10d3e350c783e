"""Replaying the search indexer's dead-letter queue (infra/search_dlq.py) against DynamoDB Local's
real stream and moto's SQS: on-failure messages are built from the sequence numbers the stream
really holds, the way Lambda builds them; the index is checked in the search table."""
from __future__ import annotations

import json
import uuid

import boto3
import pytest
from moto import mock_aws

from chalicelib import db, professionals
from chalicelib.auth import Caller
from chalicelib.search import index, indexer
from infra import search_dlq
from infra.__main__ import main as infra_main
from tests.test_concurrency_ddblocal import ddb_table  # noqa: F401  (fixtures: a fresh table,
from tests.test_search_indexer_ddblocal import tables  # noqa: F401  its search table and S3)

pytestmark = pytest.mark.ddblocal

STAFF = Caller(role="staff", name="ops")


@pytest.fixture
def stage(tables, monkeypatch):
    """Both tables in DynamoDB Local (the professionals table with its stream), S3 in moto (the
    indexer's fixture), and the index's dead-letter queue in moto."""
    monkeypatch.delenv("SEARCH_DLQ_URL", raising=False)
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName=f"{tables}-search-dlq")["QueueUrl"]
    return {"sqs": sqs, "queue": queue, "streams": search_dlq.streams_client()}


def sign_up(full_name: str) -> str:
    email = f"{full_name.split()[0].lower()}-{uuid.uuid4().hex[:6]}@example.com"
    return professionals.create({"full_name": full_name, "email": email}, STAFF).id


def stream_records(streams) -> tuple[str, str, list[dict]]:
    """The stream's ARN, its one shard and every record in it (DynamoDB Local has one shard)."""
    arn = db.connection().client.describe_table(
        TableName=db.bind())["Table"]["LatestStreamArn"]
    shard, = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        if not page["Records"]:
            break
        records += page["Records"]
        iterator = page.get("NextShardIterator")
    return arn, shard["ShardId"], records


def on_failure_message(arn: str, shard: str, first: dict, last: dict, size: int) -> str:
    """What Lambda sends a stream event source's on-failure destination."""
    return json.dumps({
        "requestContext": {"requestId": str(uuid.uuid4()), "condition": "RetryAttemptsExhausted",
                           "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:x",
                           "approximateInvokeCount": 6},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                            "functionError": "Unhandled"},
        "version": "1.0", "timestamp": "2026-12-02T04:00:00.000Z",
        "DDBStreamBatchInfo": {
            "shardId": shard, "streamArn": arn, "batchSize": size,
            "startSequenceNumber": first["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": last["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": "2026-12-02T03:59:00Z",
            "approximateArrivalOfLastRecord": "2026-12-02T03:59:01Z"}})


def indexed(professional_id: str) -> bool:
    return index.read_state(professional_id) is not None


def visible_bodies(sqs, queue: str) -> list[str]:
    got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return sorted(m["Body"] for m in got.get("Messages", []))


def pro_id(record: dict) -> str | None:
    pk = record["dynamodb"]["Keys"]["pk"]["S"]
    return pk.removeprefix("PRO#") if pk.startswith("PRO#") else None


@pytest.fixture
def failed_batch(stage):
    """Three sign-ups (each a professional and its e-mail guard); the batch that failed is the
    records of the first two only, as Lambda names it on the dead-letter queue."""
    ada, grace, alan = sign_up("Ada Lovelace"), sign_up("Grace Hopper"), sign_up("Alan Turing")
    arn, shard, records = stream_records(stage["streams"])
    ids = [pro_id(r) for r in records]
    assert set(ids) - {None} == {ada, grace, alan} and None in ids  # guards are in the stream
    last_of_grace = max(i for i, r in enumerate(records) if pro_id(r) == grace)
    batch = records[:last_of_grace + 1]
    assert alan not in {pro_id(r) for r in batch}
    body = on_failure_message(arn, shard, batch[0], batch[-1], len(batch))
    stage["sqs"].send_message(QueueUrl=stage["queue"], MessageBody=body)
    return {**stage, "ids": [ada, grace], "other": alan, "body": body, "arn": arn,
            "shard": shard, "records": records}


def test_replay_reindexes_the_professionals_of_the_failed_range_and_deletes_the_message(
        failed_batch, monkeypatch):
    calls = []
    real = indexer.reindex_ids
    monkeypatch.setattr(indexer, "reindex_ids", lambda ids: calls.append(list(ids)) or real(ids))
    assert not any(indexed(i) for i in failed_batch["ids"])  # the indexer never ran
    lines = []
    report = search_dlq.replay(failed_batch["queue"], sqs=failed_batch["sqs"],
                               streams=failed_batch["streams"], say=lines.append)
    assert calls == [failed_batch["ids"]]  # in stream order, each once, guards skipped
    assert report.ok and list(report.replayed.values()) == [failed_batch["ids"]]
    assert all(indexed(i) for i in failed_batch["ids"])
    assert not indexed(failed_batch["other"])  # outside the range: untouched
    assert visible_bodies(failed_batch["sqs"], failed_batch["queue"]) == []
    assert "re-indexed" in lines[0] and "deleted" in lines[0]


def test_a_dry_run_lists_the_professionals_and_changes_nothing(failed_batch, monkeypatch):
    monkeypatch.setattr(indexer, "reindex_ids", lambda ids: pytest.fail("a dry run re-indexed"))
    lines = []
    report = search_dlq.replay(failed_batch["queue"], sqs=failed_batch["sqs"],
                               streams=failed_batch["streams"], dry_run=True, say=lines.append)
    assert list(report.planned.values()) == [failed_batch["ids"]] and not report.replayed
    assert all(i in lines[0] for i in failed_batch["ids"]) and "would re-index" in lines[0]
    assert not any(indexed(i) for i in failed_batch["ids"])
    # The message is visible again at once, for the real run.
    assert visible_bodies(failed_batch["sqs"], failed_batch["queue"]) == [failed_batch["body"]]
    summary = search_dlq.summary(report, "dev", dry_run=True)
    assert summary == ["dry run: 1 message(s) replayable, 2 professional(s) to re-index; "
                       "nothing changed"]


def test_a_failed_reindex_keeps_the_message(failed_batch, monkeypatch):
    def unavailable(ids):
        raise db.StoreUnavailable("throttled")

    monkeypatch.setattr(indexer, "reindex_ids", unavailable)
    report = search_dlq.replay(failed_batch["queue"], sqs=failed_batch["sqs"],
                               streams=failed_batch["streams"], say=lambda _: None)
    assert not report.ok and "StoreUnavailable: throttled" in next(iter(report.failed.values()))
    assert visible_bodies(failed_batch["sqs"], failed_batch["queue"]) == [failed_batch["body"]]
    assert "failed to re-index" in search_dlq.summary(report, "dev", dry_run=False)[1]


def test_records_no_longer_in_the_stream_say_to_reindex_and_stay(failed_batch):
    sqs, queue = failed_batch["sqs"], failed_batch["queue"]
    sqs.purge_queue(QueueUrl=queue)
    records = failed_batch["records"]
    gone_shard = on_failure_message(failed_batch["arn"], "shardId-00000000000000000000-gone",
                                    records[0], records[1], 2)
    # A stream that was turned off and on again (a new ARN): the old one is gone.
    gone_stream = on_failure_message(failed_batch["arn"][:-3] + "999", failed_batch["shard"],
                                     records[0], records[1], 2)
    for body in (gone_shard, gone_stream, "not an on-failure message"):
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    lines = []
    report = search_dlq.replay(queue, sqs=sqs, streams=failed_batch["streams"], say=lines.append)
    assert len(report.unavailable) == 2 and len(report.unreadable) == 1 and not report.replayed
    assert sum("no longer in the stream" in line for line in lines) == 2
    summary = search_dlq.summary(report, "dev", dry_run=False)
    assert any("python -m infra search reindex" in line and "purge" in line for line in summary)
    assert visible_bodies(sqs, queue) == sorted([gone_shard, gone_stream,
                                                 "not an on-failure message"])


def test_read_range_stops_at_the_end_of_the_batch(failed_batch):
    records = failed_batch["records"]
    info = search_dlq.BatchInfo(stream_arn=failed_batch["arn"], shard_id=failed_batch["shard"],
                                start=records[1]["dynamodb"]["SequenceNumber"],
                                end=records[3]["dynamodb"]["SequenceNumber"])
    got = search_dlq.read_range(failed_batch["streams"], info)
    assert [r["dynamodb"]["SequenceNumber"] for r in got] == \
        [r["dynamodb"]["SequenceNumber"] for r in records[1:4]]
    assert search_dlq.BatchInfo.from_body(failed_batch["body"]).end == \
        json.loads(failed_batch["body"])["DDBStreamBatchInfo"]["endSequenceNumber"]


def test_the_command_line_replays_the_stage_queue(failed_batch, monkeypatch, capsys):
    monkeypatch.setenv("SEARCH_DLQ_URL", failed_batch["queue"])
    assert infra_main(["search", "replay-dlq", "--stage", "test", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "(dry run)" in out and all(i in out for i in failed_batch["ids"])
    assert infra_main(["search", "replay-dlq", "--stage", "test"]) == 0
    assert "1 message(s) replayed and deleted, 2 professional(s) re-indexed" in \
        capsys.readouterr().out
    assert all(indexed(i) for i in failed_batch["ids"])
    failed_batch["sqs"].send_message(QueueUrl=failed_batch["queue"], MessageBody="junk")
    assert infra_main(["search", "replay-dlq", "--stage", "test"]) == 1


def test_a_deployed_stage_is_found_through_its_stack_outputs(monkeypatch):
    outputs = {"SearchIndexDeadLetterQueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q",
               "TableName": "professionals-dev", "SearchTableName": "professionals-dev-search",
               "ResumeBucketName": "professionals-resumes-dev-1-us-east-1"}
    monkeypatch.delenv("STACK_NAME", raising=False)
    with mock_aws():
        cloudformation = boto3.client("cloudformation")
        cloudformation.create_stack(StackName="professionals-dev", TemplateBody=json.dumps({
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {k: {"Value": v} for k, v in outputs.items()}}))
        target = search_dlq.stage_target("dev", cloudformation=cloudformation)
        assert target.queue_url == outputs["SearchIndexDeadLetterQueueUrl"]
        assert target.env == {"TABLE_NAME": "professionals-dev",
                              "SEARCH_TABLE_NAME": "professionals-dev-search",
                              "RESUME_BUCKET": "professionals-resumes-dev-1-us-east-1"}
        cloudformation.create_stack(StackName="professionals-old", TemplateBody=json.dumps({
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}))
        with pytest.raises(SystemExit, match="deploy the stage first"):
            search_dlq.stage_target("old", cloudformation=cloudformation)
