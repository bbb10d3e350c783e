"""A store that fails is a 503 ``unavailable`` on every route (for bulk: 207, the rows failed
``unavailable``), and nothing is half-written (issue 14).

Table-driven, on moto with botocore ``before-call`` hooks on every DynamoDB client the app has
(db's own and the one PynamoDB keeps per model class). Each route is first called once without
faults, counting the DynamoDB operations it makes; then, for every operation and every call of
it (the 1st, the 2nd, ...), the route is called again on fresh data with that call and all later
ones of the same operation answering throttling or a server error. The table's content must be
exactly what it was before the request.
"""
from __future__ import annotations

import itertools
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from chalicelib import db
from tests.invariants import assert_invariants

ERRORS = [("ProvisionedThroughputExceededException", 400), ("InternalServerError", 500)]
TABLE = "professionals-test"


class StoreFaults:
    """Counts every DynamoDB call by operation; fails one operation from its n-th call on."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.failing: tuple[str, int, str, int] | None = None  # operation, from call, code, status
        self.answered = 0
        self.clients = list({id(c): c for c in [db.connection().client] + [
            model._get_connection().connection.client for model in db._MODELS]}.values())
        for client in self.clients:
            client.meta.events.register("before-call.dynamodb", self.hook)

    def hook(self, model, **_: Any):
        operation = model.name
        self.calls[operation] += 1
        if self.failing and self.failing[0] == operation and self.calls[operation] >= self.failing[1]:
            self.answered += 1
            _, _, code, status = self.failing
            return (AWSResponse("https://injected.invalid", status, {}, None),
                    {"Error": {"Code": code, "Message": f"injected {code}"},
                     "ResponseMetadata": {"HTTPStatusCode": status}})
        return None

    def reset(self, failing: tuple[str, int, str, int] | None = None) -> None:
        self.calls.clear()
        self.failing = failing
        self.answered = 0

    def close(self) -> None:
        for client in self.clients:
            client.meta.events.unregister("before-call.dynamodb", self.hook)


@dataclass
class Call:
    method: str
    path: str
    who: str | None = "staff"
    body: Any = None


@dataclass
class Route:
    id: str
    prepare: Callable[[Any], Call]  # makes fresh data (faults off) and returns the request
    bulk: bool = False
    operations: Counter = field(default_factory=Counter)


_numbers = itertools.count(1000)


def person(api) -> dict:
    created = api.call("POST", "/professionals", body={
        "full_name": "Fault Case", "email": fresh_email(),
        "phone": f"+1415555{next(_numbers):04d}", "source": "partner"})
    assert created.status_code == 201, created.body
    return created.json


def fresh_email() -> str:
    return f"{uuid.uuid4().hex[:12]}@example.com"


def signed_up(api) -> dict:
    """An anonymous sign-up: the person's record and their access token, minted by the API
    under test (it holds the signing secret; the running stack's lanes read theirs from the
    stack's Secrets Manager)."""
    created = api.call("POST", "/professionals", who=None, body={
        "full_name": "Fault Case", "email": fresh_email(), "consent": True,
        "phone": f"+1415555{next(_numbers):04d}"})
    assert created.status_code == 201, created.body
    return created.json


def token(person: dict) -> str:
    return f"Bearer {person['access_token']}"


RESUME = {"filename": "cv.pdf", "content_type": "application/pdf", "size_bytes": 2000}

ROUTES = [
    Route("health", lambda api: Call("GET", "/health", who=None)),
    Route("create staff", lambda api: Call("POST", "/professionals",
                                           body={"full_name": "N", "email": fresh_email()})),
    Route("create partner", lambda api: Call("POST", "/professionals", who="partner",
                                             body={"full_name": "N", "email": fresh_email()})),
    Route("create anonymous with resume", lambda api: Call(
        "POST", "/professionals", who=None,
        body={"full_name": "N", "email": fresh_email(), "resume": RESUME, "consent": True})),
    Route("bulk", lambda api: Call("POST", "/professionals/bulk", body=[
        {"email": person(api)["email"], "job_title": "Updated"},
        {"full_name": "B", "email": fresh_email()}, {"full_name": "C", "email": fresh_email()}]),
        bulk=True),
    Route("bulk partner dry run", lambda api: Call("POST", "/professionals/bulk?dry_run=true",
                                                   who="partner", body=[
        {"full_name": "B", "email": fresh_email()}]), bulk=True),
    Route("list", lambda api: Call("GET", "/professionals?limit=2")),
    Route("list by source", lambda api: Call("GET", "/professionals?source=partner")),
    Route("look-up by email", lambda api: Call(
        "GET", f"/professionals?email={person(api)['email']}")),
    Route("look-up by phone", lambda api: Call(
        "GET", f"/professionals?phone={person(api)['phone'].replace('+', '%2B')}")),
    Route("look-up by email and source", lambda api: Call(
        "GET", f"/professionals?email={person(api)['email']}&source=partner")),
    Route("read", lambda api: Call("GET", f"/professionals/{person(api)['id']}")),
    Route("read with token", lambda api: (lambda p: Call(
        "GET", f"/professionals/{p['id']}", who=token(p)))(signed_up(api))),
    Route("patch", lambda api: Call("PATCH", f"/professionals/{person(api)['id']}",
                                    body={"job_title": "CTO", "email": fresh_email()})),
    Route("delete", lambda api: Call("DELETE", f"/professionals/{person(api)['id']}")),
    Route("start resume upload", lambda api: Call(
        "POST", f"/professionals/{person(api)['id']}/resume", body=RESUME)),
    Route("start resume upload with token", lambda api: (lambda p: Call(
        "POST", f"/professionals/{p['id']}/resume", who=token(p), body=RESUME))(signed_up(api))),
    Route("resume download", lambda api: Call("GET", f"/professionals/{person(api)['id']}/resume")),
]


def table_content() -> list[dict]:
    """Every item, read with a client no hook is on."""
    pages = boto3.client("dynamodb").get_paginator("scan").paginate(TableName=TABLE)
    return sorted((item for page in pages for item in page["Items"]), key=lambda i: i["pk"]["S"])


@pytest.fixture
def faults(api, monkeypatch):
    monkeypatch.setattr(db, "backoff", lambda *a, **k: None)  # bounded retries, without sleeping
    api.call("GET", "/professionals")  # every model's connection exists before hooking it
    found = StoreFaults()
    yield found
    found.close()


def send(api, call: Call):
    return api.call(call.method, call.path, who=call.who, body=call.body)


def learn_operations(api, faults: StoreFaults, route: Route) -> list[str]:
    """Calls the route once without faults, recording the DynamoDB operations it makes."""
    call = route.prepare(api)
    faults.reset()
    clean = send(api, call)
    route.operations = Counter(faults.calls)
    if clean.status_code >= 500 or not route.operations:
        return [f"[{route.id}] fault-free: {clean.status_code} after {dict(route.operations)}"]
    return []


def check_case(api, faults: StoreFaults, route: Route, operation: str, nth: int, code: str,
               status: int, content: Callable[[], list[dict]] = table_content) -> list[str]:
    """The route on fresh data, ``operation`` failing from its ``nth`` call on: its problems."""
    call = route.prepare(api)
    faults.reset()
    before = content()
    faults.reset((operation, nth, code, status))
    response = send(api, call)
    answered = faults.answered
    faults.reset()
    # Bulk reads rows with BatchGetItem; its one GetItem is the API key's look-up,
    # before any row: that failure is the whole request's 503.
    per_row = route.bulk and operation != "GetItem"
    return [f"[{route.id}] {operation} #{nth}+ {code}: {problem}"
            for problem in judge(per_row, response, answered, before, content)]


def check_route(api, faults: StoreFaults, route: Route) -> list[str]:
    failures = learn_operations(api, faults, route)
    if failures:
        return failures
    for operation, count in sorted(route.operations.items()):
        for nth in range(1, count + 1):
            for code, status in ERRORS:
                failures += check_case(api, faults, route, operation, nth, code, status)
    return failures


def judge(per_row: bool, response, answered: int, before: list[dict],
          content: Callable[[], list[dict]] = table_content) -> list[str]:
    problems = []
    if answered < 1:
        problems.append("the fault was not on the path")
    if "X-Request-Id" not in response.headers:
        problems.append("no X-Request-Id")
    if per_row:
        rows = (response.json or {}).get("results", [])
        codes = {(r.get("error") or {}).get("code") for r in rows}
        if response.status_code != 207 or not rows or codes != {"unavailable"}:
            problems.append(f"{response.status_code} {response.body[:300]!r}")
    elif response.status_code != 503 or (response.json or {}).get("error", {}).get("code") \
            != "unavailable":
        problems.append(f"{response.status_code} {response.body[:300]!r}")
    if content() != before:
        problems.append("the table changed")
    return problems


def test_every_route_answers_503_unavailable_when_any_of_its_dynamodb_calls_fails(api, faults):
    failures = []
    for route in ROUTES:
        failures += check_route(api, faults, route)
    assert not failures, "\n".join(failures)
    assert_invariants()
    # The table really covers the operations the issue names, Query among them.
    used = Counter()
    for route in ROUTES:
        used.update(route.operations)
    assert {"GetItem", "Query", "BatchGetItem", "TransactWriteItems"} <= set(used), used
    assert {"Query"} <= set(next(r for r in ROUTES if r.id == "look-up by email").operations)
