"""Feed the professionals table's stream (moto in-process, or DynamoDB Local) to the app's
``count_stats`` handler, which records the history too, as the event source mapping does; and
callers of each staff group for the history's tests."""
from __future__ import annotations

from typing import Any

import boto3

from tests.search_sync import stream_client


def all_records() -> list[dict[str, Any]]:
    """Every record of every shard, from the trim horizon: handing them all again each time
    is a replay, which must change nothing."""
    from chalicelib.settings import get_settings
    table = boto3.client("dynamodb").describe_table(TableName=get_settings().table_name)["Table"]
    arn = table["LatestStreamArn"]
    streams = stream_client()
    found: list[tuple[str, list[dict[str, Any]]]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records: list[dict[str, Any]] = []
        while iterator:
            got = streams.get_records(ShardIterator=iterator, Limit=1000)
            records += got["Records"]
            if not got["Records"]:
                break
            iterator = got.get("NextShardIterator")
        found.append((shard["ShardId"], records))
    return [{"shardId": shard, "Records": records} for shard, records in found]


def sync_history(client: Any) -> None:
    """Deliver the stream to ``count_stats`` (batches of 100); fails on a reported failure."""
    for shard in all_records():
        records = shard["Records"]
        for start in range(0, len(records), 100):
            event = {"shardId": shard["shardId"], "Records": records[start:start + 100]}
            answer = client.lambda_.invoke("count_stats", event).payload
            assert answer["batchItemFailures"] == [], answer
