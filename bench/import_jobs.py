"""Import jobs end to end in-process on DynamoDB Local (S3 and SQS on an in-process moto server),
against DynamoDB Local's own write cap for the same items, and the 1,000-row bulk's wall time
(contract 8.5's budgets).

Per size in ``--rows``: a CSV of new rows (unique emails, a phone on every third row) is uploaded
to S3, its S3 ObjectCreated message put on the imports queue, and the queue driven as the local
stack drives it (``infra.local.import_worker``'s handler: app.py's ``process_imports``, called as
Lambda calls it, one message at a time), continuation messages included, until the job is
``done``. Each invocation gets ``--invocation-seconds`` (IMPORT_TIME_BUDGET_SECONDS; the worker
begins no chunk with less than its 120 s reserve left), so a long job continues in new
invocations as it would in Lambda. Reported: wall s, rows/s, invocations, chunks, DynamoDB
requests per row by operation and table, items written per row.

The cap, in the same run: the items a row needs (professional + email guard + phone guard where
the row has one, and the job item's two checkpoint writes a chunk) written the cheapest way
DynamoDB Local allows: 25-item BatchWriteItem from 4 threads into a fresh table with the stream
on (the checkpoints as UpdateItem, which cannot be batched). The job's ratio to that cap is what
"within 1.5x of the cap" is judged on.

The bulk: ``bulk.bulk_upsert`` of 1,000 new rows (email + phone each, bench/bulk_cost.py's (a))
with the stream on, ``--bulk-runs`` times, each on a fresh table: wall p50, requests, and where
its time goes (BatchGetItem vs TransactWriteItems wall, DynamoDB Local's CPU).

DynamoDB Local charges every write to a table with a stream for the stream records other tables
wrote before that table's first one (~0.3-0.4 us of its CPU per such record: a table created
after another wrote 16,000 records pays ~5 ms an item instead of ~0.3 ms). The local stack has
one table with a stream, so each measurement here gets its own emulator (or its tables write
their first stream record before any other table does), as the stack would.

    .venv/bin/python bench/import_jobs.py [--rows 10000,100000] [--bulk-runs 5]
                                          [--cap-rows 20000] [--invocation-seconds 180]
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, redirect_stdout
from statistics import median
from typing import Any, Iterator

import _common  # noqa: F401  (sets env, installs the request counter)  # isort: skip
from _common import (COUNTER, format_table, headline, ops_text, process_cpu_seconds,
                     write_summary)

import botocore.session

from infra.dynamodb_local import DynamoDBLocal
from infra.local.processes import DDB_JVM_ARGS

BUDGET_REQUESTS_PER_ROW = 55 / 1000  # section 3: 1,000 new rows in at most 55 requests
BUDGET_SECONDS = 120  # 100,000 rows within 2 minutes...
BUDGET_CAP_RATIO = 1.5  # ...or within 1.5x of DynamoDB Local's own cap
BUDGET_ROWS = 100_000
BULK_TARGET_SECONDS = 1.0  # contract 8.5: a 1,000-row bulk under 1 s (reported)
BUCKET = "bench-imports"
PHONE_EVERY = 3  # a phone on every third row


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the emulators' context managers


# --- what a request writes, on which table ----------------------------------------------------

class TableTally:
    """Requests and items written by (table role, operation), from each call's parameters
    (``before-parameter-build``: once per call; COUNTER counts HTTP requests, retries too)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: Counter[tuple[str, str]] = Counter()
        self.items: Counter[str] = Counter()
        self.roles: dict[str, str] = {}

    def reset(self) -> None:
        with self.lock:
            self.requests, self.items = Counter(), Counter()

    def role(self, table: str) -> str:
        return self.roles.get(table, table)

    def hook(self, params: dict, model: Any = None, **kwargs: Any) -> None:
        op = model.name if model is not None else "?"
        tables: Counter[str] = Counter()
        if "TransactItems" in params:
            for action in params["TransactItems"]:
                for body in action.values():
                    tables[body["TableName"]] += 1
            written = tables
        elif "RequestItems" in params:
            for table, entries in params["RequestItems"].items():
                tables[table] += len(entries) if isinstance(entries, list) else 0
            written = tables if op == "BatchWriteItem" else Counter()
            if op != "BatchWriteItem":
                tables = Counter({t: 0 for t in params["RequestItems"]})
        else:
            tables[params.get("TableName", "?")] += 1
            written = tables if op in ("PutItem", "UpdateItem", "DeleteItem") else Counter()
        with self.lock:
            for table in tables:
                self.requests[(self.role(table), op)] += 1
            for table, n in written.items():
                self.items[self.role(table)] += n


TALLY = TableTally()
_counting_create_client = botocore.session.Session.create_client


def _tallying_create_client(self, service_name, *args, **kwargs):  # noqa: ANN001
    client = _counting_create_client(self, service_name, *args, **kwargs)
    if service_name == "dynamodb":
        client.meta.events.register("before-parameter-build.dynamodb", TALLY.hook,
                                    unique_id="bench-table-tally")
    return client


botocore.session.Session.create_client = _tallying_create_client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- emulators ---------------------------------------------------------------------------------

@contextmanager
def moto_server() -> Iterator[str]:
    """S3 and SQS on an in-process moto server; the app's clients pointed at it."""
    import logging

    from moto.server import ThreadedMotoServer
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    os.environ.update({"AWS_ENDPOINT_URL_S3": url, "AWS_ENDPOINT_URL_SQS": url,
                       "RESUME_BUCKET": BUCKET, "MAIL_QUEUE_URL": ""})
    for name in ("AWS_ENDPOINT_URL", "SIGNING_SECRET_ARN", "IMPORTS_TABLE_NAME"):
        os.environ.pop(name, None)
    from chalicelib import clients
    clients.reset()
    try:
        clients.s3().create_bucket(Bucket=BUCKET)
        yield url
    finally:
        server.stop()
        clients.reset()


@contextmanager
def emulator() -> Iterator[DynamoDBLocal]:
    """A DynamoDB Local of its own (in memory), the app's clients pointed at it."""
    from chalicelib import clients, db
    with DynamoDBLocal(jvm_args=DDB_JVM_ARGS) as ddb:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = ddb.endpoint_url
        clients.reset()
        db._bound["table"] = None
        yield ddb
    db._bound["table"] = None
    clients.reset()


def tables(name: str) -> None:
    """Point the app at table ``name`` (and its siblings), create them, and write the
    professionals table's first stream record now (before any other table's)."""
    from chalicelib import db
    from chalicelib.imports.jobs import table_name as imports_table
    from chalicelib.settings import get_settings
    from infra import resources
    os.environ["TABLE_NAME"] = name
    db._bound["table"] = None
    resources.create_app_tables()
    settings = get_settings()
    TALLY.roles.update({settings.table_name: "professionals", imports_table(): "imports",
                        settings.search_table_name: "search",
                        settings.idempotency_table_name: "idempotency"})
    db.mark_ready()


def warm_up(tag: str) -> None:
    """Two unmeasured bulks on a table of their own (the JVM's first transactions run ~2x slower)
    created after the measured ones wrote their first stream record."""
    from chalicelib.bulk import bulk_upsert
    measured = os.environ["TABLE_NAME"]
    tables(f"bench-imports-warm-{tag}")
    bulk_upsert(new_rows("w" + tag, 0, 1000), STAFF)
    bulk_upsert(new_rows("v" + tag, 0, 1000), STAFF)
    tables(measured)


# --- data --------------------------------------------------------------------------------------

def _staff():
    from chalicelib.auth import Caller
    return Caller(role="staff", name="ops", key_id="bench")


STAFF = None  # set in main (chalicelib imported after the environment is set)


def phone(n: int) -> str:
    return f"+1628{2_000_000 + n:07d}"  # 628-200-0000 up: valid US numbers, unique per n


def new_rows(tag: str, start: int, count: int) -> list[dict[str, str]]:
    from bulk_cost import new_rows as bulk_rows
    return bulk_rows(tag, start, count)


def job_rows(tag: str, count: int) -> Iterator[dict[str, str]]:
    for i in range(count):
        yield {"full_name": f"Import {tag} {i}", "email": f"import-{tag}-{i}@example.com",
               "phone": phone(i) if i % PHONE_EVERY == 0 else "", "company_name": "Bench Co",
               "job_title": "Engineer"}


def csv_bytes(tag: str, count: int) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, ["full_name", "email", "phone", "company_name", "job_title"],
                            lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(job_rows(tag, count))
    return out.getvalue().encode("utf-8")


# --- the job, through the queue ---------------------------------------------------------------

def run_job(rows: int, invocation_seconds: float, jvm: int) -> dict:
    from chalicelib import clients
    from chalicelib.imports import api, jobs
    from infra.local import import_worker
    from infra.local.sqs_worker import Worker

    tag = uuid.uuid4().hex[:6]
    queue_url = clients.sqs().create_queue(QueueName=f"bench-imports-{tag}", Attributes={
        "VisibilityTimeout": str(int(invocation_seconds) + 60)})["QueueUrl"]
    os.environ["IMPORT_QUEUE_URL"] = queue_url
    os.environ["IMPORT_TIME_BUDGET_SECONDS"] = str(invocation_seconds)
    data = csv_bytes(tag, rows)
    job = api.create({"format": "csv", "dry_run": False}, STAFF)
    clients.s3().put_object(Bucket=BUCKET, Key=job["upload"]["key"], Body=data)
    # What S3's notification would send (the local stack's bucket notifies the queue).
    clients.sqs().send_message(QueueUrl=queue_url, MessageBody=json.dumps({"Records": [{
        "eventSource": "aws:s3", "eventName": "ObjectCreated:Post",
        "s3": {"bucket": {"name": BUCKET}, "object": {"key": job["upload"]["key"],
                                                      "size": len(data)}}}]}))
    worker = Worker(queue_url, region="us-east-1", batch_size=1,
                    find=import_worker.find_handler)
    worker.find = lambda handler=import_worker.find_handler(): handler  # looked up once
    COUNTER.reset()
    TALLY.reset()
    invocations = looks = 0
    began, java = time.perf_counter(), process_cpu_seconds(jvm)
    while True:
        with redirect_stdout(io.StringIO()):  # the worker's metrics (EMF lines on stdout)
            invocations += worker.poll_once(wait_seconds=1)
        state = jobs.get(job["id"])  # the bench's own look: taken off the counts below
        looks += 1
        print(f"  job {rows:,}: {state.status}, {state.rows_done:,} rows done, "
              f"{time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
        if state.status in jobs.FINAL:
            break
    wall, java = time.perf_counter() - began, process_cpu_seconds(jvm) - java
    counts = COUNTER.snapshot()
    counts["GetItem"] -= looks
    by_table = Counter(TALLY.requests)
    by_table[("imports", "GetItem")] -= looks
    return {"rows": rows, "tag": tag, "wall": wall, "java": java, "status": state.status,
            "summary": state.summary, "chunks": state.checkpoint, "invocations": invocations,
            "counts": counts, "total": sum(counts.values()),
            "by_table": +by_table, "items": Counter(TALLY.items),
            "phones": len(range(0, rows, PHONE_EVERY))}


# --- DynamoDB Local's cap for the same items ---------------------------------------------------

def items_for(tag: str, rows: int) -> list[dict]:
    """The items a new row writes, as bulk writes them (professionals.new_item, guards)."""
    from chalicelib import validation
    from chalicelib.models import GuardItem, guard_pk
    from chalicelib.professionals import UNIQUE_FIELDS, new_item
    out = []
    for row in job_rows(tag, rows):
        fields = validation.clean({k: v for k, v in row.items() if v}, mode=validation.BULK,
                                  default_region="US")
        item = new_item(fields, source="internal", caller=STAFF)
        out.append(item.serialize())
        for field in UNIQUE_FIELDS:
            if getattr(item, field):
                out.append(GuardItem(pk=guard_pk(field, getattr(item, field)),
                                     owner_id=item.id).serialize())
    return out


def cap_rate(rows: int, jvm: int, *, transact: bool = False, threads: int = 4) -> dict:
    """Rows/s DynamoDB Local allows for a row's items: 25-item BatchWriteItem (the cap), or
    with ``transact`` 100-action TransactWriteItems of the same items with bulk's conditions
    (the floor of any writer that keeps bulk's guarantees); + the 2 checkpoints a chunk."""
    from chalicelib import clients
    from chalicelib.imports.jobs import table_name as imports_table
    from chalicelib.settings import get_settings
    table = get_settings().table_name
    items = items_for(uuid.uuid4().hex[:6], rows)
    size = 100 if transact else 25
    batches = [items[i:i + size] for i in range(0, len(items), size)]
    ddb = clients.dynamodb()
    chunks = -(-rows // 1000)
    job_key = {"id": {"S": f"bench-cap-{uuid.uuid4().hex}"}}
    ddb.put_item(TableName=imports_table(), Item={**job_key, "checkpoint": {"N": "0"}})

    def write(batch: list[dict]) -> None:
        if transact:
            ddb.transact_write_items(TransactItems=[{"Put": {
                "TableName": table, "Item": item,
                "ConditionExpression": "attribute_not_exists(pk)"}} for item in batch])
            return
        request = {table: [{"PutRequest": {"Item": item}} for item in batch]}
        while request:
            request = ddb.batch_write_item(RequestItems=request).get("UnprocessedItems")

    began, java = time.perf_counter(), process_cpu_seconds(jvm)
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(write, batches))
    for n in range(2 * chunks):  # begin_chunk + record_chunk, each an UpdateItem
        ddb.update_item(TableName=imports_table(), Key=job_key,
                        UpdateExpression="SET checkpoint = :n",
                        ExpressionAttributeValues={":n": {"N": str(n)}})
    wall, java = time.perf_counter() - began, process_cpu_seconds(jvm) - java
    return {"rows": rows, "items": len(items), "wall": wall, "java": java,
            "rows_per_s": rows / wall, "items_per_s": len(items) / wall,
            "java_us_item": 1e6 * java / len(items)}


# --- the 1,000-row bulk -----------------------------------------------------------------------

def bulk_runs(runs: int, jvm: int) -> list[dict]:
    from chalicelib import db
    from chalicelib.bulk import bulk_upsert
    run = uuid.uuid4().hex[:6]
    names = [f"bench-imports-bulk-{run}-{k}" for k in range(runs)]
    for name in names:  # every table's first stream record before the warm-up's
        tables(name)
    warm_up(run)
    spent = {"BatchGetItem": 0.0, "TransactWriteItems": 0.0}
    real = {"BatchGetItem": db.batch_get, "TransactWriteItems": db.transact}

    def timed(op: str):
        def call(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return real[op](*args, **kwargs)
            finally:
                spent[op] += time.perf_counter() - began
        return call

    out = []
    db.batch_get, db.transact = timed("BatchGetItem"), timed("TransactWriteItems")
    try:
        for k, name in enumerate(names):
            tables(name)
            rows = new_rows(f"b{run}{k}", 0, 1000)
            for op in spent:
                spent[op] = 0.0
            COUNTER.reset()
            began, java, cpu = time.perf_counter(), process_cpu_seconds(jvm), time.process_time()
            result = bulk_upsert(rows, STAFF)
            wall = time.perf_counter() - began
            java, cpu = process_cpu_seconds(jvm) - java, time.process_time() - cpu
            assert result["summary"]["created"] == 1000, result["summary"]
            counts = COUNTER.snapshot()
            out.append({"wall": wall, "java": java, "cpu": cpu, "counts": counts,
                        "total": sum(counts.values()), **dict(spent)})
            print(f"  bulk {k + 1}/{runs}: {wall:.2f} s", file=sys.stderr, flush=True)
    finally:
        db.batch_get, db.transact = real["BatchGetItem"], real["TransactWriteItems"]
    return out


# --- report ------------------------------------------------------------------------------------

def main() -> int:
    global STAFF
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000,100000",
                        help="job sizes, comma-separated (default 10000,100000)")
    parser.add_argument("--bulk-runs", type=int, default=5,
                        help="1,000-row bulks, each on a fresh table (default 5)")
    parser.add_argument("--cap-rows", type=int, default=20000,
                        help="rows' worth of items written for the cap (default 20000)")
    parser.add_argument("--invocation-seconds", type=float, default=180,
                        help="each invocation's time (IMPORT_TIME_BUDGET_SECONDS; the worker "
                             "keeps 120 s in reserve; default 180: a minute of chunks each)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.rows.split(",") if s]
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    STAFF = _staff()

    jobs_done, cap, bulks = [], None, []
    with moto_server():
        for rows in sizes:
            with emulator() as ddb:
                print(f"job of {rows:,} rows: DynamoDB Local at {ddb.endpoint_url}",
                      file=sys.stderr, flush=True)
                tables(f"bench-imports-job-{uuid.uuid4().hex[:6]}")
                warm_up(uuid.uuid4().hex[:6])
                jobs_done.append(run_job(rows, args.invocation_seconds, ddb.pid))
        with emulator() as ddb:
            print(f"cap: {args.cap_rows:,} rows' items by BatchWriteItem", file=sys.stderr,
                  flush=True)
            tables(f"bench-imports-cap-{uuid.uuid4().hex[:6]}")
            warm_up(uuid.uuid4().hex[:6])
            cap = cap_rate(args.cap_rows, ddb.pid)
        with emulator() as ddb:
            print(f"transactional floor: {args.cap_rows:,} rows' items by TransactWriteItems",
                  file=sys.stderr, flush=True)
            tables(f"bench-imports-tx-{uuid.uuid4().hex[:6]}")
            warm_up(uuid.uuid4().hex[:6])
            floor_tx = cap_rate(args.cap_rows, ddb.pid, transact=True)
        with emulator() as ddb:
            print(f"bulk: {args.bulk_runs} x 1,000 new rows", file=sys.stderr, flush=True)
            bulks = bulk_runs(args.bulk_runs, ddb.pid)
    load = os.getloadavg()

    # Jobs
    print(f"Import jobs end to end on DynamoDB Local (stream on) + moto S3/SQS, through the "
          f"queue and app.process_imports (load average {load[0]:.2f} / {load[1]:.2f} / "
          f"{load[2]:.2f})")
    table = []
    for j in jobs_done:
        items_per_row = sum(j["items"].values()) / j["rows"]
        table.append([f"{j['rows']:,} rows", j["status"], j["chunks"], j["invocations"],
                      round(j["wall"], 1), round(j["rows"] / j["wall"], 1), j["total"],
                      round(j["total"] / j["rows"], 4), round(items_per_row, 3),
                      round(1000 * j["java"] / j["rows"], 3),
                      ", ".join(f"{k}={v}" for k, v in j["summary"].items())])
    print(format_table(["job", "status", "chunks", "invocations", "wall s", "rows/s",
                        "requests", "req/row", "items written/row",
                        "DynamoDB Local CPU ms/row", "summary"], table))
    print("\nDynamoDB requests per row, by table and operation (HTTP requests: "
          + "; ".join(f"{j['rows']:,} rows: {ops_text(j['counts'])}" for j in jobs_done) + ")")
    keys = sorted({k for j in jobs_done for k in j["by_table"]})
    print(format_table(["table", "operation", *[f"{j['rows']:,} rows: req/row"
                                                for j in jobs_done],
                        *[f"{j['rows']:,}: requests" for j in jobs_done]],
                       [[t, op, *[round(j["by_table"][(t, op)] / j["rows"], 5)
                                  for j in jobs_done],
                         *[j["by_table"][(t, op)] for j in jobs_done]] for t, op in keys]))
    print("items written per row by table: " + "; ".join(
        f"{j['rows']:,} rows: " + ", ".join(f"{t}={n / j['rows']:.4f}"
                                            for t, n in sorted(j["items"].items()))
        for j in jobs_done))

    # Cap
    print(f"\nDynamoDB Local's cap: {cap['items']:,} items ({cap['rows']:,} rows' professional "
          f"+ guards, a phone on every {PHONE_EVERY}rd row) by 25-item BatchWriteItem from 4 "
          f"threads into a fresh table with the stream on, + 2 UpdateItem checkpoints a "
          f"1,000 rows: {cap['wall']:.1f} s = {cap['items_per_s']:.0f} items/s = "
          f"{cap['rows_per_s']:.0f} rows/s ({cap['java_us_item']:.0f} us of its CPU an item)")
    print(f"The same items by 100-action TransactWriteItems (conditional puts, 4 threads; the "
          f"floor of a writer that keeps bulk's guarantees): {floor_tx['wall']:.1f} s = "
          f"{floor_tx['items_per_s']:.0f} items/s = {floor_tx['rows_per_s']:.0f} rows/s "
          f"({floor_tx['java_us_item']:.0f} us of its CPU an item, "
          f"{floor_tx['java_us_item'] / cap['java_us_item']:.2f}x BatchWriteItem's)")
    ratios = []
    rows_table = []
    for j in jobs_done:
        floor = j["rows"] / cap["rows_per_s"]
        ratio = j["wall"] / floor
        ratios.append(ratio)
        tx = j["rows"] / floor_tx["rows_per_s"]
        rows_table.append([f"{j['rows']:,} rows", round(j["wall"], 1), round(floor, 1),
                           round(ratio, 2), f"<= {BUDGET_CAP_RATIO}" if j["rows"] >= BUDGET_ROWS
                           else "-", round(tx, 1), round(j["wall"] / tx, 2)])
    print(format_table(["job", "wall s", "cap s (same rows)", "job / cap", "budget",
                        "transactional floor s", "job / floor"], rows_table))

    # Bulk
    walls = [b["wall"] for b in bulks]
    p50 = median(walls)
    print(f"\n1,000-row bulk (bulk_cost.py's (a): email + phone each), stream on, "
          f"{len(bulks)} runs, each on a fresh table: p50 {p50:.2f} s (target < "
          f"{BULK_TARGET_SECONDS:.0f} s)")
    print(format_table(
        ["run", "wall s", "BatchGetItem s", "TransactWriteItems s", "DynamoDB Local CPU s",
         "bench CPU s", "requests", "by operation"],
        [[k + 1, round(b["wall"], 3), round(b["BatchGetItem"], 3),
          round(b["TransactWriteItems"], 3), round(b["java"], 2), round(b["cpu"], 2),
          b["total"], ops_text(b["counts"])] for k, b in enumerate(bulks)]))

    # Budgets
    verdicts, ok = [], True
    for j in jobs_done:
        per_row = j["total"] / j["rows"]
        holds = per_row <= BUDGET_REQUESTS_PER_ROW and j["status"] == "done" \
            and j["summary"]["created"] == j["rows"]
        ok &= holds
        verdicts.append(f"{j['rows']:,} rows: {per_row:.4f} requests/row <= "
                        f"{BUDGET_REQUESTS_PER_ROW} ({j['summary']['created']:,} created): "
                        f"{'HOLDS' if holds else 'BROKEN'}")
    for j, ratio in zip(jobs_done, ratios):
        if j["rows"] < BUDGET_ROWS:
            continue
        holds = j["wall"] <= BUDGET_SECONDS * j["rows"] / BUDGET_ROWS or ratio <= BUDGET_CAP_RATIO
        ok &= holds
        verdicts.append(f"{j['rows']:,} rows in {j['wall']:.0f} s (<= {BUDGET_SECONDS} s) or "
                        f"{ratio:.2f}x the cap (<= {BUDGET_CAP_RATIO}x): "
                        f"{'HOLDS' if holds else 'BROKEN'}")
    if not any(j["rows"] >= BUDGET_ROWS for j in jobs_done):
        verdicts.append(f"no job of {BUDGET_ROWS:,} rows: the time budget was not checked")

    summary = []
    for j, ratio in zip(jobs_done, ratios):
        summary.append(headline(
            f"import job {j['rows']:,} new rows: wall (DynamoDB Local)",
            f"{j['wall']:.0f} s ({j['rows'] / j['wall']:.0f} rows/s)",
            f"cap {j['rows'] / cap['rows_per_s']:.0f} s ({cap['rows_per_s']:.0f} rows/s); "
            f"the same items by transactions alone {j['rows'] / floor_tx['rows_per_s']:.0f} s",
            f"{ratio:.2f}x the cap",
            f"<= {BUDGET_SECONDS} s or <= {BUDGET_CAP_RATIO}x cap: "
            + ("ok" if j["wall"] <= BUDGET_SECONDS or ratio <= BUDGET_CAP_RATIO else "BROKEN")
            if j["rows"] >= BUDGET_ROWS else "-",
            rows=j["rows"], seconds=j["wall"], cap_rows_per_s=cap["rows_per_s"], cap_ratio=ratio,
            transact_rows_per_s=floor_tx["rows_per_s"]))
        summary.append(headline(
            f"import job {j['rows']:,} new rows: DynamoDB requests/row",
            f"{j['total'] / j['rows']:.4f} ({j['total']} requests)", "-", "-",
            f"<= {BUDGET_REQUESTS_PER_ROW}: "
            + ("ok" if j["total"] / j["rows"] <= BUDGET_REQUESTS_PER_ROW else "BROKEN"),
            requests=j["total"], rows=j["rows"]))
    summary.append(headline(
        "bulk 1,000 new rows, stream on: wall p50 (DynamoDB Local)", f"{p50:.2f} s",
        f"DynamoDB Local CPU {median(b['java'] for b in bulks):.2f} s", "-",
        f"< {BULK_TARGET_SECONDS:.0f} s: " + ("ok" if p50 < BULK_TARGET_SECONDS
                                               else "not reached (reported)"),
        seconds=p50, runs=walls))
    write_summary(summary, f"jobs of {', '.join(f'{n:,}' for n in sizes)} rows, cap "
                  f"{args.cap_rows:,} rows, {len(bulks)} bulks, "
                  f"{args.invocation_seconds:.0f} s invocations")
    print("\nBUDGETS " + ("OK" if ok else "BROKEN") + ": " + "; ".join(verdicts))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
