"""Shared helpers for the benchmarks: environment, DynamoDB request counting, tables.

Import this module before anything creates a botocore client: it patches
``botocore.session.Session.create_client`` so that every client created afterwards (boto3's,
PynamoDB's) counts its DynamoDB HTTP requests, retries included, by operation name.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Dummy credentials and a stage that needs no signing secret; set before any client exists.
# Forced, not defaulted: the benchmarks only ever talk to a local emulator.
os.environ.update({
    "AWS_ACCESS_KEY_ID": "x",
    "AWS_SECRET_ACCESS_KEY": "x",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "STAGE": "test",
})
os.environ.pop("AWS_SESSION_TOKEN", None)
os.environ.pop("AWS_PROFILE", None)

import botocore.session  # noqa: E402


class RequestCounter:
    """Counts ``before-send.dynamodb.<Operation>`` events: one per HTTP request sent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self.counts: Counter[str] = Counter()
        self.wait_seconds = 0.0  # request sent -> response parsed, summed (all threads)
        self.items_read = 0  # Query/Scan responses' Count, summed

    def reset(self) -> None:
        with self._lock:
            self.counts = Counter()
            self.wait_seconds = 0.0
            self.items_read = 0

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.counts)

    def total(self) -> int:
        return sum(self.snapshot().values())

    def on_send(self, request=None, event_name: str = "", **kwargs):  # noqa: ANN001
        operation = event_name.rsplit(".", 1)[-1] if event_name else "?"
        with self._lock:
            self.counts[operation] += 1
        self._local.sent = time.perf_counter()
        return None  # let the request go out

    def on_response(self, **kwargs):  # noqa: ANN003
        """``needs-retry`` fires once after every attempt: the end of that request."""
        sent = getattr(self._local, "sent", None)
        if sent is not None:
            self._local.sent = None
            with self._lock:
                self.wait_seconds += time.perf_counter() - sent
        return None  # no opinion on retrying

    def on_after_call(self, parsed=None, **kwargs):  # noqa: ANN001, ANN003
        if isinstance(parsed, dict) and isinstance(parsed.get("Count"), int):
            with self._lock:
                self.items_read += parsed["Count"]


COUNTER = RequestCounter()
_original_create_client = botocore.session.Session.create_client


def _counting_create_client(self, service_name, *args, **kwargs):  # noqa: ANN001
    client = _original_create_client(self, service_name, *args, **kwargs)
    if service_name == "dynamodb":
        client.meta.events.register("before-send.dynamodb", COUNTER.on_send,
                                    unique_id="bench-request-counter")
        client.meta.events.register("needs-retry.dynamodb", COUNTER.on_response,
                                    unique_id="bench-request-timer")
        client.meta.events.register("after-call.dynamodb", COUNTER.on_after_call,
                                    unique_id="bench-items-read")
    return client


botocore.session.Session.create_client = _counting_create_client


def use_table(name: str) -> None:
    """Point chalicelib at table ``name`` (fresh binding) and create it if missing."""
    from chalicelib import db

    os.environ["TABLE_NAME"] = name
    db._bound["table"] = None
    db.create_table()


def format_table(headers: list[str], rows: list[list[object]]) -> str:
    """Plain text table: text left-aligned, numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [all(_is_number(row[i]) for row in rows) and rows for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if numeric[i] else c.ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}" if abs(value) < 1000 \
            else f"{value:.0f}"
    return str(value)


def ops_text(counts: Counter[str]) -> str:
    return ", ".join(f"{op}={n}" for op, n in sorted(counts.items())) or "-"
