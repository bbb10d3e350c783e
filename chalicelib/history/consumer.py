"""The professionals table's stream -> history entries, in the history table
(``<TABLE_NAME>-history``): ``pk`` the professional's id, ``sk`` ``E#<at>#<sequence number>``,
so a person's history is one Query, newest first, and a record handled twice (a retried,
bisected or replayed batch) lands on the key it had.

It runs in the daily counters' function (chalicelib/stats/consumer.py calls ``handle_records``
with the same records): a DynamoDB stream serves at most two readers per shard at once, and
the search indexer and the counters are those two (docs/decisions.md).

Each entry is put only if absent: a replay never writes an entry again, so it can never bring
back values that an erasure removed. Records are handled in shard order and the first failure
stops the batch (reported, so Lambda retries from it): a REMOVE is never handled before the
changes that came before it.

A REMOVE (a staff or partner DELETE, a person's erasure, the purge) reads the marker its delete
wrote (who, when: one GetItem) and the person's entries (bounded pages of one Query), rewrites
every entry that still holds values without them, and adds the ``deleted`` entry.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import clients, clock
from chalicelib.history import actors, entries
from chalicelib.logs import log

PAGE = 100
MAX_PAGES = 1000  # 100,000 entries of one person: far past 2 years of any real record
BATCH_WRITE_MAX = 25
WRITE_ATTEMPTS = 8
PARALLEL = 8  # puts in flight at once (boto3's clients are thread-safe; its pool holds 10)


def handle_records(records: list[dict[str, Any]]) -> list[str]:
    """Record a batch of one shard, in order; returns the sequence number to retry from, or
    nothing. A record that fails (unreadable, or a write that failed) stops the batch there.

    The puts of the changes between two deletions go out together (``PARALLEL`` at once: a
    batch of 100 changes is not 100 round trips one after the other); a deletion waits for
    them, so the values it drops are all there, and is not handled if one of them failed."""
    pending: list[tuple[str, str, dict[str, Any]]] = []
    counts = {"written": 0, "erased": 0}

    def flush() -> str | None:
        failed, counts["written"] = _put_all(pending), counts["written"] + len(pending)
        pending.clear()
        return failed

    for record in records:
        sequence = _sequence(record)
        try:
            found = entries.professional_of(record)
            if found is None:
                continue
            event, professional_id, change = found
            if event == "REMOVE":
                failed = flush()
                if failed is not None:
                    return [failed]
                erase(professional_id, change, sequence)
                counts["erased"] += 1
                continue
            entry = entries.entry_of(event, change)
            if entry is not None:
                pending.append((professional_id, sequence, entry))
        except entries.PoisonRecord as exc:
            log.error("history: unreadable record", sequence=sequence, error=str(exc))
            return [flush() or sequence]
        except Exception:
            log.exception("history: recording failed", sequence=sequence)
            return [flush() or sequence]
    failed = flush()
    log.info("history: batch recorded", records=len(records), **counts,
             failed=failed is not None)
    return [failed] if failed is not None else []


def _put_all(pending: list[tuple[str, str, dict[str, Any]]]) -> str | None:
    """Put these entries (at once); the sequence number of the first that failed, or None."""
    if not pending:
        return None

    def put(args: tuple[str, str, dict[str, Any]]) -> bool:
        try:
            put_entry(*args)
            return True
        except Exception:
            log.exception("history: recording failed", sequence=args[1])
            return False
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(pending))) as pool:
        done = list(pool.map(put, pending))
    failed = [args[1] for args, ok in zip(pending, done) if not ok]
    return failed[0] if failed else None


def put_entry(professional_id: str, sequence: str, entry: dict[str, Any]) -> int:
    """Put the entry unless its key holds one already; returns 1 if it wrote."""
    try:
        clients.dynamodb().put_item(
            TableName=actors.table_name(), Item=_raw(professional_id, sequence, entry),
            ConditionExpression="attribute_not_exists(pk)")
        return 1
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return 0  # recorded before: a replay
        raise


def erase(professional_id: str, change: dict[str, Any], sequence: str) -> None:
    """The person is gone: drop every value their history holds, then record the deletion."""
    marker = _marker(professional_id)
    rewrites = []
    for item in _items_of(professional_id):
        changes = json.loads(item.get("changes", {}).get("S") or "{}")
        if entries.has_values(changes):
            rewrites.append({**item, "changes": {"S": entries.to_json(
                entries.without_values(changes))}})
    _batch_put(rewrites)
    put_entry(professional_id, sequence, entries.deleted_entry(change, marker))
    log.info("history: values dropped", id=professional_id, entries=len(rewrites),
             marker=marker is not None)


def _marker(professional_id: str) -> dict[str, Any] | None:
    """Who deleted, via what, when: the marker the delete put in its own transaction (seen by
    a consistent read: the transaction is whole before its stream records exist)."""
    item = clients.dynamodb().get_item(TableName=actors.table_name(), ConsistentRead=True,
                                       Key=actors.marker_key(professional_id)).get("Item")
    if not item:
        return None
    return {"actor": json.loads(item["actor"]["S"]), "via": item["via"]["S"],
            "at": item["at"]["S"]}


def _items_of(professional_id: str) -> list[dict[str, Any]]:
    ddb = clients.dynamodb()
    kwargs: dict[str, Any] = {"TableName": actors.table_name(), "ConsistentRead": True,
                              "KeyConditionExpression": "pk = :pk", "Limit": PAGE,
                              "ExpressionAttributeValues": {":pk": {"S": professional_id}}}
    found: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        page = ddb.query(**kwargs)
        found.extend(page.get("Items", []))
        if not page.get("LastEvaluatedKey"):
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    raise RuntimeError(f"history: more than {MAX_PAGES * PAGE} items of {professional_id}")


def _batch_put(items: list[dict[str, Any]]) -> None:
    ddb = clients.dynamodb()
    table = actors.table_name()
    for start in range(0, len(items), BATCH_WRITE_MAX):
        request = {table: [{"PutRequest": {"Item": item}}
                           for item in items[start:start + BATCH_WRITE_MAX]]}
        for attempt in range(WRITE_ATTEMPTS):
            request = ddb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
            if not request:
                break
            time.sleep(min(2.0, 0.05 * 2 ** attempt))
        else:
            raise RuntimeError("history: BatchWriteItem kept returning unprocessed items")


def _raw(professional_id: str, sequence: str, entry: dict[str, Any]) -> dict[str, Any]:
    return {"pk": {"S": professional_id}, "sk": {"S": entries.sort_key(entry["at"], sequence)},
            "at": {"S": entry["at"]}, "action": {"S": entry["action"]},
            "actor": {"S": entries.to_json(entry["actor"])}, "via": {"S": entry["via"]},
            "changes": {"S": entries.to_json(entry["changes"])},
            "expires_at": {"N": str(_expiry(entry["at"]))}}


def _expiry(at: str) -> int:
    """Two years after the change (DynamoDB's TTL deletes the entry within days of it)."""
    try:
        moment = clock.parse_iso(at).timestamp()
    except (TypeError, ValueError):
        moment = time.time()
    return int(moment) + actors.KEPT_SECONDS


def _sequence(record: Any) -> str:
    change = record.get("dynamodb") if isinstance(record, dict) else None
    return str((change or {}).get("SequenceNumber", ""))
