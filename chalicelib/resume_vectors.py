"""A professional's resume passages in the vector store, made to match their record (contract 8.4).

``sync`` is state-based: it reads the record as it is now (strongly) and makes the store say the
same: the ready resume's passages embedded, or nothing. A message only names whom to look at, so
messages replayed, duplicated or delivered out of order all end in the record's current state.

The model (numpy, tokenizers) is imported on first use, not with this module: app.py imports it
for the handler, and the API's package carries no model.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib import db
from chalicelib import vectors
from chalicelib.logs import log
from chalicelib.models import ProfessionalItem, professional_pk
from chalicelib.search.indexer import read_text


def sync(professional_id: str) -> int:
    """Make the store hold this record's ready resume's passages (the first MAX_PASSAGES), and
    nothing else of theirs; returns how many passages are stored."""
    item = db.get(professional_pk(professional_id))
    text_key = _ready_text_key(item)
    text = read_text(text_key) if text_key else None
    if not text:
        vectors.delete_professional(professional_id)
        log.info("resume vectors removed", professional_id=professional_id,
                 reason="no resume text" if text_key else "no ready resume")
        return 0
    from chalicelib.embeddings import model, passages as cutter

    passages = [p.text for p in cutter.cut(text)[:vectors.MAX_PASSAGES]]
    if passages:
        embedded = model.embed(passages)
        vectors.put_passages(professional_id, item.source, embedded, passages,
                             created_at=item.created_at)
    # A longer earlier resume's passages past the new count (none are kept past MAX_PASSAGES).
    vectors.delete_passages(professional_id, range(len(passages), vectors.MAX_PASSAGES))
    log.info("resume vectors stored", professional_id=professional_id, passages=len(passages),
             text_key=text_key)
    return len(passages)


def handle(records: list[dict[str, Any]]) -> list[str]:
    """SQS records (Lambda's shape: messageId, body ``{"id": ...}``); returns the message ids
    that failed, each retried alone by SQS and sent to the dead-letter queue after a few tries
    (a store outage, ``VectorsUnavailable``, is such a failure). One resume failing leaves the
    others of the batch done. A professional named twice in a batch is synced once."""
    failed: list[str] = []
    done: dict[str, bool] = {}
    for record in records:
        message_id = str(record.get("messageId", ""))
        try:
            professional_id = _professional_id(record)
        except (ValueError, TypeError) as exc:
            # No retry mends it: it ends in the dead-letter queue, where an operator sees it.
            log.error("embed: unreadable message", message_id=message_id, error=str(exc))
            failed.append(message_id)
            continue
        if professional_id not in done:
            try:
                sync(professional_id)
                done[professional_id] = True
            except Exception:
                log.exception("embed: sync failed", message_id=message_id,
                              professional_id=professional_id)
                done[professional_id] = False
        if not done[professional_id]:
            failed.append(message_id)
    return failed


def _professional_id(record: dict[str, Any]) -> str:
    body = json.loads(record["body"])
    professional_id = body.get("id") if isinstance(body, dict) else None
    if not isinstance(professional_id, str) or not professional_id:
        raise ValueError("the message names no professional id")
    return professional_id


def _ready_text_key(item: Any) -> str | None:
    if not isinstance(item, ProfessionalItem):
        return None
    ready = item.resume_ready
    return ready.get("text_key") if isinstance(ready, dict) else None
