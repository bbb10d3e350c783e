"""The professionals table's stream -> the daily counters (a second consumer beside the search
indexer, with its own event source mapping and so its own position in the stream).

A batch is added up per day and written as one UpdateItem per day (``counters.apply_stream``),
not one per record: a day of 100,000 sign-ups is 1,000 writes in batches of 100, to one item.
Each write records the shard's highest sequence number on the day item, so a retried,
bisected or replayed batch adds only the records it has not added before.

The shard: Lambda names it in the event only with a tumbling window (``shardId``), which the
template sets for this reason alone (the window's state is not used: each invocation returns
an empty one). The local stream worker passes it the same way.

The same function records the history (chalicelib/history/consumer.py) from the same records:
a stream serves at most two readers per shard at once, the indexer and this one. A failure of
either reports the lowest record to retry from; the counters' sequence guard keeps a retried
record from counting twice, the history's put-if-absent from being recorded twice.
"""
from __future__ import annotations

from typing import Any

from chalicelib.history import consumer as history
from chalicelib.logs import log
from chalicelib.stats import counters, events

UNKNOWN_SHARD = "unknown"


def handle_stream_event(event: dict[str, Any]) -> dict[str, Any]:
    """Lambda's DynamoDB event (tumbling-window shape) -> its response: ``state`` (always
    empty) and ``batchItemFailures`` (the first record not yet counted or recorded, if any)."""
    records = event.get("Records") or []
    failed = handle_records(records, event.get("shardId") or "")
    failed = _lowest(failed + history.handle_records(records))
    return {"state": {}, "batchItemFailures": [{"itemIdentifier": s} for s in failed]}


def handle_records(records: list[dict[str, Any]], shard: str) -> list[str]:
    """Count a batch of one shard; returns the sequence number to retry from, or nothing.

    A record that cannot be read stops the batch there: the records before it are counted,
    it is reported (retried, then set aside by the event source). A day whose write fails is
    reported by its first record: the retry starts there, and days already written skip what
    they hold."""
    if not shard:
        log.error("stats: the event names no shardId (no tumbling window on the mapping?)")
        shard = UNKNOWN_SHARD
    days: dict[str, list[counters.Entry]] = {}
    first_of: dict[str, str] = {}
    poisoned: str | None = None
    for record in records:
        sequence = _sequence(record)
        try:
            found = events.counts_of(record)
            padded = counters.padded(sequence)
        except (events.PoisonRecord, ValueError) as exc:
            log.error("stats: unreadable record", sequence=sequence, error=str(exc))
            poisoned = sequence
            break
        if found is None:
            continue
        day, counts = found
        days.setdefault(day, []).append(counters.Entry(padded, counts))
        first_of.setdefault(day, sequence)
    failed: list[str] = []
    writes = 0
    for day, entries in days.items():
        try:
            writes += counters.apply_stream(day, shard, entries)
        except Exception:
            log.exception("stats: counting a day failed", day=day, records=len(entries))
            failed.append(first_of[day])
    if poisoned is not None:
        failed.append(poisoned)
    log.info("stats: batch counted", records=len(records), days=len(days), writes=writes,
             failed=len(failed))
    # Lambda goes on from the lowest reported record: report just that one.
    return [min(failed, key=lambda s: int(s) if s.isdigit() else -1)] if failed else []


def _lowest(failed: list[str]) -> list[str]:
    return [min(failed, key=lambda s: int(s) if s.isdigit() else -1)] if failed else []


def _sequence(record: Any) -> str:
    change = record.get("dynamodb") if isinstance(record, dict) else None
    return str((change or {}).get("SequenceNumber", ""))
