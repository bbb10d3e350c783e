"""Uniqueness under real concurrency, against DynamoDB Local (AWS's own emulator).

moto cannot be used for this: its transactions are not isolated from one another. Threads share
the one botocore client that chalicelib binds, as a warm Lambda container would not, but as a
threaded local server does; botocore clients are thread-safe.

What can be asserted when writers race:

* creates of one e-mail (or one phone, in any format): exactly one wins, every other gets a
  409 naming the winner, and a loser leaves nothing behind (not even its other, free value);
* bulk rows whose e-mail and phone always come in the same pairs: whatever the interleaving,
  one professional per pair, created by exactly one row, updated by every later one, and
  holding the job title of the row that updated it last;
* bulk rows whose pairs cross (e-mail of one person, phone of another): which rows win is
  up to the scheduler, so the test checks what holds for every serial order: no e-mail or
  phone twice, one professional per row reported ``created`` and no other, each professional
  holding only values that rows reported with its id carried, only ``conflict`` or
  ``unavailable`` failures, and the invariant checker clean.
"""
from __future__ import annotations

import threading
import uuid
from collections import Counter, defaultdict
from typing import Any, Callable

import pytest

from chalicelib import db, professionals
from infra import resources
from chalicelib.auth import Caller
from chalicelib.bulk import bulk_upsert
from chalicelib.errors import Conflict
from chalicelib.models import GuardItem, ProfessionalItem
from chalicelib.validation import normalise_email, normalise_phone
from infra.verify import scan_all
from tests.invariants import assert_invariants

pytestmark = pytest.mark.ddblocal

STAFF = Caller(role="staff", name="ops")
STATUSES = {"created", "updated", "unchanged", "failed"}


@pytest.fixture
def ddb_table(dynamodb_local_endpoint, monkeypatch):
    """A new, empty table in DynamoDB Local, bound for this test only."""
    name = f"concurrency-{uuid.uuid4().hex[:8]}"
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local_endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("STAGE", "test")
    monkeypatch.setenv("TABLE_NAME", name)
    db._bound["table"] = None
    resources.create_app_tables()
    db._client()  # build the shared client before the threads do
    yield name
    db._client().delete_table(TableName=name)
    db._bound["table"] = None


def race(count: int, work: Callable[[int], Any]) -> list[tuple[str, Any]]:
    """Run work(0..count-1) on ``count`` threads released together; ("ok", value) or
    ("raised", exception) per thread, in thread order."""
    barrier = threading.Barrier(count)
    outcomes: list[tuple[str, Any]] = [("missing", None)] * count

    def run(n: int) -> None:
        barrier.wait()
        try:
            outcomes[n] = ("ok", work(n))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            outcomes[n] = ("raised", exc)

    threads = [threading.Thread(target=run, args=(n,), name=f"racer-{n}") for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return outcomes


def table_contents() -> tuple[list[ProfessionalItem], dict[str, str]]:
    items = scan_all()
    people = [i for i in items if isinstance(i, ProfessionalItem)]
    guards = {i.pk: i.owner_id for i in items if isinstance(i, GuardItem)}
    return people, guards


def assert_no_duplicates(people: list[ProfessionalItem]) -> None:
    for field in ("email", "phone"):
        values = Counter(getattr(p, field) for p in people if getattr(p, field))
        assert [v for v, n in values.items() if n > 1] == [], f"duplicate {field}"


# -- (a) one value, many creators -----------------------------------------------------------------

PHONE_FORMATS = ["(415) 555-0101", "+1 415 555 0101", "415.555.0101", "+14155550101", "4155550101"]


@pytest.mark.parametrize("shared", ["email", "phone"])
def test_racing_creates_of_one_value_make_one_professional(ddb_table, shared):
    def body(n: int) -> dict:
        if shared == "email":  # the same e-mail, each with a phone of its own
            return {"full_name": f"Racer {n}", "email": "same@example.com",
                    "phone": f"+1 415 200 {1000 + n:04d}"}
        return {"full_name": f"Racer {n}", "email": f"racer{n}@example.com",
                "phone": PHONE_FORMATS[n % len(PHONE_FORMATS)]}

    outcomes = race(20, lambda n: professionals.create(body(n), STAFF))

    winners = [(n, value) for n, (kind, value) in enumerate(outcomes) if kind == "ok"]
    losers = [value for kind, value in outcomes if kind == "raised"]
    assert len(winners) == 1, outcomes
    assert len(losers) == 19 and all(isinstance(exc, Conflict) for exc in losers), losers
    n, winner = winners[0]
    for exc in losers:  # staff see the winner's id
        assert exc.conflicts == [{"field": shared, "id": winner.id}], exc.conflicts

    people, guards = table_contents()
    assert [p.id for p in people] == [winner.id]
    expected = {"email": normalise_email(body(n)["email"]),
                "phone": normalise_phone(body(n)["phone"], "US")}
    assert guards == {f"{f.upper()}#{v}": winner.id for f, v in expected.items()}
    assert (people[0].full_name, people[0].email, people[0].phone) == (
        f"Racer {n}", expected["email"], expected["phone"])
    assert_invariants()


# -- (b) bulk upserts whose rows overlap ---------------------------------------------------------

THREADS, ROWS, STEP = 6, 100, 50  # thread t writes keys STEP*t .. STEP*t+ROWS-1: half shared
KEYS = STEP * (THREADS - 1) + ROWS


def email(k: int, t: int) -> str:
    return f"Person{k}@Example.com" if t % 2 else f"person{k}@example.com"


def phone(k: int, t: int) -> str:
    digits = f"{2000000 + k:07d}"
    return [f"(415) {digits[:3]}-{digits[3:]}", f"+1 415 {digits[:3]} {digits[3:]}",
            f"415.{digits[:3]}.{digits[3:]}"][t % 3]


def pair(row: dict) -> tuple[str, str]:
    return normalise_email(row["email"]), normalise_phone(row["phone"], "US")


def run_bulk_threads(rows_of: Callable[[int], list[dict]]) -> list[list[dict]]:
    rows = [rows_of(t) for t in range(THREADS)]
    outcomes = race(THREADS, lambda t: bulk_upsert(rows[t], STAFF))
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    results = [value["results"] for _, value in outcomes]
    for t, result in enumerate(results):  # one result per row, in order, well formed
        assert [r["index"] for r in result] == list(range(ROWS))
        for r in result:
            assert r["status"] in STATUSES, r
            assert (r["status"] == "failed") == (r["id"] is None) == (r["error"] is not None), r
    return results


def test_bulk_upserts_of_the_same_pairs_make_one_professional_per_pair(ddb_table):
    """Every row carries e-mail k with phone k (formats differ by thread), full name k and its
    thread's job title; rows of neighbouring threads share half their pairs."""
    def rows_of(t: int) -> list[dict]:
        return [{"full_name": f"Person {k}", "email": email(k, t), "phone": phone(k, t),
                 "job_title": f"thread {t}"} for k in range(STEP * t, STEP * t + ROWS)]

    results = run_bulk_threads(rows_of)

    failed = [r for result in results for r in result if r["status"] == "failed"]
    assert failed == [], failed  # no row can conflict, and retries absorb the races
    by_key: dict[int, list[tuple[int, dict]]] = defaultdict(list)
    for t, result in enumerate(results):
        for i, r in enumerate(result):
            by_key[STEP * t + i].append((t, r))

    people, guards = table_contents()
    assert_no_duplicates(people)
    assert len(people) == KEYS == len({p.email for p in people})
    assert len(guards) == 2 * KEYS
    person_of = {p.email: p for p in people}
    for k, rows in by_key.items():
        person = person_of[f"person{k}@example.com"]
        assert person.phone == normalise_phone(phone(k, 0), "US")
        assert person.full_name == f"Person {k}"
        assert {r["id"] for _, r in rows} == {person.id}, (k, rows)
        statuses = sorted(r["status"] for _, r in rows)
        # Threads' job titles differ, so a row that came second always changes something.
        assert statuses == (["created", "updated"] if len(rows) == 2 else ["created"]), (k, rows)
        last = [t for t, r in rows if r["status"] == "updated"] or [rows[0][0]]
        assert person.job_title == f"thread {last[0]}", (k, rows, person.job_title)
        assert person.version == len(rows)
    assert_invariants()


def test_bulk_upserts_of_crossed_pairs_keep_emails_and_phones_unique(ddb_table):
    """Even threads pair e-mail k with phone k, odd threads with phone k^1 (0-1, 2-3, ... swap).
    Depending on the interleaving, a row matches one person by e-mail and another by phone (a
    conflict), or one by phone alone whose holder has another e-mail (a conflict too, contract
    8.5), or by e-mail alone with a free phone (the phone moves): every order of the rows of one
    pair of keys gives at least one of these."""
    def rows_of(t: int) -> list[dict]:
        return [{"full_name": f"Person {k}", "email": email(k, t),
                 "phone": phone(k ^ (t % 2), t), "job_title": f"thread {t}"}
                for k in range(STEP * t, STEP * t + ROWS)]

    rows = [rows_of(t) for t in range(THREADS)]
    results = run_bulk_threads(rows_of)

    people, guards = table_contents()
    assert_no_duplicates(people)
    assert_invariants()
    codes = Counter(r["error"]["code"] for result in results for r in result if r["error"])
    assert set(codes) <= {"conflict", "unavailable"}, codes
    created = [r["id"] for result in results for r in result if r["status"] == "created"]
    assert len(created) == len(set(created)), "one id reported created twice"
    assert {p.id for p in people} == set(created), "a professional no row reports, or a lost one"
    assert len(guards) == sum(bool(p.email) + bool(p.phone) for p in people)

    # Every value a professional holds was carried by a row that reports that professional's id.
    carried: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for t, result in enumerate(results):
        for row, r in zip(rows[t], result):
            if r["id"]:
                e, p = pair(row)
                carried[r["id"]] |= {("email", e), ("phone", p), ("full_name", row["full_name"]),
                                     ("job_title", row["job_title"])}
    for person in people:
        held = {(f, getattr(person, f)) for f in ("email", "phone", "full_name", "job_title")}
        assert held <= carried[person.id], (person.id, held - carried[person.id])
    # Not vacuous: rows did collide, by conflicts or by moving an e-mail or phone.
    pair_created = {r["id"]: pair(row) for t, result in enumerate(results)
                    for row, r in zip(rows[t], result) if r["status"] == "created"}
    moves = sum(r["status"] == "updated" and pair(row) != pair_created[r["id"]]
                for t, result in enumerate(results) for row, r in zip(rows[t], result))
    assert codes["conflict"] + moves > 0, (codes, moves)
