"""Over HTTP, with DynamoDB failing: every route answers 503 ``unavailable`` (bulk: 207, the rows
failed ``unavailable``) and nothing is half-written (issue 14). The routes and the verdict are
tests/test_store_faults.py's; there the faults are botocore hooks on moto, here they come over
the wire.

Beside the moto stack run eight more API processes (``python -m infra.local_server``, the
stack's environment), each on a table of its own in the stack's DynamoDB Local (the stack's API
keys copied in), each reaching DynamoDB through a small HTTP proxy. A proxy forwards every request
unchanged and counts its operation (``X-Amz-Target``); told to, it answers one operation from its
n-th call on, every time (botocore retries throttling and server errors, with backoff), with
DynamoDB's own error body: ``ProvisionedThroughputExceededException`` (400) or
``InternalServerError`` (500). Each route is called once cleanly to learn its operations, then
once for every call of every operation, the two errors taking turns (the unit table tries both
on each); the cases are shared out between the processes, whose retries sleep side by side.
"""
from __future__ import annotations

import http.client
import json
import queue
import re
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import boto3
import pytest
import requests

from infra.local.processes import Child
from infra.resources import stage_environment, table_spec
from tests.e2e.stack import stack_env
from tests.test_store_faults import ERRORS, ROUTES, Call, Route, check_case, learn_operations

pytestmark = pytest.mark.e2e
FORWARDED_OUT = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class DynamoDBProxy(ThreadingHTTPServer):
    """DynamoDB's endpoint for the API under test; the same interface as StoreFaults."""

    daemon_threads = True

    def __init__(self, upstream: str, spared: tuple[str, ...] = ()) -> None:
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.upstream = urlsplit(upstream)
        # the daily counters' table: its writes sit beside the answer and never decide it
        # (a failed count is logged and dropped, chalicelib/stats/counters.py), so its calls
        # are passed through, neither counted nor failed; so are the history table's own
        # calls (its Query; a delete's marker rides in the delete's transaction, which is not
        # spared: it is the delete's own call)
        self.spared = tuple(f'"{name}"'.encode() for name in spared)
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.failing: tuple[str, int, str, int] | None = None  # operation, from call, code, status
        self.answered = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def fault_for(self, operation: str) -> tuple[str, int] | None:
        with self.lock:
            self.calls[operation] += 1
            if self.failing and self.failing[0] == operation \
                    and self.calls[operation] >= self.failing[1]:
                self.answered += 1
                return self.failing[2], self.failing[3]
        return None

    def reset(self, failing: tuple[str, int, str, int] | None = None) -> None:
        with self.lock:
            self.calls.clear()
            self.failing = failing
            self.answered = 0


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # botocore keeps its connections alive
    server: DynamoDBProxy

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        operation = (self.headers.get("X-Amz-Target") or "").rsplit(".", 1)[-1]
        spared = operation != "TransactWriteItems" and any(s in body for s in self.server.spared)
        fault = None if spared else self.server.fault_for(operation)
        if fault:
            code, status = fault
            self._answer(status, [("Content-Type", "application/x-amz-json-1.0"),
                                  ("x-amzn-RequestId", "injected")],
                         json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}",
                                     "message": f"injected {code}"}).encode())
            return
        upstream = http.client.HTTPConnection(self.server.upstream.hostname,
                                              self.server.upstream.port, timeout=30)
        try:
            upstream.request("POST", self.path, body, dict(self.headers.items()))
            reply = upstream.getresponse()
            self._answer(reply.status, [(k, v) for k, v in reply.getheaders()
                                        if k.lower() not in FORWARDED_OUT], reply.read())
        finally:
            upstream.close()

    def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002  (quiet)
        pass


@dataclass
class Reply:
    status_code: int
    headers: dict
    body: str
    json: object


class HttpApi:
    """tests/test_store_faults.py's ``api.call`` over HTTP."""

    def __init__(self, base: str, keys: dict[str, str]) -> None:
        self.base = base
        self.keys = keys
        self.session = requests.Session()

    def call(self, method: str, path: str, who: str | None = "staff", body=None) -> Reply:
        headers = {"Content-Type": "application/json"}
        if who and who.startswith("Bearer "):
            headers["Authorization"] = who
        elif who:
            headers["X-Api-Key"] = self.keys[who]
        response = self.session.request(method, self.base + path, headers=headers, timeout=120,
                                        data=None if body is None else json.dumps(body))
        is_json = "json" in response.headers.get("Content-Type", "")
        return Reply(response.status_code, response.headers, response.text,
                     response.json() if response.content and is_json else None)


# Their own copies (learn_operations records each one's operations), and the search, whose index
# table (the stack's, read-only for the API) the stack's stream worker fills.
LIVE_ROUTES = [Route(r.id, r.prepare, r.bulk) for r in ROUTES] + [
    Route("search", lambda api: Call("GET", "/professionals?q=fault"))]
LANES = 8
QUIET = re.compile(r'"message": "store unavailable"')  # the verdicts say it, tracebacks aside


@dataclass
class Lane:
    """One API process on its own table, behind its own proxy."""

    proxy: DynamoDBProxy
    server: Child
    api: HttpApi
    table: str
    ddb: object

    def content(self) -> list[dict]:
        pages = self.ddb.get_paginator("scan").paginate(TableName=self.table, ConsistentRead=True)
        return sorted((i for p in pages for i in p["Items"]), key=lambda i: i["pk"]["S"])


def start_lane(stack, ddb, n: int) -> Lane:
    table = f"{stack.env['TABLE_NAME']}-faults{n}"
    ddb.create_table(**table_spec(table).api_kwargs())
    ddb.get_waiter("table_exists").wait(TableName=table)
    # The stack's API keys and its ready marker (/health), so the same keys work here.
    for page in ddb.get_paginator("scan").paginate(TableName=stack.env["TABLE_NAME"]):
        for item in page["Items"]:
            if item["pk"]["S"].startswith(("KEY#", "META#ready")):
                ddb.put_item(TableName=table, Item=item)
    proxy = DynamoDBProxy(stack.state["endpoints"]["dynamodb"],
                          spared=(stack.env.get("STATS_TABLE_NAME") or f"{table}-stats",
                                  stack.env.get("HISTORY_TABLE_NAME") or f"{table}-history"))
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    env = {**stack_env(), **stage_environment("local"), **stack.env, "TABLE_NAME": table,
           "AWS_ENDPOINT_URL_DYNAMODB": proxy.url, "LOCAL_API_WORKERS": "1"}
    server = Child.start(f"api-faults{n}", [sys.executable, "-m", "infra.local_server", "--fd",
                                            str(listener.fileno())],
                         env=env, pass_fds=(listener.fileno(),), drop=QUIET)
    base = f"http://127.0.0.1:{listener.getsockname()[1]}/api"
    listener.close()
    return Lane(proxy, server, HttpApi(base, stack.keys), table, ddb)


def wait_healthy(lane: Lane, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert lane.server.exited() is None, f"{lane.table}'s API exited"
        try:
            if requests.get(f"{lane.api.base}/health", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, f"{lane.table}'s API never became healthy"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def lanes(stack):
    ddb = boto3.client("dynamodb", endpoint_url=stack.state["endpoints"]["dynamodb"],
                       region_name=stack.env["AWS_DEFAULT_REGION"],
                       aws_access_key_id="test", aws_secret_access_key="test")
    started: list[Lane] = []
    try:
        for n in range(LANES):
            started.append(start_lane(stack, ddb, n))
        for lane in started:
            wait_healthy(lane)
        yield started
    finally:
        for lane in started:
            lane.server.stop()
            lane.proxy.shutdown()
            lane.proxy.server_close()
            ddb.delete_table(TableName=lane.table)


def run_cases(cases: list[tuple], lanes: list[Lane]) -> list[str]:
    """Every case on whichever lane is free; each lane one request at a time."""
    todo: queue.Queue = queue.Queue()
    for case in cases:
        todo.put(case)
    failures: list[str] = []

    def work(lane: Lane) -> None:
        while True:
            try:
                route, operation, nth, (code, status) = todo.get_nowait()
            except queue.Empty:
                return
            try:
                failures.extend(check_case(lane.api, lane.proxy, route, operation, nth, code,
                                           status, content=lane.content))
            except Exception as exc:  # noqa: BLE001  (reported with its case)
                failures.append(f"[{route.id}] {operation} #{nth}+ {code}: {exc!r}")

    threads = [threading.Thread(target=work, args=(lane,)) for lane in lanes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


@pytest.mark.parametrize("stack", ["moto"], indirect=True)
def test_every_route_answers_503_unavailable_over_http_when_dynamodb_fails(lanes):
    failures = []
    for route in LIVE_ROUTES:
        failures += learn_operations(lanes[0].api, lanes[0].proxy, route)
    assert not failures, "\n".join(failures)
    turns: Counter[str] = Counter()
    cases = []
    for route in LIVE_ROUTES:
        for operation, count in sorted(route.operations.items()):
            for nth in range(1, count + 1):
                cases.append((route, operation, nth, ERRORS[turns[operation] % len(ERRORS)]))
                turns[operation] += 1
    # The longest first: bulk retries its rounds (each a BatchGetItem retried by botocore) and
    # the search index's client makes 5 attempts, so those take 10-30 s with the store failing.
    cases.sort(key=lambda case: not (case[0].bulk or case[0].id == "search"))
    failures = run_cases(cases, lanes)
    assert not failures, "\n".join(sorted(failures))
    used = Counter()
    for route in LIVE_ROUTES:
        used.update(route.operations)
    assert {"GetItem", "Query", "BatchGetItem", "TransactWriteItems"} <= set(used), used
    assert all(turns[op] >= len(ERRORS) for op in used), turns  # each error on each operation
