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


# -- single-record routes: a store that keeps failing is a 503 in the envelope, bounded ----------

def counting_fail(operation: str, error: dict):
    """fail_first for ever, counting the calls it answered."""
    calls = {"n": 0}
    inner = fail_first(operation, 10**6, error)

    def hook(**kwargs):
        calls["n"] += 1
        return inner(**kwargs)
    db.connection().client.meta.events.unregister(f"before-call.dynamodb.{operation}", inner)
    db.connection().client.meta.events.register(f"before-call.dynamodb.{operation}", hook)
    return hook, calls


def test_a_store_outage_on_read_is_a_503_envelope_not_a_500(api):
    from chalicelib.models import TableItem
    created = api.call("POST", "/professionals", body={"full_name": "A", "email": "a@example.com"})
    calls = {"n": 0}

    def down(**kwargs):  # on the model's own connection: db.get reads through PynamoDB
        calls["n"] += 1
        return AWSResponse("https://dynamodb", 500, {}, None), {
            "Error": {"Code": "InternalServerError", "Message": "down"},
            "ResponseMetadata": {"HTTPStatusCode": 500}}
    events = TableItem._get_connection().connection.client.meta.events
    events.register("before-call.dynamodb.GetItem", down)
    try:
        response = api.call("GET", f"/professionals/{created.json['id']}")
    finally:
        events.unregister("before-call.dynamodb.GetItem", down)
    assert response.status_code == 503, response.body
    assert response.json["error"]["code"] == "unavailable"
    assert "Traceback" not in response.body.decode()
    assert calls["n"] >= 1


def test_a_patch_that_keeps_losing_its_race_gives_up_after_bounded_attempts(api):
    created = api.call("POST", "/professionals", body={"full_name": "A", "email": "a@example.com"})
    conflict = {"Code": "TransactionCanceledException", "Message": "conflict",
                "CancellationReasons": [{"Code": "ConditionalCheckFailed"}]}
    hook, calls = counting_fail("TransactWriteItems", conflict)
    try:
        response = api.call("PATCH", f"/professionals/{created.json['id']}",
                            body={"job_title": "CTO"})
    finally:
        unregister("TransactWriteItems", hook)
    assert response.status_code == 503, response.body
    assert response.json["error"]["code"] == "unavailable"
    assert calls["n"] == db.WRITE_ATTEMPTS  # re-read and re-tried, then given up: not for ever
    after = api.call("GET", f"/professionals/{created.json['id']}").json
    assert after["job_title"] is None and after["updated_at"] == created.json["updated_at"]
    assert_invariants()


def test_a_create_throttled_for_ever_is_a_503_and_leaves_nothing(api):
    hook, calls = counting_fail("TransactWriteItems",
                                {"Code": "ThrottlingException", "Message": "slow down"})
    try:
        response = api.call("POST", "/professionals",
                            body={"full_name": "A", "email": "a@example.com"})
    finally:
        unregister("TransactWriteItems", hook)
    assert response.status_code == 503 and response.json["error"]["code"] == "unavailable"
    assert calls["n"] >= 1
    retried = api.call("POST", "/professionals", body={"full_name": "A", "email": "a@example.com"})
    assert retried.status_code == 201  # the e-mail was not left taken by a half-write
    assert_invariants()
