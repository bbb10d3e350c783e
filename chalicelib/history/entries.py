"""A stream record of the professionals table -> the history entry it makes (pure: no I/O).

- INSERT: ``created``, ``changes`` every tracked field the new image sets (from null);
- MODIFY: ``resume_ready`` / ``resume_rejected`` when the change finished the newest resume
  attempt (the rule the daily counters use), ``email_verified`` when the address became
  verified, else ``updated``; ``changes`` every tracked field whose value differs. A write that
  changed no resource field (internal bookkeeping only) makes no entry;
- REMOVE: ``deleted``, built by the consumer (``deleted_entry``) from the old image and the
  delete's marker, with the field names only.

Tracked fields: the resource's (contract section 2), without ``id``, ``created_at`` and
``updated_at`` (the entry's own subject and time). The actor and the way in come from the new
image's ``changed_by`` (chalicelib/history/actors.py).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from chalicelib import stream_records
from chalicelib.history import actors
from chalicelib.models import ProfessionalItem
from chalicelib.professionals import to_resource
from chalicelib.stats.events import finished_attempt

PROFESSIONAL_PREFIX = "PRO#"
ENTRY_PREFIX = "E#"
SEQ_DIGITS = 40  # as the counters pad them: string order is integer order
TRACKED = ("full_name", "email", "phone", "company_name", "job_title", "source", "resume",
           "email_verified", "consent")
ACTIONS = ("created", "updated", "email_verified", "resume_ready", "resume_rejected", "deleted")
PoisonRecord = stream_records.PoisonRecord


def professional_of(record: Any) -> tuple[str, str, dict[str, Any]] | None:
    """(event, professional id, the record's ``dynamodb`` part), or None for other items."""
    event, change, pk = stream_records.read(record)
    if not pk.startswith(PROFESSIONAL_PREFIX):
        return None
    return event, pk[len(PROFESSIONAL_PREFIX):], change


def sort_key(at: str, sequence: str) -> str:
    """Newest first by time, then by the stream's order: a replay lands on the same key."""
    if not sequence.isdigit() or len(sequence) > SEQ_DIGITS:
        raise PoisonRecord(f"not a stream sequence number: {sequence!r}")
    return f"{ENTRY_PREFIX}{at}#{sequence.zfill(SEQ_DIGITS)}"


def entry_of(event: str, change: dict[str, Any]) -> dict[str, Any] | None:
    """The entry of an INSERT or MODIFY (``at``, ``action``, ``actor``, ``via``, ``changes``);
    None when no tracked field changed."""
    try:
        new_item = _item(change.get("NewImage"))
        new = to_resource(new_item)
        old = to_resource(_item(change["OldImage"])) if event == "MODIFY" else None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PoisonRecord(f"unreadable professional image: {exc}") from exc
    if old is None:
        changes = {f: {"from": None, "to": new[f]} for f in TRACKED if new[f] is not None}
        action = "created"
    else:
        changes = {f: {"from": old[f], "to": new[f]} for f in TRACKED if old[f] != new[f]}
        if not changes:
            return None
        action = _action(old, new)
    who = new_item.changed_by or actors.UNKNOWN
    at = (new["updated_at"] if old is not None else new["created_at"]) \
        or _time_of(change.get("ApproximateCreationDateTime"))
    return {"at": at,
            "action": action, "actor": {"kind": who.get("kind"), "name": who.get("name")},
            "via": who.get("via") or actors.API, "changes": changes}


def deleted_entry(change: dict[str, Any], marker: dict[str, Any] | None) -> dict[str, Any]:
    """The entry of a REMOVE: the fields the record held, without their values (the history
    of a deleted or erased person keeps no personal data); who and when from the marker."""
    try:
        old = to_resource(_item(change["OldImage"]))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PoisonRecord(f"unreadable professional image: {exc}") from exc
    at = (marker or {}).get("at") or _time_of(change.get("ApproximateCreationDateTime"))
    actor = (marker or {}).get("actor") or {"kind": "system", "name": None}
    return {"at": at, "action": "deleted", "actor": actor,
            "via": (marker or {}).get("via") or actors.API,
            "changes": {f: {"from": None, "to": None} for f in TRACKED if old[f] is not None}}


def without_values(changes: dict[str, Any]) -> dict[str, Any]:
    return {field: {"from": None, "to": None} for field in changes}


def has_values(changes: dict[str, Any]) -> bool:
    return any(c.get("from") is not None or c.get("to") is not None for c in changes.values())


def _action(old: dict[str, Any], new: dict[str, Any]) -> str:
    finished = finished_attempt(new["resume"], old["resume"])
    if finished is not None:
        return "resume_ready" if finished["status"] == "ready" else "resume_rejected"
    if new["email_verified"] and not old["email_verified"]:
        return "email_verified"
    return "updated"


def _item(image: Any) -> ProfessionalItem:
    if not isinstance(image, dict) or not image:
        raise ValueError("no image")
    item = ProfessionalItem.from_raw_data(image)
    if not isinstance(item, ProfessionalItem):
        raise ValueError("not a professional")
    return item


def _time_of(epoch: Any) -> str:
    try:
        moment = datetime.fromtimestamp(float(epoch), timezone.utc)
    except (TypeError, ValueError):
        moment = datetime.now(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
