"""The resume processor: each uploaded object verified (libmagic), its text extracted
(pdfplumber, in a bounded child process) and the professional's resume state decided.

S3 notifies a queue of every object under ``uploads/``; ``handle_sqs_records`` (the Lambda, or the
local worker) takes each. Accepted files move to ``resumes/`` and their text to ``text/``;
rejected ones are deleted. Only ``uploads/`` notifies the queue, so nothing written here
triggers it again.

Delivery is at least once: each step checks that the object is still the professional's newest
attempt, so duplicates, replays and superseded uploads change nothing.
"""
from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from chalicelib import clients, db, metrics
from chalicelib.clock import iso, now_iso
from chalicelib.history import actors
from chalicelib.logs import log
from chalicelib.models import ProfessionalItem
from chalicelib.resumes import (MAX_BYTES, PDF, TEXT_LIMIT, delete_objects, load, save,
                                upload_deadline)
from chalicelib.settings import get_settings

CLOCK_SKEW_SECONDS = 300  # S3 judges the form's expiry on its own clock
MAX_PAGES = 50
EXTRACT_TIMEOUT_SECONDS = 20
EXTRACT_MEMORY_BYTES = 1024 * 1024 * 1024
MAGIC_BYTES = 2048
FINAL = ("ready", "rejected")
_UPLOAD_KEY = re.compile(r"^uploads/(?P<id>[0-9a-f]{32})/(?P<name>[0-9a-f]{16})\.pdf$")
_magic_lock = threading.Lock()


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
    item = load(professional_id)
    if item is None:
        # Erased: also whatever an earlier delivery made from this upload before it failed.
        delete_objects(key, *_derived_keys(professional_id, key).values())
        return _outcome("dropped_deleted_professional", key)
    current = item.resume_upload or {}
    if current.get("key") != key or item.resume["status"] in FINAL:
        # A superseded attempt, or a replay of one already decided. If this upload is the one
        # that became ready, finish what an earlier delivery may not have: deleting the files
        # it replaced.
        replaced = (item.resume_ready or {}).get("replaces", []) \
            if current.get("key") == key and item.resume["status"] == "ready" else []
        delete_objects(key, *replaced)
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
        now = load(professional_id)
        if now is None or (now.resume_ready or {}).get("pdf_key") != ready["pdf_key"]:
            delete_objects(ready["pdf_key"], ready["text_key"])
        return _outcome("stale", key)
    delete_objects(key, *written.resume_ready["replaces"])
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
    delete_objects(key)
    return _outcome(f"rejected:{reason}", key)


def _update(professional_id: str, key: str, *, ready: dict | None = None,
            **fields: Any) -> ProfessionalItem | None:
    """Set fields of the resume state if ``key`` is still the newest, undecided attempt.

    Returns the item as written, or None when a newer attempt (or a deletion) superseded this
    one. A new ready file records the files it ``replaces``, so that whichever delivery gets
    there can delete them (the write and the deletion cannot be one atomic step).
    """

    def attempt() -> ProfessionalItem | None:
        item = load(professional_id)
        if item is None or (item.resume_upload or {}).get("key") != key \
                or item.resume["status"] in FINAL:
            return None
        before, old = item.version, item.resume_ready
        item.resume = {**item.resume, **fields}
        if ready is not None:
            replaces = [old["pdf_key"], old["text_key"]] \
                if old and old["pdf_key"] != ready["pdf_key"] else []
            item.resume_ready = {**ready, "replaces": replaces}
        item.changed_by = dict(actors.RESUME_PROCESSOR)
        save(item, before)
        return item

    return db.retrying(attempt, what="resume state", attempts=8)


def _outcome(what: str, key: str, **fields: Any) -> str:
    log.info("resume processed", outcome=what, key=key, **fields)
    if what == "ready":
        metrics.emit({"ResumesReady": 1})
    elif what.startswith("rejected:"):
        metrics.emit({"ResumesRejected": 1}, Reason=what.split(":", 1)[1])
    return what
