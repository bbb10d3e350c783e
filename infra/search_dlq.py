"""Replay the search indexer's dead-letter queue: ``python -m infra search replay-dlq --stage S``.

When a batch of the professionals table's stream fails every retry (or grows older than the event
source mapping allows), Lambda sends the on-failure queue a message that names the batch, not its
records: ``DDBStreamBatchInfo`` (``streamArn``, ``shardId``, ``startSequenceNumber``,
``endSequenceNumber``). The local stack's stream worker sends the same. For each message this
tool reads that range back from the stream (``GetShardIterator AT_SEQUENCE_NUMBER``, then
``GetRecords`` until past the end), collects the professionals the records are about (``pk`` =
``PRO#<id>``; guards, keys and other items are not indexed), re-indexes them from the table's
*current* state (``chalicelib.search.indexer.reindex_ids``: the records may be stale by now, and
the index is version-guarded anyway), names on the embed queue those whose ready resume the
records changed (``chalicelib.embed_queue``: the failed batch never sent them) and deletes the
message only once that succeeded.

A stream keeps records 24 hours. A message whose range is gone (trimmed, or the stream itself was
replaced) cannot be replayed: the tool says so and leaves it; ``python -m infra search reindex``
(``infra/search_reindex.py``) rebuilds the whole index, after which the queue can be purged.

``--dry-run`` reads the ranges and lists the professionals it would re-index, changing nothing.
Messages that are not replayed are made visible again when the tool ends.

Where things are: a deployed stage's queue, tables and bucket come from its stack's outputs
(``professionals-<stage>``, or ``STACK_NAME``), with the caller's AWS credentials; ``local`` and
``test`` use the environment the local stack exports (``SEARCH_DLQ_URL``, ``TABLE_NAME``,
``SEARCH_TABLE_NAME``, endpoints).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

from botocore.exceptions import ClientError

from chalicelib import embed_queue
from chalicelib.search import indexer

APP = "professionals"
VISIBILITY_S = 300  # how long a received message stays hidden while the tool works on it
PAGE_LIMIT = 1000  # records per GetRecords
MAX_EMPTY_PAGES = 5  # an open shard answers empty pages at its tip: stop after a few
GONE = ("TrimmedDataAccessException", "ResourceNotFoundException", "ExpiredIteratorException")
LOCAL_STAGES = ("local", "test")


class RangeUnavailable(Exception):
    """The batch's records are no longer (all) in the stream."""


@dataclass(frozen=True)
class BatchInfo:
    stream_arn: str
    shard_id: str
    start: str
    end: str
    size: int | None = None

    @classmethod
    def from_body(cls, body: str) -> BatchInfo | None:
        """The batch an on-failure message names, or None for any other message."""
        try:
            info = json.loads(body)["DDBStreamBatchInfo"]
            return cls(stream_arn=info["streamArn"], shard_id=info["shardId"],
                       start=str(info["startSequenceNumber"]),
                       end=str(info["endSequenceNumber"]), size=info.get("batchSize"))
        except (ValueError, KeyError, TypeError):
            return None

    def describe(self) -> str:
        count = f", {self.size} record(s)" if self.size else ""
        return f"shard {self.shard_id}, sequence {self.start}..{self.end}{count}"


def read_range(streams: Any, info: BatchInfo) -> list[dict[str, Any]]:
    """The records from ``info.start`` to ``info.end`` (inclusive), as the stream holds them."""
    end = int(info.end)
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=info.stream_arn, ShardId=info.shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=info.start)["ShardIterator"]
        records: list[dict[str, Any]] = []
        empty = 0
        while iterator and empty < MAX_EMPTY_PAGES:
            page = streams.get_records(ShardIterator=iterator, Limit=PAGE_LIMIT)
            for record in page.get("Records", []):
                sequence = int(record["dynamodb"]["SequenceNumber"])
                if sequence > end:
                    return records
                records.append(record)
                if sequence == end:
                    return records
            empty = 0 if page.get("Records") else empty + 1
            iterator = page.get("NextShardIterator")
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in GONE:
            raise RangeUnavailable(f"{code}: {exc.response['Error'].get('Message', '')}") from exc
        raise
    raise RangeUnavailable(f"the stream ended before sequence {info.end} "
                           f"({len(records)} record(s) read)")


def professional_ids(records: list[dict[str, Any]]) -> list[str]:
    """The professionals the records change, each once, in stream order."""
    ids = []
    for record in records:
        pk = (((record.get("dynamodb") or {}).get("Keys") or {}).get("pk") or {}).get("S", "")
        if pk.startswith(indexer.PROFESSIONAL_PREFIX):
            ids.append(pk[len(indexer.PROFESSIONAL_PREFIX):])
    return list(dict.fromkeys(ids))


@dataclass
class Report:
    replayed: dict[str, list[str]] = field(default_factory=dict)  # message id -> ids re-indexed
    planned: dict[str, list[str]] = field(default_factory=dict)  # --dry-run: what would be
    unavailable: list[str] = field(default_factory=list)  # ranges no longer in the stream
    failed: dict[str, str] = field(default_factory=dict)  # message id -> error
    unreadable: list[str] = field(default_factory=list)  # not an on-failure message

    @property
    def ok(self) -> bool:
        return not (self.unavailable or self.failed or self.unreadable)


def replay(queue_url: str, *, sqs: Any, streams: Any,
           reindex: Callable[[list[str]], Any] | None = None, dry_run: bool = False,
           say: Callable[[str], None] = print, visibility: int = VISIBILITY_S) -> Report:
    """Replay every message of the queue once; see the module's docstring."""
    reindex = reindex or indexer.reindex_ids
    report = Report()
    kept: dict[str, str] = {}  # message id -> receipt handle, made visible again at the end
    seen: set[str] = set()
    try:
        while True:
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=1, VisibilityTimeout=visibility,
                                           ).get("Messages", [])
            for message in messages:
                if message["MessageId"] in kept:
                    kept[message["MessageId"]] = message["ReceiptHandle"]  # the newest handle
            fresh = [m for m in messages if m["MessageId"] not in seen]
            if not fresh:
                break
            for message in fresh:
                seen.add(message["MessageId"])
                if not _replay_one(message, sqs, streams, reindex, queue_url, dry_run, report,
                                   say):
                    kept[message["MessageId"]] = message["ReceiptHandle"]
    finally:
        for handle in kept.values():
            try:
                sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle,
                                              VisibilityTimeout=0)
            except ClientError:
                pass  # it reappears when its visibility timeout ends anyway
    return report


def _replay_one(message: dict[str, Any], sqs: Any, streams: Any, reindex: Callable[..., Any],
                queue_url: str, dry_run: bool, report: Report,
                say: Callable[[str], None]) -> bool:
    """Handle one message; True when it was deleted."""
    message_id = message["MessageId"]
    info = BatchInfo.from_body(message["Body"])
    if info is None:
        report.unreadable.append(message_id)
        say(f"{message_id}: not an on-failure message of a stream (no DDBStreamBatchInfo): "
            "left in the queue")
        return False
    try:
        records = read_range(streams, info)
    except RangeUnavailable as exc:
        report.unavailable.append(message_id)
        say(f"{message_id}: {info.describe()}: no longer in the stream ({exc}): left in the "
            "queue")
        return False
    ids = professional_ids(records)
    what = f"{message_id}: {info.describe()}: {len(records)} record(s), {len(ids)} professional(s)"
    if dry_run:
        report.planned[message_id] = ids
        say(f"{what}: would re-index {', '.join(ids) or 'nothing'}")
        return False
    try:
        outcome = reindex(ids) if ids else {}
        embed_queue.send(filter(None, map(_embed_id, records)))
    except Exception as exc:  # the message stays: nothing is lost by trying again later
        report.failed[message_id] = f"{type(exc).__name__}: {exc}"
        say(f"{what}: re-indexing failed ({type(exc).__name__}: {exc}): left in the queue")
        return False
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    report.replayed[message_id] = ids
    say(f"{what}: re-indexed ({json.dumps(outcome, sort_keys=True) if outcome else 'none'}), "
        "deleted")
    return True


def _embed_id(record: dict[str, Any]) -> str | None:
    try:
        return embed_queue.to_sync(record)
    except indexer.PoisonRecord:
        return None  # the indexer could not read it either


def summary(report: Report, stage: str, dry_run: bool) -> list[str]:
    lines = []
    if dry_run:
        ids = {i for found in report.planned.values() for i in found}
        lines.append(f"dry run: {len(report.planned)} message(s) replayable, {len(ids)} "
                     "professional(s) to re-index; nothing changed")
    else:
        ids = {i for found in report.replayed.values() for i in found}
        lines.append(f"{len(report.replayed)} message(s) replayed and deleted, {len(ids)} "
                     "professional(s) re-indexed")
    if report.failed:
        lines.append(f"{len(report.failed)} message(s) failed to re-index: fix the cause (the "
                     "errors above, the indexer's log) and run this again")
    if report.unavailable:
        lines.append(f"{len(report.unavailable)} message(s) name records the stream no longer "
                     f"holds (it keeps 24 hours): rebuild the index of stage {stage} with "
                     "`python -m infra search reindex` (docs/operations.md, 'Search index'), "
                     "then purge the queue")
    if report.unreadable:
        lines.append(f"{len(report.unreadable)} message(s) are not on-failure messages: look at "
                     "them (aws sqs receive-message) and delete them by hand")
    return lines


# -- where a stage's things are ---------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    queue_url: str
    env: dict[str, str]  # what chalicelib's settings read, for reindex_ids


def stage_target(stage: str, *, cloudformation: Any = None, sqs: Any = None) -> Target:
    """The stage's index dead-letter queue and the environment ``reindex_ids`` needs."""
    if stage in LOCAL_STAGES:
        url = os.environ.get("SEARCH_DLQ_URL")
        if not url:
            from infra import resources
            name = resources.define(stage).index_dead_letter_queue.name
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        return Target(queue_url=url, env={})
    stack = os.environ.get("STACK_NAME") or f"{APP}-{stage}"
    stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    wanted = ("SearchIndexDeadLetterQueueUrl", "TableName", "SearchTableName", "ResumeBucketName")
    missing = [name for name in wanted if name not in outputs]
    if missing:
        raise SystemExit(f"stack {stack} has no outputs {missing}: deploy the stage first")
    env = {"TABLE_NAME": outputs["TableName"], "SEARCH_TABLE_NAME": outputs["SearchTableName"],
           "RESUME_BUCKET": outputs["ResumeBucketName"]}
    if "EmbedQueueUrl" in outputs:  # (a stage from before resume intelligence has none)
        env["EMBED_QUEUE_URL"] = outputs["EmbedQueueUrl"]
    return Target(queue_url=outputs["SearchIndexDeadLetterQueueUrl"], env=env)


def streams_client() -> Any:
    """DynamoDB Streams; locally at DynamoDB's endpoint (not AWS_ENDPOINT_URL's, moto's)."""
    import boto3
    endpoint = (os.environ.get("AWS_ENDPOINT_URL_DYNAMODB_STREAMS")
                or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"))
    return boto3.client("dynamodbstreams", endpoint_url=endpoint)


def add_command(search_commands: Any) -> None:
    """``replay-dlq`` under ``python -m infra search``."""
    command = search_commands.add_parser(
        "replay-dlq", help="re-index what the search indexer's dead-letter queue names",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    command.add_argument("--stage", default=os.environ.get("STAGE", "local"))
    command.add_argument("--dry-run", action="store_true",
                         help="list what would be re-indexed; change nothing")
    command.add_argument("--queue-url", help="the queue (default: the stage's)")


def run(args: argparse.Namespace) -> int:
    import boto3
    sqs = boto3.client("sqs")
    target = stage_target(args.stage, cloudformation=None if args.stage in LOCAL_STAGES
                          else boto3.client("cloudformation"), sqs=sqs)
    os.environ.update(target.env)  # read by chalicelib's settings when reindex_ids runs
    queue_url = args.queue_url or target.queue_url
    print(f"replaying {queue_url}{' (dry run)' if args.dry_run else ''}")
    report = replay(queue_url, sqs=sqs, streams=streams_client(), dry_run=args.dry_run)
    for line in summary(report, args.stage, args.dry_run):
        print(line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m infra.search_dlq")
    add_command(parser.add_subparsers(dest="action", required=True))
    sys.exit(run(parser.parse_args()))
