"""The history consumer against DynamoDB Local's real stream: 8 concurrent writers of one
record, every change recorded once and in order; replays and retried halves add nothing; a
deletion drops every value, and a replay afterwards brings none back."""
from __future__ import annotations

import json

import pytest

from chalicelib import clients, professionals
from chalicelib.auth import Caller
from chalicelib.history import actors
from chalicelib.stats import consumer as stats_consumer
from tests.history_helpers import all_records
from tests.test_concurrency_ddblocal import ddb_table, race  # noqa: F401  (a fresh table there)

pytestmark = pytest.mark.ddblocal

STAFF = Caller(role="staff", name="ops")


def deliver(records: list[dict], shard: str) -> None:
    for start in range(0, len(records), 100):
        answer = stats_consumer.handle_stream_event(
            {"shardId": shard, "Records": records[start:start + 100]})
        assert answer["batchItemFailures"] == [], answer


def deliver_all() -> None:
    for shard in all_records():
        deliver(shard["Records"], shard["shardId"])


def entries_of(pid: str) -> list[dict]:
    found = clients.dynamodb().query(
        TableName=actors.table_name(), KeyConditionExpression="pk = :pk AND begins_with(sk, :e)",
        ExpressionAttributeValues={":pk": {"S": pid}, ":e": {"S": "E#"}})["Items"]
    return [{"sk": i["sk"]["S"], "action": i["action"]["S"],
             "changes": json.loads(i["changes"]["S"])} for i in found]


def test_eight_concurrent_writers_are_recorded_once_each_in_order(ddb_table):
    clients.reset()
    ada = professionals.create({"full_name": "Ada", "email": "ada@example.com"}, STAFF)
    outcomes = race(8, lambda n: professionals.patch(
        ada.id, {"job_title": f"Job {n}"}, Caller(role="staff", name=f"writer-{n}")))
    # A writer may give up after its bounded retries (503): what it did not write is not there.
    assert sum(kind == "ok" for kind, _ in outcomes) >= 2, outcomes
    shards = all_records()
    for shard in shards:  # a retried second half first, then everything: a replay
        records = shard["Records"]
        deliver(records[len(records) // 2:], shard["shardId"])
        deliver(records, shard["shardId"])
    deliver_all()
    found = entries_of(ada.id)
    assert found[0]["action"] == "created"
    updates = found[1:]
    stored = professionals.get(ada.id)
    # Every change once: the writes that changed something, each from what the one before set.
    assert len(updates) == stored.version - 1
    assert all(u["action"] == "updated" for u in updates)
    chain = [u["changes"]["job_title"] for u in updates]
    assert chain[0]["from"] is None
    assert all(a["to"] == b["from"] for a, b in zip(chain, chain[1:]))
    assert chain[-1]["to"] == stored.job_title


def test_a_deletion_drops_every_value_and_a_replay_brings_none_back(ddb_table):
    clients.reset()
    ada = professionals.create({"full_name": "Ada", "email": "ada@example.com",
                                "job_title": "Engineer"}, STAFF)
    professionals.patch(ada.id, {"job_title": "Countess"}, STAFF)
    deliver_all()
    assert entries_of(ada.id)[-1]["changes"]["job_title"]["to"] == "Countess"
    professionals.delete(ada.id, Caller(role="staff", name="eve@example.com", group="editor"))
    deliver_all()  # everything again, the deletion last: the replay of the earlier changes
    deliver_all()  # finds their entries and writes nothing
    found = entries_of(ada.id)
    assert [e["action"] for e in found] == ["created", "updated", "deleted"]
    for entry in found:
        assert all(c == {"from": None, "to": None} for c in entry["changes"].values()), entry
    assert "job_title" in found[1]["changes"] and "email" in found[0]["changes"]
    marker = clients.dynamodb().get_item(TableName=actors.table_name(),
                                         Key=actors.marker_key(ada.id))["Item"]
    assert json.loads(marker["actor"]["S"]) == {"kind": "staff", "name": "eve@example.com"}
