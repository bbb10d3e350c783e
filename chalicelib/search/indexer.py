"""The professionals table's stream -> the search index.

Each record is applied on its own, in stream order. Delivery is at least once and a record can
come again after newer ones (a retried batch, a replay from the dead-letter queue), so every
write is guarded by the professional's ``version``: the index's DOC item says which version it
reflects, and an older or equal record changes nothing. A deletion leaves a tombstone, so a
late replay of an older image cannot bring the professional back.

A change is written in three steps, so that a crash at any point leaves no posting that the DOC
item does not list (and that a later record would therefore never remove): first the DOC item
lists the old and the new postings, then the postings are written and the stale ones deleted,
then the DOC item lists only the new ones, at the new version.

The indexer reads nothing from the professionals table: the stream's images carry the fields,
and the resume text comes from its text object in S3 (cut at 100,000 characters, as served).
"""
from __future__ import annotations

import logging
import time
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from chalicelib import clients, logs
from chalicelib.resumes import TEXT_LIMIT
from chalicelib.search import analyzer
from chalicelib.search.index import (TOMBSTONE_SECONDS, Document, IndexedState, pack,
                                     read_state, write_postings, write_state)
from chalicelib.settings import get_settings

PLACEHOLDER_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/professionals/stream/placeholder"
PROFESSIONAL_PREFIX = "PRO#"
WRITE_ATTEMPTS = 5
TEXT_BYTES = TEXT_LIMIT * 4  # UTF-8: at most 4 bytes a character

log = logging.getLogger("signup.search")
_de = TypeDeserializer()


class PoisonRecord(ValueError):
    """A stream record the indexer cannot read (retried, then set aside by the event source)."""


def handle_stream_records(records: list[dict[str, Any]]) -> list[str]:
    """Index each record in order; returns the sequence number of the first that failed (it
    and the records after it are retried), or nothing."""
    for record in records:
        sequence = str((record.get("dynamodb") or {}).get("SequenceNumber", ""))
        try:
            apply_record(record)
        except Exception:
            log.exception("search index: record failed",
                          extra={"fields": {"sequence": sequence,
                                            "event": record.get("eventName")}})
            return [sequence]
    return []


def apply_record(record: dict[str, Any]) -> str:
    """Apply one stream record; returns what it did (for logs and tests)."""
    change = record.get("dynamodb")
    event = record.get("eventName")
    if not isinstance(change, dict) or event not in ("INSERT", "MODIFY", "REMOVE"):
        raise PoisonRecord(f"not a DynamoDB stream record: {event!r}")
    keys = change.get("Keys") or {}
    pk = (keys.get("pk") or {}).get("S", "")
    if not pk.startswith(PROFESSIONAL_PREFIX):
        return "skipped"  # guards, keys, markers: not searchable
    if event == "REMOVE":
        old = _image(change.get("OldImage"), pk)
        return remove(old["id"], int(old.get("version", 0)))
    return index_item(_image(change.get("NewImage"), pk))


def _image(raw: Any, pk: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise PoisonRecord(f"{pk}: the record carries no image")
    try:
        image = {k: _de.deserialize(v) for k, v in raw.items()}
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise PoisonRecord(f"{pk}: unreadable image: {exc}") from None
    if image.get("kind") not in (None, "professional") or not isinstance(image.get("id"), str) \
            or not isinstance(image.get("list_key"), str) or not isinstance(image.get("full_name"), str):
        raise PoisonRecord(f"{pk}: not a professional image")
    return image


def document(image: dict[str, Any], state: IndexedState | None) -> Document:
    """What the index should hold for this image (the resume text read again only when its
    text object changed)."""
    import json
    profile = analyzer.profile_words({f: image.get(f) for f in analyzer.PROFILE_FIELDS})
    ready = image.get("resume_ready")
    if isinstance(ready, str):
        ready = json.loads(ready)
    text_key = ready.get("text_key") if isinstance(ready, dict) else None
    doc = Document(id=image["id"], version=int(image.get("version", 0)),
                   list_key=image["list_key"], source=str(image.get("source", "")),
                   profile=profile, text_key=text_key)
    if text_key:
        if state is not None and state.text_key == text_key:
            doc.resume_text, doc.counts, doc.total_words = state.resume()
        else:
            doc.resume_text = read_text(text_key)
            counts, doc.total_words = analyzer.resume_counts(doc.resume_text)
            doc.counts = dict(counts)
    return doc


def read_text(text_key: str) -> str | None:
    """The resume's text, at most TEXT_LIMIT characters; None when its object is gone."""
    s3 = clients.s3()
    try:
        body = s3.get_object(Bucket=get_settings().resume_bucket, Key=text_key,
                             Range=f"bytes=0-{TEXT_BYTES - 1}")["Body"].read()
    except s3.exceptions.NoSuchKey:
        log.warning("search index: resume text missing", extra={"fields": {"key": text_key}})
        return None
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "InvalidRange"):
            return None
        raise
    return body.decode("utf-8", errors="ignore")[:TEXT_LIMIT]


def index_item(image: dict[str, Any], *, same_version: bool = False) -> str:
    """Index one image unless the index already reflects it or a newer one (``same_version``:
    rebuild an equal version whose content differs, for reindexing)."""
    version = int(image.get("version", 0))
    for _ in range(WRITE_ATTEMPTS):
        state = read_state(image["id"])
        if state is not None and (state.gone or state.version > version
                                  or (state.version == version and not same_version)):
            return "stale"
        doc = document(image, state)
        if state is not None and state.digest == doc.digest():
            return "unchanged"
        try:
            _replace(doc, state)
            return "indexed"
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            # another indexer moved the DOC item on: read it again and decide again
    raise RuntimeError(f"search index: {image['id']} kept changing under the indexer")


def _replace(doc: Document, state: IndexedState | None) -> None:
    postings = doc.postings()
    old_keys = list(state.keys) if state else []
    new_keys = list(postings)
    stale = [k for k in old_keys if k not in postings]
    pending = list(dict.fromkeys(old_keys + new_keys))
    write_state(doc.id, expected=state, attributes={
        "v": state.version if state else 0, "dg": "pending", "keys": pending})
    step = IndexedState(version=state.version if state else 0, digest="pending", keys=pending,
                        text_key=None, gone=False, raw={})
    write_postings(postings, stale)
    final: dict[str, Any] = {"v": doc.version, "dg": doc.digest(), "keys": new_keys,
                             "lk": doc.list_key}
    if doc.text_key:
        final.update({"rk": doc.text_key, "rn": doc.total_words, "rw": pack(doc.counts)})
        if doc.resume_text is not None:
            final["rt"] = pack(doc.resume_text)
    write_state(doc.id, expected=step, attributes=final)
    logs.event(log, "search indexed", id=doc.id, version=doc.version, postings=len(new_keys),
               removed=len(stale))


def remove(professional_id: str, version: int) -> str:
    """Delete every posting of a professional, leaving a tombstone (a late replay of an older
    image must not bring them back)."""
    for _ in range(WRITE_ATTEMPTS):
        state = read_state(professional_id)
        if state is not None and state.gone and not state.keys:
            return "stale"
        keys = state.keys if state else []
        write_postings({}, keys)
        try:
            write_state(professional_id, expected=state, attributes={
                "v": max(version, state.version if state else 0), "gone": True, "keys": [],
                "expires_at": int(time.time()) + TOMBSTONE_SECONDS})
            return "removed"
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
    raise RuntimeError(f"search index: {professional_id} kept changing under the indexer")


def reindex_ids(ids: list[str]) -> dict[str, int]:
    """Index these professionals from the table's current state (a command's tool: the stream
    path never reads the table); ids no longer in the table lose their entries."""
    from chalicelib import db
    from chalicelib.models import ProfessionalItem, professional_pk
    found = db.batch_get(professional_pk(i) for i in ids)
    outcome: dict[str, int] = {}
    for professional_id in ids:
        item = found.get(professional_pk(professional_id))
        if isinstance(item, ProfessionalItem):
            what = index_current(item)
        else:
            what = remove(professional_id, 0)
        outcome[what] = outcome.get(what, 0) + 1
    return outcome


def index_current(item: Any) -> str:
    """Index a professional as the table holds it now (reindex and repair). Its version may equal
    the one already indexed: the content digest decides then."""
    return index_item(dict(item.attribute_values), same_version=True)
