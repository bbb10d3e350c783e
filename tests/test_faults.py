"""Faults injected under bulk upsert with botocore event hooks: throttling, TransactionConflict,
UnprocessedKeys. No row is lost or duplicated, every row is reported, retries are bounded."""
from __future__ import annotations

import itertools

from botocore.awsrequest import AWSResponse

from chalicelib import db
from chalicelib.auth import Caller
from chalicelib.bulk import bulk_upsert
from tests.invariants import assert_invariants

STAFF = Caller(role="staff", name="ops")


def rows(count: int, start: int = 0) -> list[dict]:
    return [{"full_name": f"P{i}", "email": f"p{i}@example.com"} for i in range(start, start + count)]


def fail_first(operation: str, times: int, error: dict):
    """A before-call hook: the first ``times`` calls of ``operation`` answer ``error``."""
    calls = itertools.count()

    def hook(**kwargs):
        if next(calls) < times:
            response = AWSResponse("https://dynamodb", 400, {}, None)
            return response, {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400},
                              **({k: v for k, v in error.items() if k == "CancellationReasons"})}
        return None
    db.connection().client.meta.events.register(f"before-call.dynamodb.{operation}", hook)
    return hook


def unregister(operation, hook):
    db.connection().client.meta.events.unregister(f"before-call.dynamodb.{operation}", hook)


def test_throttled_transactions_are_retried(store):
    hook = fail_first("TransactWriteItems", 2, {"Code": "ThrottlingException", "Message": "slow"})
    try:
        result = bulk_upsert(rows(60), STAFF)
    finally:
        unregister("TransactWriteItems", hook)
    assert result["summary"] == {"created": 60, "updated": 0, "unchanged": 0, "failed": 0}
    assert_invariants()


def test_a_transaction_conflict_re_decides_only_the_named_rows(store):
    bulk_upsert(rows(5), STAFF)
    conflict = {"Code": "TransactionCanceledException", "Message": "conflict",
                "CancellationReasons": [{"Code": "TransactionConflict"}] + [{"Code": "None"}] * 99}
    hook = fail_first("TransactWriteItems", 1, conflict)
    try:
        result = bulk_upsert([{"email": "p0@example.com", "job_title": "x"}] + rows(10, 5), STAFF)
    finally:
        unregister("TransactWriteItems", hook)
    assert [r["status"] for r in result["results"]] == ["updated"] + ["created"] * 10
    assert len({r["id"] for r in result["results"]}) == 11
    assert_invariants()


def test_unprocessed_keys_are_read_again_so_updates_stay_updates(store):
    seeded = bulk_upsert(rows(30), STAFF)["results"]
    client = db.connection().client
    first = {"done": False}

    def drop_half(parsed, **kwargs):
        if first["done"]:
            return
        first["done"] = True
        table = next(iter(parsed["Responses"]))
        found = parsed["Responses"][table]
        kept, dropped = found[::2], found[1::2]
        parsed["Responses"][table] = kept
        parsed["UnprocessedKeys"] = {table: {"Keys": [{"pk": item["pk"]} for item in dropped],
                                             "ConsistentRead": True}}
    client.meta.events.register("after-call.dynamodb.BatchGetItem", drop_half)
    try:
        result = bulk_upsert([{"email": f"p{i}@example.com", "job_title": "t"} for i in range(30)],
                             STAFF)
    finally:
        client.meta.events.unregister("after-call.dynamodb.BatchGetItem", drop_half)
    assert first["done"]
    assert [r["status"] for r in result["results"]] == ["updated"] * 30
    assert [r["id"] for r in result["results"]] == [r["id"] for r in seeded]
    assert_invariants()


def test_persistent_throttling_ends_in_unavailable_rows_and_nothing_half_written(store):
    hook = fail_first("TransactWriteItems", 10**6, {"Code": "ThrottlingException", "Message": "no"})
    try:
        result = bulk_upsert(rows(20), STAFF)
    finally:
        unregister("TransactWriteItems", hook)
    assert len(result["results"]) == 20
    assert {r["error"]["code"] for r in result["results"]} == {"unavailable"}
    assert bulk_upsert(rows(20), STAFF)["summary"]["created"] == 20  # nothing was left behind
    assert_invariants()
