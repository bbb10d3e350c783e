"""The import worker: S3 ObjectCreated (imports/) or a continuation -> SQS -> one job advanced.

An invocation takes the job's lease, checks the whole file once (header, row count: a file that
cannot be imported ends ``failed`` before anything is written), then applies chunks of
CHUNK_ROWS rows in file order, each through ``bulk.bulk_upsert`` (the planner the bulk route
uses), one after another. After each chunk its failed rows and its summary are saved in an S3
part (``import-errors/<id>/part-<n>.csv``), then the job item's checkpoint is moved on,
conditional on the previous one. A retried invocation continues at the checkpoint; a chunk
whose part was saved before a crash is recorded from the part, not applied again. When the
invocation's time runs low it sends a continuation message and lets the job go.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from itertools import islice
from typing import Any, Callable
from urllib.parse import unquote_plus

from chalicelib import bulk, clients, db, metrics
from chalicelib.errors import envelope
from chalicelib.history import actors
from chalicelib.imports import jobs, reader
from chalicelib.imports.jobs import Job
from chalicelib.logs import log
from chalicelib.models import ProfessionalItem, professional_pk
from chalicelib.settings import get_settings
from chalicelib.stats import counters as stats

UPLOAD_PREFIX = "imports/"
ERRORS_PREFIX = "import-errors/"
MAX_BYTES = 50 * 1024 * 1024
CHUNK_ROWS = bulk.MAX_ROWS  # 1,000: one bulk request's worth (decisions.md)
RESERVE_SECONDS = 120  # no chunk is begun with less time than this left
LOCAL_BUDGET_SECONDS = 840  # outside Lambda: what a 900 s function leaves after the reserve
ERROR_COLUMNS = ["row", "error_code", "error_message"]
_KEY = re.compile(r"^imports/(?P<id>[0-9a-f]{32})\.(?:csv|xlsx)$")


def handle_sqs_records(records: list[dict[str, Any]], context: Any = None) -> list[str]:
    """Lambda's SQS records -> the message ids that failed (retried alone, then the DLQ)."""
    failed = []
    for record in records:
        try:
            for job_id in _job_ids(json.loads(record["body"])):
                outcome = process(job_id, record.get("messageId") or "?", time_left(context))
                log.info("import job", job_id=job_id, outcome=outcome)
        except Exception:
            log.exception("import record failed", message_id=record.get("messageId"))
            failed.append(record.get("messageId"))
    return failed


def time_left(context: Any) -> Callable[[], float]:
    """Seconds left in this invocation: Lambda's own count, or a local budget (chalice's local
    context claims 3 s)."""
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") and context is not None:
        return lambda: context.get_remaining_time_in_millis() / 1000
    started = time.monotonic()
    budget = float(os.environ.get("IMPORT_TIME_BUDGET_SECONDS", LOCAL_BUDGET_SECONDS))
    return lambda: budget - (time.monotonic() - started)


def _job_ids(event: dict[str, Any]) -> list[str]:
    if event.get("import_job"):  # a continuation this worker sent
        return [str(event["import_job"])]
    if event.get("Event") == "s3:TestEvent":
        return []
    keys = [unquote_plus(r["s3"]["object"]["key"]) for r in event.get("Records", [])
            if r.get("eventName", "").startswith("ObjectCreated")]
    return [m["id"] for m in map(_KEY.match, keys) if m]


def process(job_id: str, message_id: str, left: Callable[[], float]) -> str:
    """Advance one job as far as this invocation's time allows; returns what happened."""
    job = jobs.get(job_id)
    if job is None:  # expired, or never made: nothing may stay of its file
        _delete(*(f"{UPLOAD_PREFIX}{job_id}.{fmt}" for fmt in reader.FORMATS))
        return "dropped"
    if job.status in jobs.FINAL:
        _delete(job.object_key)  # a replay, or a crash between the end and the clean-up
        return "ended"
    if job.status == "awaiting_upload" and _head(job.object_key) is None:
        return "missing"
    try:
        job = jobs.take(job, message_id, left() + RESERVE_SECONDS)
    except jobs.Lost:
        return "busy"  # another invocation holds it; if it dies, its message comes back
    try:
        if job.rows_total is None:
            job = _validate(job)
            if job.status in jobs.FINAL:
                return job.status
        return _apply_all(job, left)
    except reader.FileChanged:
        return _end(jobs.get(job_id) or job, "failed", envelope(
            "bad_request", "The file was replaced or removed while the job ran; rows already "
            "applied stay applied.")["error"]).status


def _validate(job: Job) -> Job:
    """Header and row count, read through before the first chunk: an unreadable file writes
    nothing."""
    head = _head(job.object_key)
    if head is None:
        raise reader.FileChanged(job.object_key)
    if not 0 < head["ContentLength"] <= MAX_BYTES:
        return _end(job, "failed", envelope("bad_request", "The file must be 1 byte to 50 MiB.",
                                            {"max_bytes": MAX_BYTES})["error"])
    try:
        with reader.open_rows(job.format, _bucket(), job.object_key, head["ETag"]) as rows:
            total = reader.count(rows)
            columns = rows.columns
    except reader.Unreadable as exc:
        return _end(job, "failed", exc.error)
    return jobs.validated(job, columns, total, head["ETag"])


def _apply_all(job: Job, left: Callable[[], float]) -> str:
    with reader.open_rows(job.format, _bucket(), job.object_key, job.etag) as rows:
        stream = islice(rows.rows(), job.rows_done, None)
        while job.rows_done < job.rows_total:
            if left() < RESERVE_SECONDS:
                _continue_later(job)
                return "continued"
            chunk = list(islice(stream, CHUNK_ROWS))
            if not chunk:
                break
            job = _apply(job, chunk, left)
    return _end(job, "done").status


def _apply(job: Job, chunk: list[tuple[list[str], Any]], left: Callable[[], float]) -> Job:
    part = _part_key(job.id, job.checkpoint)
    saved = _saved_part(part)
    if saved is None:
        retried = job.pending_chunk == job.checkpoint  # an earlier attempt began, left no part
        job = jobs.begin_chunk(job, left() + RESERVE_SECONDS)
        result = bulk.bulk_upsert([row for _, row in chunk], job.caller, dry_run=job.dry_run,
                                  via=actors.IMPORT)
        summary = result["summary"]
        if retried and not job.dry_run:
            summary = _recount(result, job.pending_since)
        if not job.dry_run:  # as the bulk route emits them
            metrics.emit({"RowsCreated": summary["created"], "RowsUpdated": summary["updated"],
                          "RowsUnchanged": summary["unchanged"], "RowsFailed": summary["failed"]},
                         Caller=job.caller_role)
            # Before the part is saved: a retry of this chunk (no part yet) finds the marker.
            stats.count_once(f"import#{job.id}#{job.checkpoint}", stats.today(),
                             stats.bulk_counts(summary), what="import")
        failures = [(job.rows_done + i + 1, record, r["error"])
                    for i, ((record, _), r) in enumerate(zip(chunk, result["results"]))
                    if r["status"] == "failed"]
        _save_part(part, job.columns or [], failures, summary)
        saved = summary, bool(failures)
    summary, has_failures = saved
    return jobs.record_chunk(job, len(chunk), summary, has_failures)


def _recount(result: dict[str, Any], since: str | None) -> dict[str, int]:
    """A chunk applied again after an attempt that died inside bulk's writes: rows that attempt
    wrote now come back ``unchanged``; the record's times say what the attempt did to them."""
    summary = dict(result["summary"])
    ids = [r["id"] for r in result["results"] if r["status"] == "unchanged" and r["id"]]
    found = db.batch_get(professional_pk(i) for i in ids) if since else {}
    for item in found.values():
        if not isinstance(item, ProfessionalItem):
            continue
        now = "created" if item.created_at >= since else \
            "updated" if item.updated_at >= since else None
        if now:
            summary["unchanged"] -= 1
            summary[now] += 1
    return summary


def _end(job: Job, status: str, error: dict[str, Any] | None = None) -> Job:
    """Write the errors file, then the final status; then the upload and parts can go."""
    _assemble_errors(job)
    try:
        job = jobs.finish(job, status, error)
    except jobs.Lost:
        return jobs.get(job.id) or job
    _delete(job.object_key, *(_part_key(job.id, n) for n in range(job.checkpoint)))
    return job


def _continue_later(job: Job) -> None:
    url = os.environ.get("IMPORT_QUEUE_URL")
    if not url:
        raise RuntimeError("IMPORT_QUEUE_URL is not set: the job cannot continue later")
    # Released first: a continuation taken at once must find the job free. If the send fails
    # after that, this message fails and comes back; its redelivery takes the free job.
    jobs.release(job)
    clients.sqs().send_message(QueueUrl=url, MessageBody=json.dumps({"import_job": job.id}))


# -- S3 -------------------------------------------------------------------------------------

def errors_key(job_id: str) -> str:
    return f"{ERRORS_PREFIX}{job_id}.csv"


def _part_key(job_id: str, chunk: int) -> str:
    return f"{ERRORS_PREFIX}{job_id}/part-{chunk:06d}.csv"


def _bucket() -> str:
    return get_settings().resume_bucket


def _head(key: str) -> dict[str, Any] | None:
    s3 = clients.s3()
    try:
        return s3.head_object(Bucket=_bucket(), Key=key)
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def _saved_part(key: str) -> tuple[dict[str, int], bool] | None:
    """A chunk's recorded outcome, if an earlier attempt saved it before dying."""
    head = _head(key)
    if head is None:
        return None
    summary = json.loads(head["Metadata"]["summary"])
    return summary, head["ContentLength"] > 0


def _save_part(key: str, columns: list[str], failures: list[tuple[int, list[str], dict]],
               summary: dict[str, int]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    width = len(columns)
    for row, record, error in failures:
        cells = (record + [""] * width)[:width] if width else record
        writer.writerow([*cells, row, error["code"], error["message"]])
    clients.s3().put_object(Bucket=_bucket(), Key=key, Body=out.getvalue().encode("utf-8"),
                            ContentType="text/csv; charset=utf-8",
                            Metadata={"summary": json.dumps(summary)})


def _assemble_errors(job: Job) -> None:
    """The errors file: the header as sent plus the error columns, then every failed row."""
    out = io.BytesIO()
    head = io.StringIO()
    csv.writer(head, lineterminator="\r\n").writerow([*(job.columns or []), *ERROR_COLUMNS])
    out.write(head.getvalue().encode("utf-8"))
    s3 = clients.s3()
    for n in job.failed_parts:
        out.write(s3.get_object(Bucket=_bucket(), Key=_part_key(job.id, n))["Body"].read())
    s3.put_object(Bucket=_bucket(), Key=errors_key(job.id), Body=out.getvalue(),
                  ContentType="text/csv; charset=utf-8")


def _delete(*keys: str) -> None:
    keys_list = list(keys)
    for start in range(0, len(keys_list), 1000):
        clients.s3().delete_objects(Bucket=_bucket(), Delete={
            "Objects": [{"Key": k} for k in keys_list[start:start + 1000]], "Quiet": True})
