"""The daily counters' stream consumer against DynamoDB Local: replays, duplicates, out-of-order
redelivery of whole batches, bisected retries and failures mid-batch never count twice or
lose a record; a batch is one write per day."""
from __future__ import annotations

import itertools
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib import clients
from chalicelib.stats import consumer, counters
from infra import resources
from tests import stats_records as sr

pytestmark = pytest.mark.ddblocal

SHARD = "shardId-00000001-aaaa"
REASONS = ("not_pdf", "empty", "timeout")


@pytest.fixture
def stats_table(dynamodb_local_endpoint, monkeypatch):
    name = f"stats-{uuid.uuid4().hex[:8]}"
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local_endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("STATS_TABLE_NAME", name)
    # The same function records the history (chalicelib/history): its table beside.
    monkeypatch.setenv("HISTORY_TABLE_NAME", f"{name}-history")
    clients.reset()
    resources._create_table(clients.dynamodb(), resources.stats_table_spec(name), lambda _: None)
    resources._create_table(clients.dynamodb(), resources.history_table_spec(f"{name}-history"),
                            lambda _: None)
    yield name
    clients.dynamodb().delete_table(TableName=name)
    clients.dynamodb().delete_table(TableName=f"{name}-history")
    clients.reset()


class Faulty:
    """The DynamoDB client, with faults on chosen days' counter writes: ``before`` (the write
    never happens) or ``after`` (it happens, its answer is lost); counts the writes."""

    def __init__(self, real):
        self.real = real
        self.faults: dict[str, str] = {}
        self.writes = 0

    def update_item(self, **kwargs):
        self.writes += 1
        mode = self.faults.pop(kwargs["Key"]["sk"]["S"], None)
        if mode == "before":
            raise ConnectionError("injected: the write never reached DynamoDB")
        answer = self.real.update_item(**kwargs)
        if mode == "after":
            raise ConnectionError("injected: the write was made, its answer lost")
        return answer

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.fixture
def faulty(stats_table, monkeypatch):
    client = Faulty(clients.dynamodb())
    monkeypatch.setattr(counters.clients, "dynamodb", lambda: client)
    return client


_bases = itertools.count()
OPS = st.one_of(
    st.tuples(st.just("signup"), st.sampled_from(counters.SOURCES), st.integers(0, 2)),
    st.tuples(st.just("ready"), st.integers(0, 2)),
    st.tuples(st.just("rejected"), st.sampled_from(REASONS), st.integers(0, 2)),
    st.tuples(st.just("erase"), st.integers(0, 2)),
    st.tuples(st.just("rename"), st.integers(0, 2)),
    st.tuples(st.just("guard"), st.integers(0, 2)),
)


def deliver(batch):
    return consumer.handle_stream_event({"Records": batch, "shardId": SHARD})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, min_size=1, max_size=40), data=st.data())
def test_any_delivery_counts_every_record_exactly_once(faulty, ops, data):
    # GIVEN one shard's records over three days (days of their own in the shared table)
    base = sr.BASE_DAY + timedelta(days=10 * next(_bases))
    records, expected = sr.build(ops, first_sequence=10 ** 20 + 5, base=base)
    sequences = [r["dynamodb"]["SequenceNumber"] for r in records]
    done = 0  # the event source mapping's position: records before it are handed over
    for step in itertools.count():
        if done == len(records):
            break
        # WHEN earlier batches come again (a replay, a DLQ redrive), in any order
        if done and data.draw(st.booleans(), label="replay"):
            start = data.draw(st.integers(0, done - 1), label="replay start")
            end = data.draw(st.integers(start + 1, len(records)), label="replay end")
            faulty.faults.clear()
            assert deliver(records[start:end])["batchItemFailures"] == []
        # ... and the next batch meets a fault on one of its days, before or after the write
        size = data.draw(st.integers(1, 12), label="batch size")
        batch = records[done:done + size]
        if step < 30 and data.draw(st.booleans(), label="fault"):
            on = data.draw(st.sampled_from(sorted(expected)), label="fault day")
            faulty.faults = {on: data.draw(st.sampled_from(["before", "after"]), label="mode")}
        answer = deliver(batch)
        assert answer["state"] == {}
        failed = answer["batchItemFailures"]
        faulty.faults.clear()
        if failed:  # Lambda goes on from the reported record
            (first,) = failed
            done = sequences.index(first["itemIdentifier"])
        else:
            done += len(batch)
    assert done == len(records)
    # THEN each day holds exactly what its records count
    assert sr.stored_counts(sorted(expected)) == {d: +c for d, c in expected.items()}


def test_a_batch_is_one_write_per_day_and_a_replay_none_more(faulty):
    ops = [("signup", "direct", 0)] * 60 + [("signup", "partner", 1)] * 40
    records, expected = sr.build(ops, first_sequence=4 * 10 ** 25)
    assert deliver(records)["batchItemFailures"] == []
    assert faulty.writes == 2  # two days touched: two UpdateItems for 100 records
    faulty.writes = 0
    assert deliver(records)["batchItemFailures"] == []  # the same batch again
    assert faulty.writes == 2  # one refused conditional write per day, nothing added
    assert deliver(records[30:70])["batchItemFailures"] == []  # a bisected half
    assert sr.stored_counts(sorted(expected)) == expected


def test_a_day_of_10000_sign_ups_is_one_item_written_once_per_batch(faulty):
    ops = [("signup", "direct", 0)] * 10_000
    records, expected = sr.build(ops, first_sequence=10 ** 21)
    for start in range(0, len(records), 100):
        assert deliver(records[start:start + 100])["batchItemFailures"] == []
    assert faulty.writes == 100  # 1 write per batch of 100
    assert sr.stored_counts(sorted(expected)) == expected


def test_a_partly_applied_batch_retried_from_its_failure_counts_the_rest_once(faulty):
    # GIVEN a batch over two days whose second day's write fails
    ops = [("signup", "direct", 0), ("signup", "internal", 1), ("erase", 0), ("ready", 1)]
    records, expected = sr.build(ops, first_sequence=7 * 10 ** 22)
    faulty.faults = {sr.day(1): "before"}
    failed = deliver(records)["batchItemFailures"]
    # THEN the first record of the failed day is reported; the retry from it (holding day 0's
    # erasure again) adds day 1 and nothing more to day 0
    assert failed == [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]
    assert deliver(records[1:])["batchItemFailures"] == []
    assert sr.stored_counts(sorted(expected)) == expected


def test_each_shard_keeps_its_own_place(faulty):
    ops = [("signup", "direct", 0)] * 3
    a, _ = sr.build(ops, first_sequence=9 * 10 ** 30)
    b, _ = sr.build(ops, first_sequence=10 ** 20)  # lower numbers, another shard
    assert consumer.handle_stream_event({"Records": a, "shardId": "shard-a"}) \
        ["batchItemFailures"] == []
    assert consumer.handle_stream_event({"Records": b, "shardId": "shard-b"}) \
        ["batchItemFailures"] == []
    assert sr.stored_counts([sr.day(0)]) == {sr.day(0): Counter({"signups_direct": 6})}


def test_an_unreadable_record_is_reported_and_the_records_before_it_counted(faulty):
    records, _ = sr.build([("signup", "partner", 0)] * 2, first_sequence=3 * 10 ** 20)
    bad = {**records[1], "eventName": "WHATEVER"}
    answer = deliver([records[0], bad])
    assert answer["batchItemFailures"] == [{"itemIdentifier": bad["dynamodb"]["SequenceNumber"]}]
    assert sr.stored_counts([sr.day(0)]) == {sr.day(0): Counter({"signups_partner": 1})}


def test_add_once_counts_a_token_once(stats_table):
    for _ in range(3):
        counters.add_once("mail#event-1", "2026-12-07", {counters.MAILS_SENT: 1})
    counters.add_once("mail#event-2", "2026-12-07", {counters.MAILS_SUPPRESSED: 1})
    assert sr.stored_counts(["2026-12-07"]) == {"2026-12-07": Counter(
        {"mails_sent": 1, "mails_suppressed": 1})}
