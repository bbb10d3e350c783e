"""Stream records of the professionals table, shaped as Lambda hands them to ``count_stats``,
and what they should count: for the counters' tests."""
from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from chalicelib.stats import counters

BASE_DAY = date(2026, 12, 1)


def day(offset: int, base: date = BASE_DAY) -> str:
    return (base + timedelta(days=offset)).isoformat()


def _stamp(on: str) -> str:
    return f"{on}T10:00:00.000Z"


def _image(pid: str, **fields: Any) -> dict[str, Any]:
    image = {"pk": {"S": f"PRO#{pid}"}, "kind": {"S": "professional"}, "id": {"S": pid},
             "full_name": {"S": "Someone"}}
    for name, value in fields.items():
        image[name] = {"S": json.dumps(value) if isinstance(value, dict) else value}
    return image


def record(sequence: int, event: str, pid: str, new: dict | None = None,
           old: dict | None = None, at: str | None = None) -> dict[str, Any]:
    change: dict[str, Any] = {"Keys": {"pk": {"S": f"PRO#{pid}"}},
                              "SequenceNumber": str(sequence), "StreamViewType":
                              "NEW_AND_OLD_IMAGES", "SizeBytes": 100}
    if new is not None:
        change["NewImage"] = new
    if old is not None:
        change["OldImage"] = old
    if at is not None:
        moment = datetime.combine(date.fromisoformat(at), time(12), timezone.utc)
        change["ApproximateCreationDateTime"] = int(moment.timestamp())
    return {"eventID": f"e{sequence}", "eventName": event, "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "us-east-1", "dynamodb": change,
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x"}


def signup(sequence: int, pid: str, source: str, on: str) -> dict[str, Any]:
    return record(sequence, "INSERT", pid, new=_image(pid, source=source, created_at=_stamp(on)))


def resume_done(sequence: int, pid: str, status: str, on: str,
                reason: str | None = None) -> dict[str, Any]:
    old = _image(pid, source="direct", created_at=_stamp(on),
                 resume={"status": "processing", "reason": None, "processed_at": None})
    new = _image(pid, source="direct", created_at=_stamp(on),
                 resume={"status": status, "reason": reason, "processed_at": _stamp(on)})
    return record(sequence, "MODIFY", pid, new=new, old=old)


def renamed(sequence: int, pid: str, on: str) -> dict[str, Any]:
    """A MODIFY that counts nothing (the resume was ready before, and stays so)."""
    resume = {"status": "ready", "reason": None, "processed_at": _stamp(on)}
    return record(sequence, "MODIFY", pid,
                  new=_image(pid, source="direct", created_at=_stamp(on), resume=resume),
                  old=_image(pid, source="direct", created_at=_stamp(on), resume=resume))


def erased(sequence: int, pid: str, on: str) -> dict[str, Any]:
    return record(sequence, "REMOVE", pid, old=_image(pid, source="direct",
                                                      created_at=_stamp(on)), at=on)


def guard(sequence: int, on: str) -> dict[str, Any]:
    """An e-mail guard's INSERT: not a professional, counts nothing."""
    return {**record(sequence, "INSERT", "x"), "dynamodb": {
        "Keys": {"pk": {"S": f"EMAIL#{sequence}@example.com"}}, "SequenceNumber": str(sequence),
        "NewImage": {"pk": {"S": f"EMAIL#{sequence}@example.com"}, "owner_id": {"S": "x"}}}}


def build(ops: list[tuple], first_sequence: int, base: date = BASE_DAY
          ) -> tuple[list[dict[str, Any]], dict[str, Counter]]:
    """Records for ``ops`` (``("signup", source, d)``, ``("ready", d)``, ``("rejected", reason,
    d)``, ``("erase", d)``, ``("rename", d)``, ``("guard", d)``), with increasing sequence
    numbers, and the counts they make per day."""
    records, expected = [], {}
    for n, op in enumerate(ops):
        sequence, kind, on = first_sequence + n * 7, op[0], day(op[-1], base)
        pid = f"p{sequence}"
        counts = expected.setdefault(on, Counter())
        if kind == "signup":
            records.append(signup(sequence, pid, op[1], on))
            counts[counters.SIGNUPS[op[1]]] += 1
        elif kind == "ready":
            records.append(resume_done(sequence, pid, "ready", on))
            counts[counters.RESUMES_READY] += 1
        elif kind == "rejected":
            records.append(resume_done(sequence, pid, "rejected", on, op[1]))
            counts[counters.rejected(op[1])] += 1
        elif kind == "erase":
            records.append(erased(sequence, pid, on))
            counts[counters.ERASURES] += 1
        elif kind == "rename":
            records.append(renamed(sequence, pid, on))
        else:
            records.append(guard(sequence, on))
    return records, expected


def stored_counts(days: list[str]) -> dict[str, Counter]:
    """The counters the table holds for these days (sequence numbers left out)."""
    found = counters.read_days(date.fromisoformat(min(days)), date.fromisoformat(max(days)))
    return {d: Counter({k: int(v["N"]) for k, v in found.get(d, {}).items()
                        if "N" in v and int(v["N"])}) for d in days}
