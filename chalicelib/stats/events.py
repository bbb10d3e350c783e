"""A stream record of the professionals table -> what it counts, on which UTC day.

- INSERT of a professional: a sign-up, by the new image's ``source``, on its ``created_at`` day;
- a professional whose resume reaches ``ready`` or ``rejected`` (the new image's attempt is in
  that state and the old image's was not that attempt in that state): one resume, on the
  attempt's ``processed_at`` day, a rejection under its ``reason``;
- REMOVE of a professional (a DELETE, a person's own erasure, the purge): an erasure, on the
  day the stream saw it (``ApproximateCreationDateTime``; the record carries no other time).

These are the days ``python -m infra stats rebuild`` recomputes from the table, so the two agree.
Guards, keys and markers count nothing. ``resume`` is a JSON attribute: a string in the image.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from chalicelib import stream_records
from chalicelib.stats import counters

PROFESSIONAL_PREFIX = "PRO#"
FINAL = ("ready", "rejected")
PoisonRecord = stream_records.PoisonRecord  # a record the consumer cannot read


def counts_of(record: Any) -> tuple[str, dict[str, int]] | None:
    """(day, counts) of one Lambda DynamoDB stream record; None when it counts nothing."""
    event, change, pk = stream_records.read(record)
    if not pk.startswith(PROFESSIONAL_PREFIX):
        return None
    try:
        if event == "REMOVE":
            return _day_of(change.get("ApproximateCreationDateTime")), {counters.ERASURES: 1}
        new = change.get("NewImage") or {}
        found: Counter[str] = Counter()
        day = None
        if event == "INSERT":
            source = _text(new, "source")
            if source in counters.SIGNUPS:
                day = _text(new, "created_at")[:10]
                found[counters.SIGNUPS[source]] += 1
        resume = _finished(_resume(new), _resume(change.get("OldImage") or {}))
        if resume is not None:
            resume_day = str(resume.get("processed_at") or "")[:10] or day
            if day is not None and resume_day != day:  # never on one record; kept apart anyway
                raise PoisonRecord("a sign-up and a finished resume on different days")
            day = resume_day
            found[counters.RESUMES_READY if resume["status"] == "ready"
                  else counters.rejected(str(resume.get("reason") or "unknown"))] += 1
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PoisonRecord(f"unreadable professional image: {exc}") from exc
    if not found:
        return None
    _check_day(day)
    return day, dict(found)


def _text(image: dict[str, Any], name: str) -> str:
    return str((image.get(name) or {}).get("S") or "")


def _resume(image: dict[str, Any]) -> dict[str, Any] | None:
    raw = (image.get("resume") or {}).get("S")
    return json.loads(raw) if raw else None


def _finished(new: dict[str, Any] | None, old: dict[str, Any] | None) -> dict[str, Any] | None:
    """The new image's attempt when this change finished it; else None."""
    if not new or new.get("status") not in FINAL:
        return None
    if old and old.get("status") == new.get("status") \
            and old.get("processed_at") == new.get("processed_at"):
        return None  # another field changed; the attempt was finished before
    return new


def _day_of(epoch: Any) -> str:
    if isinstance(epoch, str):
        epoch = float(epoch)
    if not isinstance(epoch, (int, float)):
        return counters.today()  # Lambda always gives it; a hand-made record may not
    return datetime.fromtimestamp(epoch, timezone.utc).date().isoformat()


# The same rule names a history entry resume_ready/resume_rejected (chalicelib/history/entries.py).
finished_attempt = _finished


def _check_day(day: str | None) -> None:
    try:
        datetime.strptime(day or "", "%Y-%m-%d")
    except ValueError as exc:
        raise PoisonRecord(f"no day to count on: {day!r}") from exc
