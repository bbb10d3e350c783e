"""Resumes: presigned uploads, verification and text extraction, downloads.

The browser uploads straight to ``uploads/<professional id>/<random>.pdf``; S3 notifies a queue
and ``handle_sqs_records`` (the Lambda, or the local worker) verifies and converts each object.
Accepted files move to ``resumes/`` and their text to ``text/``; rejected ones are deleted.
Only ``uploads/`` notifies the queue, so nothing written here triggers it again.

Delivery is at least once: each step checks that the object is still the professional's newest
attempt, so duplicates, replays and superseded uploads change nothing.
"""
from __future__ import annotations

import functools
import json
import math
import re
import secrets
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote_plus

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import clients, clock, db, metrics
from chalicelib.auth import PARTNER, TOKEN, Caller, can_see
from chalicelib.clock import iso, now_iso, parse_iso
from chalicelib.errors import NotFound, RateLimited, Unavailable, ValidationFailed
from chalicelib.logs import log
from chalicelib.models import ProfessionalItem, professional_pk
from chalicelib.settings import get_settings

MAX_BYTES = 5 * 1024 * 1024
ATTEMPTS_PER_DAY = 10  # per professional, by token holders and partners (contract 8.1)
ATTEMPT_WINDOW = timedelta(hours=24)
UPLOAD_TTL_SECONDS = 900
CLOCK_SKEW_SECONDS = 300  # S3 judges the form's expiry on its own clock
DOWNLOAD_TTL_SECONDS = 300
TEXT_LIMIT = 100_000
MAX_PAGES = 50
EXTRACT_TIMEOUT_SECONDS = 20
EXTRACT_MEMORY_BYTES = 1024 * 1024 * 1024
MAGIC_BYTES = 2048
PDF = "application/pdf"
FINAL = ("ready", "rejected")
DESCRIPTOR_FIELDS = ("filename", "content_type", "size_bytes")
_UPLOAD_KEY = re.compile(r"^uploads/(?P<id>[0-9a-f]{32})/(?P<name>[0-9a-f]{16})\.pdf$")

_magic_lock = threading.Lock()


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
        item = _get(professional_id)
        if item is None or not can_see(caller, item):
            raise NotFound(f"No professional with id '{professional_id}'.")
        before = item.version
        count_attempt(item, caller)
        begin_attempt(item, descriptor)
        _save(item, before)  # the version condition also keeps concurrent attempts in the count
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
        _delete(*sorted(keys))


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


# -- processing -----------------------------------------------------------------------------

def handle_sqs_records(records: list[dict[str, Any]]) -> list[str]:
    """Process SQS records (Lambda's shape: messageId, body); returns the ids that failed.

    A failed record is retried alone by SQS and ends in the dead-letter queue after a few tries.
    """
    failed = []
    for record in records:
        try:
            for key in _uploaded_keys(json.loads(record["body"])):
                process_upload(key)
        except Exception:
            log.exception("resume record failed", message_id=record.get("messageId"))
            failed.append(record.get("messageId"))
    return failed


def _uploaded_keys(event: dict[str, Any]) -> list[str]:
    if event.get("Event") == "s3:TestEvent":
        return []  # S3 sends one when the notification is configured
    return [unquote_plus(r["s3"]["object"]["key"]) for r in event["Records"]
            if r.get("eventName", "").startswith("ObjectCreated")]


def process_upload(key: str) -> str:
    """Verify and convert one uploaded object; returns what happened (for logs and tests)."""
    match = _UPLOAD_KEY.match(key)
    if not match:
        return _outcome("ignored", key)
    professional_id = match["id"]
    item = _get(professional_id)
    if item is None:
        # Erased: also whatever an earlier delivery made from this upload before it failed.
        _delete(key, *_derived_keys(professional_id, key).values())
        return _outcome("dropped_deleted_professional", key)
    current = item.resume_upload or {}
    if current.get("key") != key or item.resume["status"] in FINAL:
        # A superseded attempt, or a replay of one already decided. If this upload is the one
        # that became ready, finish what an earlier delivery may not have: deleting the files
        # it replaced.
        replaced = (item.resume_ready or {}).get("replaces", []) \
            if current.get("key") == key and item.resume["status"] == "ready" else []
        _delete(key, *replaced)
        return _outcome("stale", key)
    s3, bucket = clients.s3(), get_settings().resume_bucket
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            if item.resume["status"] == "processing":
                # Started earlier, and the file is gone (e.g. a dead-letter replay after the
                # uploads/ lifecycle expired it): decide, so the record does not stay processing.
                # A duplicate that lost to a finished delivery changes nothing: _update sees
                # the final state.
                return _reject(professional_id, key, "unreadable")
            if datetime.now(timezone.utc) > upload_deadline(item) + \
                    timedelta(seconds=CLOCK_SKEW_SECONDS):
                # Uploaded but never processed, and gone (a dead-letter replay after the 1-day
                # clean-up of uploads/); the form is dead, so nothing can arrive under this key
                # any more: end the attempt rather than leave it awaiting_upload for ever.
                return _reject(professional_id, key, "expired")
            return _outcome("missing", key)
        raise
    size = head["ContentLength"]
    uploaded_at = iso(head["LastModified"])
    if not _update(professional_id, key, status="processing", size_bytes=size,
                   uploaded_at=uploaded_at):
        return _outcome("stale", key)
    if size == 0:
        return _reject(professional_id, key, "empty")
    if size > MAX_BYTES:
        return _reject(professional_id, key, "too_large")
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    if _mime(data[:MAGIC_BYTES]) != PDF:
        return _reject(professional_id, key, "not_pdf")
    result = extract_text(data)
    if "error" in result:
        return _reject(professional_id, key, result["error"], pages=result.get("pages"))
    text = result["text"]
    ready = {**_derived_keys(professional_id, key),
             "filename": current.get("filename") or "resume.pdf"}
    s3.put_object(Bucket=bucket, Key=ready["text_key"], Body=text.encode("utf-8"),
                  ContentType="text/plain; charset=utf-8")
    s3.copy_object(Bucket=bucket, Key=ready["pdf_key"], CopySource={"Bucket": bucket, "Key": key},
                   ContentType=PDF, MetadataDirective="REPLACE")
    written = _update(professional_id, key, status="ready", pages=result["pages"],
                      text_chars=len(text), text_truncated=len(text) > TEXT_LIMIT,
                      processed_at=now_iso(), ready=ready)
    if not written:
        # Superseded while we worked, or a duplicate delivery finished first: keep the files
        # only if they are what the record now serves.
        now = _get(professional_id)
        if now is None or (now.resume_ready or {}).get("pdf_key") != ready["pdf_key"]:
            _delete(ready["pdf_key"], ready["text_key"])
        return _outcome("stale", key)
    _delete(key, *written.resume_ready["replaces"])
    return _outcome("ready", key, pages=result["pages"], text_chars=len(text))


def _derived_keys(professional_id: str, key: str) -> dict[str, str]:
    """Where an accepted upload's PDF and text go."""
    stem = key.rsplit("/", 1)[1][:-len(".pdf")]
    return {"pdf_key": f"resumes/{professional_id}/{stem}.pdf",
            "text_key": f"text/{professional_id}/{stem}.txt"}


EXTRACTOR = Path(__file__).with_name("pdftext.py")


def extract_text(data: bytes) -> dict[str, Any]:
    """pdfplumber in a child process bounded in time and address space, holding only the file
    to parse and a minimal environment (``_child_env``)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        try:
            done = subprocess.run(
                [sys.executable, str(EXTRACTOR), handle.name, str(MAX_PAGES)],
                capture_output=True, timeout=EXTRACT_TIMEOUT_SECONDS, preexec_fn=_limit_child,
                env=_child_env())
        except subprocess.TimeoutExpired:
            return {"error": "timeout"}
    if done.returncode != 0:
        # Killed by the memory limit or crashed (pdfminer can segfault): not a readable PDF.
        log.info("extractor exited", returncode=done.returncode,
                 stderr=done.stderr.decode(errors="replace")[-300:])
        return {"error": "unreadable"}
    try:
        return json.loads(done.stdout)
    except ValueError:
        return {"error": "unreadable"}


def _child_env() -> dict[str, str]:
    """What the parser needs to start, nothing more: code run by a hostile PDF finds no AWS
    credentials (the role's keys and session token are environment variables in Lambda), no
    secret's name, no endpoint. The interpreter is the parent's own, so it finds the packages
    of its installation (a venv included); in Lambda they sit in the task root, which pdftext.py
    puts on its path itself. PYTHONPATH only if pdfplumber is somewhere neither covers."""
    import os
    env = {"PATH": os.environ.get("PATH") or os.defpath, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    if os.environ.get("LD_LIBRARY_PATH"):  # the Lambda runtime's libpython is found through it
        env["LD_LIBRARY_PATH"] = os.environ["LD_LIBRARY_PATH"]
    where = _packages_of("pdfplumber")
    if where and where not in _own_package_dirs():
        env["PYTHONPATH"] = where
    return env


def _packages_of(name: str) -> str | None:
    import importlib.util
    spec = importlib.util.find_spec(name)  # locates the package without importing it
    return str(Path(spec.origin).resolve().parent.parent) if spec and spec.origin else None


def _own_package_dirs() -> set[str]:
    import site
    dirs = [*site.getsitepackages(), site.getusersitepackages(), str(EXTRACTOR.parent.parent)]
    return {str(Path(d).resolve()) for d in dirs}


def _limit_child() -> None:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (EXTRACT_MEMORY_BYTES, EXTRACT_MEMORY_BYTES))
    cpu = EXTRACT_TIMEOUT_SECONDS + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


@functools.lru_cache(maxsize=1)
def _magic() -> Any:
    # pylibmagic bundles libmagic and its database (the Lambda runtime has neither); naming the
    # database file does not rely on the MAGIC variable it exports.
    import pylibmagic
    import magic
    return magic.Magic(mime=True, magic_file=str(pylibmagic.data / "magic.mgc"))


def _mime(head: bytes) -> str:
    with _magic_lock:
        return _magic().from_buffer(head)


def _reject(professional_id: str, key: str, reason: str, pages: int | None = None) -> str:
    _update(professional_id, key, status="rejected", reason=reason, pages=pages,
            processed_at=now_iso())
    _delete(key)
    return _outcome(f"rejected:{reason}", key)


def _update(professional_id: str, key: str, *, ready: dict | None = None,
            **fields: Any) -> ProfessionalItem | None:
    """Set fields of the resume state if ``key`` is still the newest, undecided attempt.

    Returns the item as written, or None when a newer attempt (or a deletion) superseded this
    one. A new ready file records the files it ``replaces``, so that whichever delivery gets
    there can delete them (the write and the deletion cannot be one atomic step).
    """

    def attempt() -> ProfessionalItem | None:
        item = _get(professional_id)
        if item is None or (item.resume_upload or {}).get("key") != key \
                or item.resume["status"] in FINAL:
            return None
        before, old = item.version, item.resume_ready
        item.resume = {**item.resume, **fields}
        if ready is not None:
            replaces = [old["pdf_key"], old["text_key"]] \
                if old and old["pdf_key"] != ready["pdf_key"] else []
            item.resume_ready = {**ready, "replaces": replaces}
        _save(item, before)
        return item

    return db.retrying(attempt, what="resume state", attempts=8)


def _save(item: ProfessionalItem, expected_version: int) -> None:
    """Write ``item`` as the next version; db.Cancelled if someone else wrote first."""
    item.version = expected_version + 1
    item.updated_at = now_iso()
    db.transact([db.Action("put", item, ProfessionalItem.version == expected_version)])


def _get(professional_id: str) -> ProfessionalItem | None:
    item = db.get(professional_pk(professional_id))
    return item if isinstance(item, ProfessionalItem) else None


def _delete(*keys: str) -> None:
    if not keys:
        return
    answer = clients.s3().delete_objects(Bucket=get_settings().resume_bucket, Delete={
        "Objects": [{"Key": k} for k in keys], "Quiet": True})
    if answer.get("Errors"):  # a 200 that failed for some keys: not done, so not a success
        raise FilesNotDeleted([(e.get("Key"), e.get("Code")) for e in answer["Errors"]])


def _outcome(what: str, key: str, **fields: Any) -> str:
    log.info("resume processed", outcome=what, key=key, **fields)
    if what == "ready":
        metrics.emit({"ResumesReady": 1})
    elif what.startswith("rejected:"):
        metrics.emit({"ResumesRejected": 1}, Reason=what.split(":", 1)[1])
    return what


def _safe_filename(name: str) -> str:
    cleaned = re.sub(r'[^\w.\- ]', "_", name.strip().rsplit("/", 1)[-1])[:255]
    return cleaned or "resume.pdf"

