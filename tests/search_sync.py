"""Feed the professionals table's stream to the search indexer, as the event source mapping does
(deployed: Lambda; locally: infra's stream worker): read every record not yet delivered, in
order, and invoke the app's ``index_search`` handler with batches of up to 100."""
from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config

_delivered: dict[str, str] = {}  # shard id -> last sequence number handed to the handler


def stream_client() -> Any:
    endpoint = (os.environ.get("AWS_ENDPOINT_URL_DYNAMODB_STREAMS")
                or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"))
    # moto routes only the regional host name, not the account-id one botocore now prefers
    config = Config(account_id_endpoint_mode="disabled")
    return boto3.client("dynamodbstreams", endpoint_url=endpoint, config=config)


def pending_records() -> list[dict[str, Any]]:
    from chalicelib.settings import get_settings
    table = boto3.client("dynamodb").describe_table(TableName=get_settings().table_name)["Table"]
    arn = table["LatestStreamArn"]
    streams = stream_client()
    records: list[dict[str, Any]] = []
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    for shard in shards:
        shard_id = shard["ShardId"]
        after = _delivered.get(f"{arn}/{shard_id}")
        kwargs = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
                  if after else {"ShardIteratorType": "TRIM_HORIZON"})
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id,
                                              **kwargs)["ShardIterator"]
        while iterator:
            got = streams.get_records(ShardIterator=iterator, Limit=1000)
            records += got["Records"]
            if got["Records"]:
                _delivered[f"{arn}/{shard_id}"] = got["Records"][-1]["dynamodb"]["SequenceNumber"]
            if not got["Records"]:
                break
            iterator = got.get("NextShardIterator")
    return records


def sync_search_index(client: Any = None) -> int:
    """Deliver the pending records to ``index_search``; returns how many. Fails on a record
    the handler reports as failed (a test's data should never be poison)."""
    from chalice.test import Client

    from app import app
    records = pending_records()
    own = client is None
    client = client or Client(app, stage_name="test")
    try:
        for start in range(0, len(records), 100):
            batch = records[start:start + 100]
            answer = client.lambda_.invoke("index_search", {"Records": batch}).payload
            assert answer == {"batchItemFailures": []}, answer
    finally:
        if own:
            client.__exit__(None, None, None)
    return len(records)


def forget() -> None:
    """A new emulator: deliver from its stream's start."""
    _delivered.clear()
