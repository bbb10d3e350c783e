"""The local stand-in of the counters' event source mapping: a second stream worker that calls
``count_stats`` and names the shard in the event, as a mapping with a tumbling window does."""
from __future__ import annotations

from infra.local import stream_worker
from infra.local.workers import Handler
from tests import stats_records as sr


def test_stream_handler_picks_the_counters_consumer(monkeypatch):
    monkeypatch.setenv("PROFESSIONALS_STREAM_ARN", "arn:aws:dynamodb:us-east-1:1:table/t/stream/x")
    monkeypatch.setenv("STREAM_HANDLER", "count_stats")
    handler = stream_worker.find_handler()
    assert handler.function_name == "count_stats" and handler.name.startswith("app.count_stats ")
    assert handler.takes_event_fields
    assert handler.call([], {"shardId": "shardId-1"}) == []
    monkeypatch.delenv("STREAM_HANDLER")
    assert stream_worker.find_handler().function_name == "index_search"  # the default


def test_each_batch_is_handed_over_with_its_shard():
    events = []

    def call(records, extra=None):
        events.append((len(records), extra))
        return []

    arn = "arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/x"
    worker = stream_worker.StreamWorker(arn, handler=Handler("t", call, 100, "count_stats",
                                                             takes_event_fields=True),
                                        region="us-east-1", streams=object())
    worker.deliver(stream_worker.Shard("shardId-7", None), [sr.signup(11, "a", "direct",
                                                                      "2026-12-07")])
    assert events == [(1, {"shardId": "shardId-7", "eventSourceARN": arn})]
    assert worker.checkpoint.after("shardId-7") == "11"
