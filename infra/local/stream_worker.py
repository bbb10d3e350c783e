"""The local stand-in for the search indexer's DynamoDB Streams event source mapping.

Reads the professionals table's stream (``PROFESSIONALS_STREAM_ARN``) and calls the code the
Lambda runs: the app's ``@app.on_dynamodb_record`` handler (``index_search``), as Lambda calls it,
``handler({"Records": [...]}, context)``, answering ``{"batchItemFailures": [{"itemIdentifier":
<SequenceNumber>}]}``. What it reproduces of the event source mapping (BatchSize 100,
ReportBatchItemFailures, BisectBatchOnFunctionError, MaximumRetryAttempts 3, an SQS on-failure
destination):

- batches of up to 100 records, in shard order; a shard's children only once it is read to its
  end (parents before children); new shards found by DescribeStream (every 10 s, and whenever a
  shard closes);
- a reported failure: the records before it are done, the rest is retried from the first failed
  record; a handler that raises fails the whole batch, which is split in two (no retry used),
  down to the one record that fails;
- a record that still fails after 3 retries (4 invocations) is set aside: a message shaped like
  Lambda's on-failure record for streams (``requestContext``, ``responseContext``,
  ``DDBStreamBatchInfo`` with the shard, the sequence numbers and the stream ARN) goes to the
  search dead-letter queue (``SEARCH_DLQ_URL``), and the records after it go on. Where AWS sets
  aside the whole rest of a partly failed batch, this sets aside only the record the handler
  named: the DLQ message says which span it covers either way (``batchSize``).

Where it reads: ``AWS_ENDPOINT_URL_DYNAMODB_STREAMS``, else the DynamoDB endpoint
(``AWS_ENDPOINT_URL_DYNAMODB``, else ``AWS_ENDPOINT_URL``): a plain dynamodbstreams client would
follow ``AWS_ENDPOINT_URL``, which may be another emulator. It polls every 0.25 s when idle.

Restarts: it starts at TRIM_HORIZON, unless ``STREAM_CHECKPOINT_FILE`` names a file holding the
position of this very stream (the stack keeps one in its data folder): then each shard goes on
after its last handled record, as an event source mapping does across deployments. Without one,
every record in the stream is handed over again, which the indexer takes in its stride (it is
idempotent). Records in a batch that was cut short by SIGTERM come again on the next start.

The stack runs two: the search indexer's, and the counters' (``STREAM_HANDLER=count_stats``,
its own ``STREAM_CHECKPOINT_FILE`` and on-failure queue ``STREAM_DLQ_URL``), as each event
source mapping has its own position. The event also carries ``shardId`` and
``eventSourceARN``, as a mapping with a tumbling window gives them (the counters need the shard).

Run by ``infra.local_stack``; alone: ``python -m infra.local.stream_worker`` with the stack's env.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.local.workers import (Handler, app_event_sources, lambda_caller, region,
                                 run_until_sigterm, setup_logging)

BATCH_SIZE = 100  # the event source mapping's BatchSize (and the app's batch_size)
MAX_RETRY_ATTEMPTS = 3  # MaximumRetryAttempts: invocations of a failing record = 1 + this
IDLE_SECONDS = 0.25  # Lambda polls a stream's shards about 4 times a second
DESCRIBE_SECONDS = 10.0  # how often to look for new shards while none closes

log = logging.getLogger("signup.stream")


def find_handler(name: str | None = None) -> Handler:
    """The app's stream handler named ``name`` (``STREAM_HANDLER``: ``count_stats`` for the
    counters' worker); else the one for PROFESSIONALS_STREAM_ARN, else ``index_search``."""
    sources = app_event_sources(lambda s: hasattr(s, "stream_arn"))
    arn = os.environ.get("PROFESSIONALS_STREAM_ARN")
    name = name or os.environ.get("STREAM_HANDLER")
    if name:
        chosen = [s for s in sources if s.name == name]
    else:
        chosen = ([s for s in sources if s.name == "index_search"]
                  or [s for s in sources if s.stream_arn == arn]
                  or (sources if len(sources) == 1 else []))
    if not chosen:
        raise LookupError("app.py has no @app.on_dynamodb_record handler "
                          f"{name or 'for the professionals table stream'}")
    source = chosen[0]
    size = min(BATCH_SIZE, int(getattr(source, "batch_size", BATCH_SIZE) or BATCH_SIZE))
    return Handler(f"{source.handler_string} (@app.on_dynamodb_record)", lambda_caller(source),
                   size, source.name, takes_event_fields=True)


def stream_endpoint() -> str | None:
    return (os.environ.get("AWS_ENDPOINT_URL_DYNAMODB_STREAMS")
            or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
            or os.environ.get("AWS_ENDPOINT_URL") or None)


# --- records -------------------------------------------------------------------------------------

def _as_json(value: Any) -> Any:
    """botocore's parsed attribute values back to the JSON Lambda hands over (B is base64)."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value


def lambda_record(raw: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A GetRecords record in the shape of a Lambda DynamoDB event's ``Records`` item."""
    ddb = _as_json(raw["dynamodb"])
    created = ddb.get("ApproximateCreationDateTime")
    if isinstance(created, dt.datetime):
        ddb["ApproximateCreationDateTime"] = int(created.timestamp())
    record = {"eventID": raw.get("eventID"), "eventName": raw.get("eventName"),
              "eventVersion": raw.get("eventVersion", "1.1"), "eventSource": "aws:dynamodb",
              # DynamoDB Local says "ddblocal"; Lambda gives the function's region
              "awsRegion": region, "dynamodb": ddb, "eventSourceARN": stream_arn}
    if raw.get("userIdentity"):  # TTL deletions
        record["userIdentity"] = raw["userIdentity"]
    return record


def _seq(record: dict[str, Any]) -> str:
    return record["dynamodb"]["SequenceNumber"]


def _iso(epoch: Any) -> str | None:
    if not isinstance(epoch, (int, float)):
        return None
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- where it has got to -------------------------------------------------------------------------

class Checkpoint:
    """The last handled sequence number of each shard, and the shards read to their end: in
    memory, and in a file when given (only for the stream it was written for)."""

    def __init__(self, stream_arn: str, path: Path | None = None) -> None:
        self.stream_arn = stream_arn
        self.path = path
        self.shards: dict[str, dict[str, Any]] = {}
        if path is not None:
            try:
                saved = json.loads(path.read_text())
            except (OSError, ValueError):
                saved = {}
            if isinstance(saved, dict) and saved.get("streamArn") == stream_arn:
                self.shards = dict(saved.get("shards") or {})

    def after(self, shard_id: str) -> str | None:
        return self.shards.get(shard_id, {}).get("after")

    def done(self, shard_id: str) -> bool:
        return bool(self.shards.get(shard_id, {}).get("done"))

    def advance(self, shard_id: str, sequence: str) -> None:
        self.shards.setdefault(shard_id, {})["after"] = sequence
        self._save()

    def finish(self, shard_id: str) -> None:
        self.shards.setdefault(shard_id, {})["done"] = True
        self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"streamArn": self.stream_arn, "shards": self.shards}))
        os.replace(tmp, self.path)


@dataclass
class Shard:
    id: str
    parent: str | None
    iterator: str | None = None
    done: bool = False


# --- the worker ----------------------------------------------------------------------------------

class StreamWorker:
    def __init__(self, stream_arn: str, *, handler: Handler, region: str,
                 dlq_url: str | None = None, streams: Any = None, sqs: Any = None,
                 checkpoint_file: Path | None = None, max_retries: int = MAX_RETRY_ATTEMPTS,
                 backoff: float = 0.2, idle_seconds: float = IDLE_SECONDS) -> None:
        import boto3
        self.stream_arn = stream_arn
        self.handler = handler
        self.region = region
        self.dlq_url = dlq_url
        self.streams = streams or boto3.client("dynamodbstreams", region_name=region,
                                               endpoint_url=stream_endpoint())
        self.sqs = sqs
        self.checkpoint = Checkpoint(stream_arn, checkpoint_file)
        self.max_retries = max_retries
        self.backoff = backoff
        self.idle_seconds = idle_seconds
        self.shards: dict[str, Shard] = {}
        self._described = -DESCRIBE_SECONDS
        self._stop = threading.Event()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()

    # -- shards --

    def refresh_shards(self) -> None:
        described, start = [], None
        while True:
            kwargs = {"StreamArn": self.stream_arn}
            if start:
                kwargs["ExclusiveStartShardId"] = start
            page = self.streams.describe_stream(**kwargs)["StreamDescription"]
            described += page.get("Shards", [])
            start = page.get("LastEvaluatedShardId")
            if not start:
                break
        self.shards = {s["ShardId"]: self.shards.get(s["ShardId"]) or Shard(
            s["ShardId"], s.get("ParentShardId"), done=self.checkpoint.done(s["ShardId"]))
            for s in described}
        self._described = time.monotonic()

    def ready_shards(self) -> list[Shard]:
        """Shards to read now: not finished, and their parent (if still listed) finished."""
        return [s for s in self.shards.values() if not s.done
                and (s.parent not in self.shards or self.shards[s.parent].done)]

    def _iterator(self, shard: Shard) -> str:
        after = self.checkpoint.after(shard.id)
        if after is not None:
            try:
                return self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard.id, SequenceNumber=after,
                    ShardIteratorType="AFTER_SEQUENCE_NUMBER")["ShardIterator"]
            except self.streams.exceptions.TrimmedDataAccessException:
                log.warning("shard %s: records after %s are gone (trimmed); reading from the "
                            "oldest kept", shard.id, after)
        return self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard.id,
                                               ShardIteratorType="TRIM_HORIZON")["ShardIterator"]

    # -- polling --

    def poll_once(self) -> int:
        """One read of every shard that is ready, each batch handled; returns how many came."""
        if time.monotonic() - self._described >= DESCRIBE_SECONDS:
            self.refresh_shards()
        return sum(self._poll_shard(shard) for shard in self.ready_shards()
                   if not self.stopping)

    def _poll_shard(self, shard: Shard) -> int:
        if shard.iterator is None:
            shard.iterator = self._iterator(shard)
        try:
            page = self.streams.get_records(ShardIterator=shard.iterator,
                                            Limit=self.handler.batch_size)
        except self.streams.exceptions.ExpiredIteratorException:
            shard.iterator = None  # a new one, from where it has got to, on the next poll
            return 0
        records = page.get("Records", [])
        shard.iterator = page.get("NextShardIterator")
        try:
            if records:
                self.deliver(shard, [lambda_record(r, self.stream_arn, self.region)
                                     for r in records])
        except BaseException:
            shard.iterator = None  # read again from the last handled record: nothing is skipped
            raise
        if self.stopping:
            shard.iterator = None
        elif shard.iterator is None:  # closed, and read to its end: its children may start
            shard.done = True
            self.checkpoint.finish(shard.id)
            self._described = -DESCRIBE_SECONDS
            log.info("shard %s closed and read to its end", shard.id)
        return len(records)

    # -- handing records over --

    def deliver(self, shard: Shard, batch: list[dict[str, Any]]) -> None:
        """Hand the batch over until each record is handled or set aside, in order."""
        retries = 0
        while batch and not self.stopping:
            started = time.monotonic()
            error: str | None = None
            at = 0  # the first record that failed
            try:
                # As a mapping with a tumbling window does, the event names the shard.
                failed = (self.handler.call(batch, {"shardId": shard.id,
                                                    "eventSourceARN": self.stream_arn})
                          if self.handler.takes_event_fields else self.handler.call(batch))
            except Exception as exc:  # like an invocation that raised: the whole batch failed
                error = f"{type(exc).__name__}: {exc}"
                failed = []
            if error is None:
                sequences = [_seq(r) for r in batch]
                if not failed:
                    self.checkpoint.advance(shard.id, sequences[-1])
                    log.info("%s: handled in %.0f ms", _describe(batch),
                             (time.monotonic() - started) * 1000)
                    return
                known = [sequences.index(s) for s in failed if s in sequences]
                if len(known) < len(failed):  # an empty or unknown identifier fails the batch
                    error = f"batchItemFailures names records not in the batch: {failed}"
                else:
                    at = min(known)  # Lambda goes on from the lowest one reported
            if error is not None and len(batch) > 1:
                # BisectBatchOnFunctionError: the halves go separately, using no retry.
                half = len(batch) // 2
                log.warning("%s: %s; splitting it in two", _describe(batch), error)
                self.deliver(shard, batch[:half])
                self.deliver(shard, batch[half:])
                return
            if at > 0:  # the records before the first failure are done
                self.checkpoint.advance(shard.id, _seq(batch[at - 1]))
                batch, retries = batch[at:], 0
            retries += 1
            if retries > self.max_retries:
                self.set_aside(shard, batch[:1], invocations=retries, raised=error is not None)
                self.checkpoint.advance(shard.id, _seq(batch[0]))
                batch, retries = batch[1:], 0
                continue
            log.warning("%s: %s; retry %d of %d from %s", _describe(batch),
                        error or "the handler reported it failed", retries, self.max_retries,
                        _seq(batch[0]))
            self._stop.wait(min(2.0, self.backoff * 2 ** (retries - 1)))

    def set_aside(self, shard: Shard, records: list[dict[str, Any]], *, invocations: int,
                  raised: bool) -> None:
        """Lambda's on-failure destination record for a stream, sent to the search DLQ."""
        created = [r["dynamodb"].get("ApproximateCreationDateTime") for r in records]
        function = self.handler.function_name
        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:{self.region}:000000000000:function:{function}",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": invocations,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                                **({"functionError": "Unhandled"} if raised else {})},
            "version": "1.0",
            "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard.id,
                "startSequenceNumber": _seq(records[0]),
                "endSequenceNumber": _seq(records[-1]),
                "approximateArrivalOfFirstRecord": _iso(created[0]),
                "approximateArrivalOfLastRecord": _iso(created[-1]),
                "batchSize": len(records),
                "streamArn": self.stream_arn,
            },
        }
        if not self.dlq_url:
            log.error("%s: set aside after %d invocations, and discarded (no SEARCH_DLQ_URL, "
                      "as Lambda without an on-failure destination): %s", _describe(records),
                      invocations, json.dumps(message["DDBStreamBatchInfo"]))
            return
        if self.sqs is None:
            import boto3
            self.sqs = boto3.client("sqs", region_name=self.region)
        self.sqs.send_message(QueueUrl=self.dlq_url, MessageBody=json.dumps(message))
        log.error("%s: set aside on the search DLQ after %d invocations", _describe(records),
                  invocations)

    def run(self) -> None:
        log.info("reading %s at %s (%s), %d record(s) at a time, for %s", self.stream_arn,
                 stream_endpoint() or "AWS",
                 "from the checkpoint" if self.checkpoint.shards else "TRIM_HORIZON",
                 self.handler.batch_size, self.handler.name)
        errors = 0
        while not self.stopping:
            try:
                count = self.poll_once()
                errors = 0
            except Exception as exc:  # the emulator restarting, a network blip: back off
                errors += 1
                if self.stopping:
                    break
                if errors == 1 or errors % 20 == 0:
                    log.warning("reading the stream failed (%s); retrying", exc)
                self._stop.wait(min(10.0, 0.5 * 2 ** min(errors, 5)))
                continue
            if count == 0:
                self._stop.wait(self.idle_seconds)


def _describe(batch: list[dict[str, Any]]) -> str:
    kinds = Counter(r.get("eventName") for r in batch)
    what = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    if len(batch) == 1:
        return f"record {_seq(batch[0])} ({what})"
    return f"{len(batch)} records {_seq(batch[0])}..{_seq(batch[-1])} ({what})"


def main() -> int:
    setup_logging()
    stream_arn = os.environ.get("PROFESSIONALS_STREAM_ARN")
    if not stream_arn:
        print("PROFESSIONALS_STREAM_ARN is not set (the professionals table has no stream?)",
              file=sys.stderr)
        return 2
    try:
        handler = find_handler()
    except LookupError as exc:
        print(exc, file=sys.stderr)
        return 2
    checkpoint = os.environ.get("STREAM_CHECKPOINT_FILE")
    worker = StreamWorker(stream_arn, handler=handler, region=region(),
                          dlq_url=(os.environ.get("STREAM_DLQ_URL")
                                   or os.environ.get("SEARCH_DLQ_URL") or None),
                          checkpoint_file=Path(checkpoint) if checkpoint else None)
    return run_until_sigterm(worker.run, worker.stop, log)


if __name__ == "__main__":
    sys.exit(main())
