"""What the import routes do: create a job with its upload form, read it, list, the errors file.

A job is its creator's: a partner sees the jobs of its key name, staff keys see staff jobs
(staff share one list, as they share the records). Anyone else's job is a 404, as a missing one.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib import clients, signing
from chalicelib.auth import Caller
from chalicelib.clock import iso
from chalicelib.errors import BadRequest, NotFound, ValidationFailed
from chalicelib.imports import jobs, reader, worker
from chalicelib.imports.jobs import Job
from chalicelib.settings import get_settings

UPLOAD_TTL_SECONDS = 900  # the form's life: 15 minutes
ERRORS_LINK_TTL_SECONDS = 300
DEFAULT_LIMIT, MAX_LIMIT = 25, 100
BODY_FIELDS = ("format", "dry_run")
_PURPOSE = "imports-cursor"
_ID = re.compile(r"^[0-9a-f]{32}$")


def create(body: Any, caller: Caller) -> dict[str, Any]:
    """POST /imports: the job (awaiting its file) and the presigned POST that uploads it."""
    fmt, dry_run = _parse(body)
    job = jobs.new(caller, fmt, dry_run, worker.UPLOAD_PREFIX)
    return {**job.resource(), "upload": upload_form(job)}


def _parse(body: Any) -> tuple[str, bool]:
    if not isinstance(body, dict):
        raise ValidationFailed({"body": ["Must be an object with format and dry_run."]})
    errors = {name: ["Unknown field."] for name in body if name not in BODY_FIELDS}
    if body.get("format") not in reader.FORMATS:
        errors["format"] = ["One of: csv, xlsx."]
    dry_run = body.get("dry_run", False)
    if not isinstance(dry_run, bool):
        errors["dry_run"] = ["true or false."]
    if errors:
        raise ValidationFailed(errors)
    return body["format"], dry_run


def upload_form(job: Job) -> dict[str, Any]:
    """Exact key, 1 B..50 MiB, valid 15 minutes. No content type is pinned: browsers label a
    CSV text/csv, application/vnd.ms-excel or nothing; the worker reads what arrives."""
    expires = datetime.now(timezone.utc) + timedelta(seconds=UPLOAD_TTL_SECONDS)
    post = clients.s3().generate_presigned_post(
        Bucket=get_settings().resume_bucket, Key=job.object_key,
        Conditions=[["content-length-range", 1, worker.MAX_BYTES]],
        ExpiresIn=UPLOAD_TTL_SECONDS)
    return {"url": post["url"], "fields": post["fields"], "key": job.object_key,
            "max_bytes": worker.MAX_BYTES, "expires_at": iso(expires)}


def read(job_id: str, caller: Caller) -> Job:
    job = jobs.get(job_id) if _ID.match(job_id) else None
    if job is None or job.owner != jobs.owner_of(caller):
        raise NotFound(f"No import job with id '{job_id}'.")
    return job


def list_jobs(params: dict[str, str], caller: Caller) -> dict[str, Any]:
    """GET /imports: the caller's jobs, newest first; one Query a page."""
    unknown = sorted(set(params) - {"limit", "cursor"})
    if unknown:
        raise BadRequest(f"Unknown query parameter: {', '.join(unknown)}.",
                         {"parameters": unknown})
    raw = params.get("limit")
    if raw is not None and not (raw.isdigit() and 1 <= int(raw) <= MAX_LIMIT):
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}.",
                         {"fields": {"limit": [f"From 1 to {MAX_LIMIT}."]}})
    limit = int(raw) if raw is not None else DEFAULT_LIMIT
    owner = jobs.owner_of(caller)
    scope = {"owner": owner}
    after = signing.open_cursor(params["cursor"], _PURPOSE, scope, str) \
        if "cursor" in params else None
    found, last = jobs.page(owner, limit, after)
    return {"items": [job.resource() for job in found],
            "next_cursor": signing.cursor(scope, last, _PURPOSE) if last else None}


def errors_link(job_id: str, caller: Caller) -> dict[str, str]:
    """A short-lived presigned GET of the ended job's errors file (CSV, as an attachment)."""
    job = read(job_id, caller)
    if job.status not in jobs.FINAL:
        raise NotFound(f"Import job '{job_id}' has not ended ({job.status}); its errors file "
                       "is written when it does.")
    url = clients.s3().generate_presigned_url("get_object", Params={
        "Bucket": get_settings().resume_bucket, "Key": worker.errors_key(job.id),
        "ResponseContentType": "text/csv; charset=utf-8",
        "ResponseContentDisposition": f'attachment; filename="import-{job.id}-errors.csv"'},
        ExpiresIn=ERRORS_LINK_TTL_SECONDS)
    expires = datetime.now(timezone.utc) + timedelta(seconds=ERRORS_LINK_TTL_SECONDS)
    return {"url": url, "expires_at": iso(expires)}
