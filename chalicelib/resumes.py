"""Resumes on the API side: upload attempts and their presigned forms, the text, downloads,
and the file store's errors.

The browser uploads straight to ``uploads/<professional id>/<random>.pdf``; S3 notifies a queue
and ``chalicelib.resume_processor`` (the Lambda, or the local worker) verifies and converts each
object. Accepted files move to ``resumes/`` and their text to ``text/``.
"""
from __future__ import annotations

import math
import re
import secrets
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import clients, clock, db
from chalicelib.auth import PARTNER, TOKEN, Caller, can_see
from chalicelib.clock import iso, now_iso, parse_iso
from chalicelib.errors import NotFound, RateLimited, Unavailable, ValidationFailed
from chalicelib.history import actors
from chalicelib.models import ProfessionalItem, professional_pk
from chalicelib.settings import get_settings

MAX_BYTES = 5 * 1024 * 1024
ATTEMPTS_PER_DAY = 10  # per professional, by token holders and partners (contract 8.1)
ATTEMPT_WINDOW = timedelta(hours=24)
UPLOAD_TTL_SECONDS = 900
DOWNLOAD_TTL_SECONDS = 300
TEXT_LIMIT = 100_000
PDF = "application/pdf"
DESCRIPTOR_FIELDS = ("filename", "content_type", "size_bytes")


# -- starting an upload ---------------------------------------------------------------------

def parse_descriptor(raw: Any) -> dict[str, Any]:
    """Validate ``{"filename", "content_type", "size_bytes"}``; errors name ``resume.<field>``."""
    if not isinstance(raw, dict):
        raise ValidationFailed({"resume": ["Must be an object with filename, content_type and "
                                           "size_bytes."]})
    errors: dict[str, list[str]] = {}
    for name in raw:
        if name not in DESCRIPTOR_FIELDS:
            errors[f"resume.{name}"] = ["Unknown field."]
    filename = raw.get("filename")
    if not isinstance(filename, str) or not filename.strip() or len(filename) > 255:
        errors["resume.filename"] = ["A file name of 1 to 255 characters is required."]
    if raw.get("content_type") != PDF:
        errors["resume.content_type"] = ["Only application/pdf is accepted."]
    size = raw.get("size_bytes")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_BYTES:
        errors["resume.size_bytes"] = [f"A whole number of bytes from 1 to {MAX_BYTES} (5 MiB)."]
    if errors:
        raise ValidationFailed(errors)
    return {"filename": _safe_filename(filename), "content_type": PDF, "size_bytes": size}


def begin_attempt(item: ProfessionalItem, descriptor: dict[str, Any]) -> None:
    """Make ``item``'s newest resume attempt a fresh upload awaiting its file."""
    key = f"uploads/{item.id}/{secrets.token_hex(8)}.pdf"
    # The upload form's deadline, kept so that an attempt whose file is gone can end (expired).
    expires = iso(datetime.now(timezone.utc) + timedelta(seconds=UPLOAD_TTL_SECONDS))
    item.resume_upload = {"key": key, "filename": descriptor["filename"], "expires_at": expires}
    item.resume = {"status": "awaiting_upload", "reason": None, "size_bytes": None, "pages": None,
                   "text_chars": None, "text_truncated": None, "uploaded_at": None,
                   "processed_at": None}


def upload_form(item: ProfessionalItem) -> dict[str, Any]:
    """The presigned POST for the item's awaited upload: exact key, PDF only, 1 B..5 MiB, valid
    until the attempt's recorded deadline (never later: that deadline is what ends it)."""
    key = item.resume_upload["key"]
    now = datetime.now(timezone.utc)
    expires = upload_deadline(item)
    post = clients.s3().generate_presigned_post(
        Bucket=get_settings().resume_bucket, Key=key,
        Fields={"Content-Type": PDF},
        Conditions=[{"Content-Type": PDF}, ["content-length-range", 1, MAX_BYTES]],
        ExpiresIn=max(1, int((expires - now).total_seconds())))
    return {"url": post["url"], "fields": post["fields"], "key": key, "max_bytes": MAX_BYTES,
            "expires_at": iso(expires)}


def upload_deadline(item: ProfessionalItem) -> datetime:
    """When the newest attempt's upload form stops working. Attempts recorded before the
    deadline was kept: their last write plus the form's lifetime, which is never earlier."""
    recorded = (item.resume_upload or {}).get("expires_at")
    if recorded:
        return parse_iso(recorded)
    return parse_iso(item.updated_at) + timedelta(seconds=UPLOAD_TTL_SECONDS)


def start_upload(professional_id: str, body: Any, caller: Caller | None = None) -> ProfessionalItem:
    """A new attempt for an existing professional; the previous ready file stays served.
    To a partner, a record it did not create is missing (auth.can_see)."""
    descriptor = parse_descriptor(body)

    def attempt() -> ProfessionalItem:
        item = load(professional_id)
        if item is None or not can_see(caller, item):
            raise NotFound(f"No professional with id '{professional_id}'.")
        before = item.version
        count_attempt(item, caller)
        begin_attempt(item, descriptor)
        item.changed_by = actors.of(caller)
        save(item, before)  # the version condition also keeps concurrent attempts in the count
        return item

    return db.retrying(attempt, what="resume upload")


def count_attempt(item: ProfessionalItem, caller: Caller | None) -> None:
    """Contract 8.1: at most ATTEMPTS_PER_DAY attempts in any 24 hours by token holders and
    partners (each replacement rewrites the resume's search postings); staff are not counted.
    The times live on the item, pruned to the window, so the attempt's own write keeps them."""
    now = clock.now()
    since = now - ATTEMPT_WINDOW
    recent = sorted(t for t in item.upload_attempts or [] if parse_iso(t) > since)
    if caller is not None and caller.role in (TOKEN, PARTNER):
        if len(recent) >= ATTEMPTS_PER_DAY:
            # One more is allowed once the oldest that keeps the count full leaves the window.
            frees = parse_iso(recent[-ATTEMPTS_PER_DAY]) + ATTEMPT_WINDOW
            wait = max(1, math.ceil((frees - now).total_seconds()))
            raise RateLimited(f"At most {ATTEMPTS_PER_DAY} resume uploads in 24 hours; retry in "
                              f"{wait} seconds.", wait)
        recent.append(iso(now))
    item.upload_attempts = recent or None


# -- reading --------------------------------------------------------------------------------

def resume_text(item: ProfessionalItem) -> str | None:
    """The ready resume's text, cut at TEXT_LIMIT characters (the whole text stays in S3)."""
    ready = item.resume_ready
    if not ready:
        return None
    with file_store():
        try:
            body = clients.s3().get_object(Bucket=get_settings().resume_bucket,
                                           Key=ready["text_key"])
        except clients.s3().exceptions.NoSuchKey:
            return None
        return body["Body"].read().decode("utf-8")[:TEXT_LIMIT]


def download_link(item: ProfessionalItem) -> dict[str, str]:
    ready = item.resume_ready
    if not ready:
        raise NotFound("This professional has no ready resume.")
    disposition = f'attachment; filename="{ready["filename"]}"'
    url = clients.s3().generate_presigned_url("get_object", Params={
        "Bucket": get_settings().resume_bucket, "Key": ready["pdf_key"],
        "ResponseContentDisposition": disposition, "ResponseContentType": PDF},
        ExpiresIn=DOWNLOAD_TTL_SECONDS)
    expires = datetime.now(timezone.utc) + timedelta(seconds=DOWNLOAD_TTL_SECONDS)
    return {"url": url, "expires_at": iso(expires)}


def file_keys(item: ProfessionalItem) -> set[str]:
    """Every object the record knows of: the awaited upload and the ready PDF and text."""
    keys = {item.resume_upload["key"]} if item.resume_upload else set()
    if item.resume_ready:
        keys |= {item.resume_ready["pdf_key"], item.resume_ready["text_key"]}
    return keys


def delete_keys(keys: set[str]) -> None:
    """Delete objects, or raise Unavailable (a 503) if S3 refuses any of them."""
    with file_store():
        delete_objects(*sorted(keys))


@contextmanager
def file_store() -> Iterator[None]:
    """S3 failing on an API request is a 503, as the table failing is (see db.StoreUnavailable);
    the worker needs no such translation: any exception fails the record for a retry."""
    try:
        yield
    except (ClientError, BotoCoreError, FilesNotDeleted) as exc:
        raise Unavailable("The resume store is unavailable; please retry.") from exc


class FilesNotDeleted(Exception):
    """DeleteObjects answered 200 but listed keys it could not delete."""


# -- the record and the files, for both sides (the processor shares them) --------------------

def save(item: ProfessionalItem, expected_version: int) -> None:
    """Write ``item`` as the next version; db.Cancelled if someone else wrote first."""
    item.version = expected_version + 1
    item.updated_at = now_iso()
    db.transact([db.Action("put", item, ProfessionalItem.version == expected_version)])


def load(professional_id: str) -> ProfessionalItem | None:
    item = db.get(professional_pk(professional_id))
    return item if isinstance(item, ProfessionalItem) else None


def delete_objects(*keys: str) -> None:
    """Delete objects of the resume bucket; FilesNotDeleted if S3 kept any."""
    if not keys:
        return
    answer = clients.s3().delete_objects(Bucket=get_settings().resume_bucket, Delete={
        "Objects": [{"Key": k} for k in keys], "Quiet": True})
    if answer.get("Errors"):  # a 200 that failed for some keys: not done, so not a success
        raise FilesNotDeleted([(e.get("Key"), e.get("Code")) for e in answer["Errors"]])


def _safe_filename(name: str) -> str:
    cleaned = re.sub(r'[^\w.\- ]', "_", name.strip().rsplit("/", 1)[-1])[:255]
    return cleaned or "resume.pdf"
