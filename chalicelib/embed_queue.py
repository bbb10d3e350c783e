"""Which professionals' resume vectors to bring up to date, read from the table's stream, and
the embed queue's messages that name them (``{"id": ...}``, for chalicelib.resume_vectors).

The search indexer calls this for every batch it reads: the stream sees every path that makes,
replaces or removes a ready resume (the resume processor, deletion, erasure, the purge), so none
is missed. A message names a professional, not a change: the embedder reads the record as it is
when the message arrives, so messages may come twice or out of order.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from chalicelib import clients, stream_records
from chalicelib.logs import log
from chalicelib.settings import get_settings

PROFESSIONAL_PREFIX = "PRO#"
SEND_BATCH = 10  # SendMessageBatch's limit


class EmbedQueueError(RuntimeError):
    """Some messages could not be sent: the stream batch fails and is retried."""


def to_sync(record: Any) -> str | None:
    """The professional whose vectors this stream record may change: their ready resume's text
    key differs between the old and the new image, or they are gone with a ready resume (or
    the record does not say: no old image). None for anything else."""
    event, change, pk = stream_records.read(record)
    if not pk.startswith(PROFESSIONAL_PREFIX):
        return None
    old, new = change.get("OldImage"), change.get("NewImage")
    if event == "REMOVE":
        return _id(old, pk) if old is None or _text_key(old) is not None else None
    if old is not None and _text_key(old) == _text_key(new):
        return None
    if old is None and _text_key(new) is None:
        return None  # a new record without a resume: nothing to embed, nothing to remove
    return _id(new, pk)


def send(ids: Iterable[str]) -> int:
    """One ``{"id"}`` message per distinct id, in batches of 10; returns how many were sent.
    Raises when any is refused, so that the caller's batch is retried. Without EMBED_QUEUE_URL
    (tests and tools that do not embed) nothing is sent."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        return 0
    url = get_settings().embed_queue_url
    if not url:
        log.debug("embed queue not configured: not sent", professionals=len(unique))
        return 0
    for start in range(0, len(unique), SEND_BATCH):
        chunk = unique[start:start + SEND_BATCH]
        result = clients.sqs().send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(n), "MessageBody": json.dumps({"id": i})} for n, i in enumerate(chunk)])
        if result.get("Failed"):
            raise EmbedQueueError(f"embed queue refused {len(result['Failed'])} message(s): "
                                  f"{result['Failed'][0].get('Code')}")
    log.info("embed queued", professionals=len(unique))
    return len(unique)


def _id(image: Any, pk: str) -> str:
    value = image.get("id") if isinstance(image, dict) else None
    if isinstance(value, dict) and isinstance(value.get("S"), str):
        return value["S"]
    return pk[len(PROFESSIONAL_PREFIX):]


def _text_key(image: Any) -> str | None:
    """The ready resume's text key in a raw image (``resume_ready``: JSON in a string); an
    unreadable one counts as a key of its own, so the embedder looks at the record."""
    raw = image.get("resume_ready") if isinstance(image, dict) else None
    if isinstance(raw, dict) and isinstance(raw.get("M"), dict):  # a map, if ever written so
        key = (raw["M"].get("text_key") or {}).get("S")
        return key if isinstance(key, str) else None
    if not isinstance(raw, dict) or "S" not in raw:
        return None
    try:
        ready = json.loads(raw["S"])
    except (TypeError, ValueError):
        return "?unreadable"
    key = ready.get("text_key") if isinstance(ready, dict) else None
    return key if isinstance(key, str) else None
