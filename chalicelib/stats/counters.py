"""The per-day counter items of the stats table, and every write made to them.

One item per UTC day, all under one partition key (``pk = "DAY"``, ``sk = "YYYY-MM-DD"``), so a
range of days is one Query. Counters are flat Number attributes (``signups_direct``,
``rejected_<reason>``, ``bulk_created``...), changed only by ``ADD``, so writers never read.

Who writes, and how a repeat is kept from counting twice:

- the stream consumer (``apply_stream``): one UpdateItem per day per batch, ADDing the day's
  records together, and SETting ``seq_<shard>`` to the highest sequence number it applied from
  that shard, on the condition that the stored one is below the batch's first. A redelivered,
  bisected or replayed batch fails the condition; the stored number (returned with the failure)
  says which of its records are new, and only those are written, on the condition that the
  stored number is still the one read. Sequence numbers are kept zero-padded to 40 digits, so
  DynamoDB's string order is their integer order.
- the mail sender and the import worker (``add_once``): the ADD and a marker item
  (``ONCE#<token>``, expiring after ``ONCE_KEPT_SECONDS``) put only if absent, in one
  TransactWriteItems: an SQS redelivery or a retried chunk finds the marker and adds nothing.
- the bulk route (``add``): a plain ADD once the response is built (a repeated request is a
  new request; one replayed through its Idempotency-Key never runs the handler again).

A counting write never decides an answer: ``count`` and ``count_once`` log and swallow its
failure (the request, mail or chunk has already done its work).
"""
from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Mapping

from botocore.exceptions import ClientError

from chalicelib import clients, db
from chalicelib.logs import log

DAY_PK = "DAY"
ONCE_PREFIX = "ONCE#"
TTL_ATTRIBUTE = "expires_at"
SEQ_PREFIX = "seq_"
SEQ_DIGITS = 40  # DynamoDB Streams' sequence numbers are 21 to 40 digits
ONCE_KEPT_SECONDS = 15 * 24 * 3600  # longer than SQS keeps a message (14 days)
WRITE_ATTEMPTS = 5

SOURCES = ("direct", "partner", "internal")
REASONS = ("not_pdf", "too_large", "empty", "unreadable", "encrypted", "too_many_pages",
           "timeout")
OUTCOMES = ("created", "updated", "unchanged", "failed")
REJECTED_PREFIX = "rejected_"
# The counter attributes (besides rejected_<reason>, one per reason seen).
SIGNUPS = {source: f"signups_{source}" for source in SOURCES}
RESUMES_READY = "resumes_ready"
BULK = {outcome: f"bulk_{outcome}" for outcome in OUTCOMES}
MAILS_SENT, MAILS_SUPPRESSED = "mails_sent", "mails_suppressed"
ERASURES = "erasures"


def table_name() -> str:
    """Read when called (Chalice sets a stage's variables only while a handler runs)."""
    return os.environ.get("STATS_TABLE_NAME") or \
        f"{os.environ.get('TABLE_NAME', 'professionals')}-stats"


def day_key(day: str) -> dict[str, Any]:
    return {"pk": {"S": DAY_PK}, "sk": {"S": day}}


def today() -> str:
    from chalicelib.clock import now
    return now().date().isoformat()


def rejected(reason: str) -> str:
    return f"{REJECTED_PREFIX}{reason}"


def padded(sequence: str) -> str:
    if not sequence.isdigit() or len(sequence) > SEQ_DIGITS:
        raise ValueError(f"not a stream sequence number: {sequence!r}")
    return sequence.zfill(SEQ_DIGITS)


# --- writes ---------------------------------------------------------------------------------

def _expression(action: str, counts: Mapping[str, int],
                ) -> tuple[str, dict[str, str], dict[str, Any]]:
    """``ADD #c0 :c0, ...`` or ``SET #c0 = :c0, ...`` over these counters, with its names and
    values."""
    joiner = " = " if action == "SET" else " "
    names, values, parts = {}, {}, []
    for n, (attribute, amount) in enumerate(sorted(counts.items())):
        names[f"#c{n}"] = attribute
        values[f":c{n}"] = {"N": str(int(amount))}
        parts.append(f"#c{n}{joiner}:c{n}")
    return f"{action} " + ", ".join(parts), names, values


def add(day: str, counts: Mapping[str, int]) -> None:
    """ADD ``counts`` to the day's item (no condition)."""
    counts = {k: v for k, v in counts.items() if v}
    if not counts:
        return
    expression, names, values = _expression("ADD", counts)
    clients.dynamodb().update_item(TableName=table_name(), Key=day_key(day),
                                   UpdateExpression=expression,
                                   ExpressionAttributeNames=names,
                                   ExpressionAttributeValues=values)


def add_once(token: str, day: str, counts: Mapping[str, int]) -> bool:
    """ADD ``counts`` unless ``token`` was counted already; returns whether it added."""
    counts = {k: v for k, v in counts.items() if v}
    if not counts:
        return False
    expression, names, values = _expression("ADD", counts)
    marker = {"pk": {"S": ONCE_PREFIX + token}, "sk": {"S": "-"},
              TTL_ATTRIBUTE: {"N": str(int(time.time()) + ONCE_KEPT_SECONDS)}}
    ddb = clients.dynamodb()
    for attempt in range(WRITE_ATTEMPTS):
        try:
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": table_name(), "Item": marker,
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Update": {"TableName": table_name(), "Key": day_key(day),
                            "UpdateExpression": expression, "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": values}}])
            return True
        except ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False  # counted before: a redelivery
            if "TransactionConflict" not in reasons or attempt == WRITE_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * 2 ** attempt)  # another writer's transaction on the day item
    return False


def count(day: str, counts: Mapping[str, int], *, what: str) -> None:
    """``add``, never raising: counting must not fail what was counted."""
    try:
        add(day, counts)
    except Exception:
        log.warning("stats: counting failed", what=what, day=day, exc_info=True)


def count_once(token: str, day: str, counts: Mapping[str, int], *, what: str) -> None:
    """``add_once``, never raising."""
    try:
        add_once(token, day, counts)
    except Exception:
        log.warning("stats: counting failed", what=what, day=day, token=token, exc_info=True)


def bulk_counts(summary: Mapping[str, int]) -> dict[str, int]:
    return {BULK[o]: int(summary.get(o, 0)) for o in OUTCOMES}


@dataclass(frozen=True)
class Entry:
    """One stream record's counts (only records that count something become entries)."""

    sequence: str  # zero-padded (``padded``)
    counts: Mapping[str, int]


def apply_stream(day: str, shard: str, entries: list[Entry]) -> int:
    """Apply one shard's entries of one day, in shard order; returns the writes it took (0:
    every entry was applied before). Entries at or below the stored sequence are skipped."""
    if not entries:
        return 0
    seq_name = SEQ_PREFIX + shard
    condition = "attribute_not_exists(#seq) OR #seq < :first"
    first = entries[0].sequence
    ddb = clients.dynamodb()
    writes = 0
    for _ in range(WRITE_ATTEMPTS):
        total: Counter[str] = Counter()
        for entry in entries:
            total.update(entry.counts)
        expression, names, values = _expression("ADD", total)
        names["#seq"] = seq_name
        values[":last"] = {"S": entries[-1].sequence}
        values[":first"] = {"S": first}
        writes += 1
        try:
            ddb.update_item(TableName=table_name(), Key=day_key(day),
                            UpdateExpression=f"{expression} SET #seq = :last",
                            ConditionExpression=condition, ExpressionAttributeNames=names,
                            ExpressionAttributeValues=values,
                            ReturnValuesOnConditionCheckFailure="ALL_OLD")
            return writes
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            stored = ((exc.response.get("Item") or {}).get(seq_name) or {}).get("S")
        if stored is None:  # the condition failed on a number that is no longer there
            condition, first = "attribute_not_exists(#seq) OR #seq < :first", entries[0].sequence
            continue
        entries = [e for e in entries if e.sequence > stored]
        if not entries:
            return writes
        # Only what is new since ``stored``, and only while ``stored`` is what the item holds.
        condition, first = "#seq = :first", stored
    raise RuntimeError(f"stats: day {day} kept changing under shard {shard}'s writes")


def set_fields(day: str, counts: Mapping[str, int]) -> None:
    """SET (not ADD) these counters of a day: the backfill, safe to run twice."""
    if counts:
        expression, names, values = _expression("SET", counts)
        clients.dynamodb().update_item(TableName=table_name(), Key=day_key(day),
                                       UpdateExpression=expression,
                                       ExpressionAttributeNames=names,
                                       ExpressionAttributeValues=values)


# --- reads ----------------------------------------------------------------------------------

def read_days(first: date, last: date) -> dict[str, dict[str, Any]]:
    """The stored day items from ``first`` to ``last`` (both included): one Query (more pages
    only when DynamoDB's 1 MB page cuts it)."""
    ddb = clients.dynamodb()
    kwargs: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
        "ExpressionAttributeValues": {":pk": {"S": DAY_PK}, ":first": {"S": first.isoformat()},
                                      ":last": {"S": last.isoformat()}},
    }
    found: dict[str, dict[str, Any]] = {}
    while True:
        with db.unavailable_on_error("Query"):  # a 503 at the API's boundary, as every read
            page = ddb.query(**kwargs)
        for item in page.get("Items", []):
            found[item["sk"]["S"]] = item
        if not page.get("LastEvaluatedKey"):
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _number(item: Mapping[str, Any], name: str) -> int:
    value = item.get(name)
    return int(value["N"]) if value and "N" in value else 0


def to_day(day: str, item: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stored day item (or none) in the contract's shape."""
    item = item or {}
    # Every reason of the contract, zeros included (a stable shape for charts), and any other
    # reason a newer processor counted.
    reasons = {reason: 0 for reason in REASONS}
    reasons.update({name[len(REJECTED_PREFIX):]: _number(item, name) for name in item
                    if name.startswith(REJECTED_PREFIX)})
    return {
        "date": day,
        "signups": {source: _number(item, SIGNUPS[source]) for source in SOURCES},
        "resumes": {"ready": _number(item, RESUMES_READY),
                    "rejected": reasons},
        "bulk_rows": {outcome: _number(item, BULK[outcome]) for outcome in OUTCOMES},
        "mails": {"sent": _number(item, MAILS_SENT), "suppressed": _number(item, MAILS_SUPPRESSED)},
        "erasures": _number(item, ERASURES),
    }


def days_between(first: date, last: date) -> Iterable[date]:
    from datetime import timedelta
    for n in range((last - first).days + 1):
        yield first + timedelta(days=n)
