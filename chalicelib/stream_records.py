"""What every consumer of the professionals table's stream reads first from a record (Lambda's
DynamoDB event shape): its event name, its ``dynamodb`` part and its item's ``pk``. Each
consumer (the search indexer, the daily counters) then applies its own rule."""
from __future__ import annotations

from typing import Any

EVENTS = ("INSERT", "MODIFY", "REMOVE")


class PoisonRecord(ValueError):
    """A stream record a consumer cannot read (retried, then set aside by the event source)."""


def read(record: Any) -> tuple[str, dict[str, Any], str]:
    """(event name, the record's ``dynamodb`` part, the item's ``pk``); PoisonRecord if it is
    not a DynamoDB stream record."""
    change = record.get("dynamodb") if isinstance(record, dict) else None
    event = record.get("eventName") if isinstance(record, dict) else None
    if not isinstance(change, dict) or event not in EVENTS:
        raise PoisonRecord(f"not a DynamoDB stream record: {event!r}")
    keys = change.get("Keys") or {}
    pk = (keys.get("pk") or {}).get("S", "") if isinstance(keys, dict) else ""
    return event, change, pk
