"""The local stand-in for the resume Lambda's SQS event source mapping.

Polls the upload queue (``UPLOAD_QUEUE_URL``) and hands each batch to the code the Lambda runs,
found at every batch (so the worker picks it up as soon as it exists), in this order:

1. the app's ``@app.on_sqs_message`` handler for the upload queue (``UPLOAD_QUEUE_NAME``), called
   as Lambda calls it: ``handler({"Records": [...]}, context)``, answering
   ``{"batchItemFailures": [{"itemIdentifier": id}]}`` (``ReportBatchItemFailures``);
2. else ``chalicelib.resume_processor.handle_sqs_records(records) -> list[str]`` (the failed message ids);
3. else a placeholder that logs each record and deletes it.

Messages that succeeded are deleted; failed ones reappear after the visibility timeout and, after
the queue's ``maxReceiveCount`` deliveries, move to the dead-letter queue, as in AWS. A handler
that raises fails the whole batch, as a Lambda invocation that raises does.

Run by ``infra.local_stack``; alone: ``python -m infra.local.sqs_worker`` with the stack's env.
"""
from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
from typing import Any, Callable
from urllib.parse import unquote_plus

from infra.local.workers import (Handler, app_event_sources, lambda_caller, region,
                                 run_until_sigterm, setup_logging)

HANDLER_MODULE = "chalicelib.resume_processor"
HANDLER_NAME = "handle_sqs_records"
LONG_POLL_SECONDS = 5
MAX_BATCH = 10  # SQS ReceiveMessage's limit

log = logging.getLogger("signup.worker")


def _app_handler() -> Handler | None:
    """The app's SQS handler for the upload queue, wrapped to take records, return failures."""
    sources = app_event_sources(lambda s: hasattr(s, "queue"))
    queue_name = os.environ.get("UPLOAD_QUEUE_NAME")
    chosen = [s for s in sources if s.queue == queue_name] or (sources if len(sources) == 1
                                                               else [])
    if not chosen:
        return None
    return sqs_handler(chosen[0])


def sqs_handler(source: Any, batch_size: int | None = None) -> Handler:
    """An ``@app.on_sqs_message`` source as Lambda calls it (records in, failed ids out), in
    batches of its own size (at most SQS's 10) unless ``batch_size`` says otherwise."""
    size = batch_size or min(MAX_BATCH,
                             int(getattr(source, "batch_size", MAX_BATCH) or MAX_BATCH))
    return Handler(f"{source.handler_string} (@app.on_sqs_message)", lambda_caller(source), size)


def named_handler(function: str, batch_size: int | None = None) -> Handler:
    """The app's ``@app.on_sqs_message(name=function)``; a RuntimeError if app.py has none."""
    sources = app_event_sources(lambda s: getattr(s, "name", None) == function)
    if not sources:
        raise RuntimeError(f"app.py has no @app.on_sqs_message(name={function!r})")
    return sqs_handler(sources[0], batch_size)


def _library_handler() -> Handler | None:
    try:
        module = importlib.import_module(HANDLER_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != HANDLER_MODULE:
            raise  # the module exists but one of its imports is missing: say so
        return None
    function = getattr(module, HANDLER_NAME, None)
    if function is None:
        return None
    return Handler(f"{HANDLER_MODULE}.{HANDLER_NAME}", function, MAX_BATCH)


def find_handler() -> Handler:
    return _app_handler() or _library_handler() or Handler("placeholder", placeholder, MAX_BATCH)


def lambda_records(messages: list[dict[str, Any]], queue_arn: str, region: str) -> list[dict]:
    """SQS ReceiveMessage output in the shape of a Lambda SQS event's ``Records``."""
    records = []
    for m in messages:
        attributes = {}
        for name, value in (m.get("MessageAttributes") or {}).items():
            attributes[name] = {"stringValue": value.get("StringValue"),
                                "binaryValue": value.get("BinaryValue"),
                                "stringListValues": value.get("StringListValues", []),
                                "binaryListValues": value.get("BinaryListValues", []),
                                "dataType": value.get("DataType")}
        records.append({
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": attributes,
            "md5OfBody": m.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        })
    return records


def describe(record: dict[str, Any]) -> str:
    """One line about a record: its S3 events (keys decoded), or what else it is."""
    try:
        body = json.loads(record["body"])
    except (TypeError, ValueError):
        return f"message {record['messageId']}: not JSON"
    if isinstance(body, dict) and body.get("kind") and body.get("event_id"):  # the mail queue's
        return f"message {record['messageId']}: mail {body['kind']} (event {body['event_id']})"
    if isinstance(body, dict) and body.get("Event") == "s3:TestEvent":
        return f"message {record['messageId']}: s3:TestEvent (sent when notifications change)"
    parts = []
    for r in (body.get("Records") or []) if isinstance(body, dict) else []:
        s3 = r.get("s3", {})
        key = unquote_plus(s3.get("object", {}).get("key", ""))
        parts.append(f"{r.get('eventName')} s3://{s3.get('bucket', {}).get('name')}/{key} "
                     f"({s3.get('object', {}).get('size')} bytes)")
    return f"message {record['messageId']}: " + ("; ".join(parts) or "no S3 records")


def placeholder(records: list[dict[str, Any]]) -> list[str]:
    for record in records:
        log.info("no resume handler yet: deleting %s", record["messageId"])
    return []


class Worker:
    def __init__(self, queue_url: str, *, region: str, batch_size: int | None = None,
                 sqs: Any = None, find: Callable[[], Handler] | None = None) -> None:
        import boto3
        self.find = find  # what to hand batches to; default: find_handler (the upload queue's)
        self.queue_url = queue_url
        self.region = region
        self.batch_size = batch_size
        self.sqs = sqs or boto3.client("sqs", region_name=region)
        self.queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.stopping = False

    def poll_once(self, wait_seconds: int = LONG_POLL_SECONDS) -> int:
        """Receive one batch, process it, delete what succeeded; returns how many came."""
        handler = (self.find or find_handler)()
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=self.batch_size or handler.batch_size,
            WaitTimeSeconds=wait_seconds, AttributeNames=["All"],
            MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            return 0
        records = lambda_records(messages, self.queue_arn, self.region)
        for record in records:
            log.info("received %s", describe(record))
        try:
            failed = set(handler.call(records) or [])
        except Exception:  # like a Lambda invocation that raised: the whole batch is retried
            log.exception("handler raised; the batch's %d message(s) will be retried", len(records))
            return len(records)
        done = [r for r in records if r["messageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start:start + 10]
            result = self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)])
            for failure in result.get("Failed", []):
                log.warning("could not delete a message: %s", failure)
        if failed:
            log.warning("%d message(s) failed and will be retried: %s", len(failed),
                        ", ".join(sorted(failed)))
        return len(records)

    def run(self) -> None:
        handler = (self.find or find_handler)()
        log.info("polling %s, %s message(s) at a time, for %s", self.queue_url,
                 self.batch_size or handler.batch_size, handler.name)
        errors = 0
        while not self.stopping:
            try:
                self.poll_once()
                errors = 0
            except Exception as exc:  # the emulator restarting, a network blip: back off
                errors += 1
                if self.stopping:
                    break
                log.warning("polling failed (%s); retrying", exc)
                time.sleep(min(10.0, 0.5 * 2 ** min(errors, 5)))


def serve(queue_env: str, worker_log: logging.Logger, *, batch_size: int | None = None,
          find: Callable[[], Handler] | None = None) -> int:
    """Poll the queue whose URL ``queue_env`` names, handing its batches to ``find()``'s handler
    (default: the upload queue's), until SIGTERM: what each queue worker's ``main`` runs."""
    setup_logging()
    queue_url = os.environ.get(queue_env)
    if not queue_url:
        print(f"{queue_env} is not set", file=sys.stderr)
        return 2
    worker = Worker(queue_url, region=region(), batch_size=batch_size, find=find)

    def stop() -> None:
        worker.stopping = True

    return run_until_sigterm(worker.run, stop, worker_log)


def main() -> int:
    batch = os.environ.get("WORKER_BATCH_SIZE")  # default: the handler's own batch size
    return serve("UPLOAD_QUEUE_URL", log, batch_size=int(batch) if batch else None)


if __name__ == "__main__":
    sys.exit(main())
