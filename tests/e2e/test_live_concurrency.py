"""Uniqueness under concurrency over HTTP, against the running local stack (both emulators).

The stack serves the API from several processes (infra/local_server.py, like several Lambda
instances), each with its own connection to DynamoDB Local, so these requests really overlap.
At once: 8 bulk requests of 150 to 500 rows, half of each from a pool shared by all of them (in
other letter cases and phone formats, a few with another person's phone), half their own; and
50 creates of one e-mail. Afterwards: no e-mail or phone twice, every row reported exactly once,
every professional the rows created is in the table and no other, the invariant checker clean.
"""
from __future__ import annotations

import random
import secrets
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from chalicelib import db
from chalicelib.models import GuardItem, ProfessionalItem
from infra.verify import find_violations, scan_all

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SIZES = [150, 200, 250, 300, 350, 400, 450, 500]
SHARED = 600     # pool the shared halves are drawn from
CROSSED = 0.04   # share of shared rows carrying their neighbour's phone
CREATES = 50
STATUSES = {"created", "updated", "unchanged", "failed"}


class Plan:
    """Deterministic rows for one run; every value carries the run's tag so nothing else in the
    session's stack (seed data, other tests) is counted."""

    def __init__(self) -> None:
        self.tag = secrets.token_hex(4)
        self.exchange = random.Random(self.tag).randrange(200, 999)
        rng = random.Random(f"rows-{self.tag}")
        own = SHARED
        self.bulks: list[list[dict[str, Any]]] = []
        for t, size in enumerate(SIZES):
            shared = rng.sample(range(SHARED), size // 2)
            mine = list(range(own, own + size - size // 2))
            own += len(mine)
            rows = []
            for k in shared + mine:
                other = k ^ 1 if k < SHARED and rng.random() < CROSSED else k
                rows.append({"full_name": f"Person {k}", "email": self.email(k, t),
                             "phone": self.phone(other, t), "job_title": f"bulk {t}",
                             "company_name": "Live Concurrency"})
            rng.shuffle(rows)
            self.bulks.append(rows)
        self.keys_used = own
        self.race_email = f"race-{self.tag}@live.example.com"

    def email(self, k: int, t: int) -> str:
        return f"Person{k}.{self.tag}@Live.Example.com" if t % 2 else \
            f"person{k}.{self.tag}@live.example.com"

    def phone(self, k: int, t: int) -> str:
        line = f"{k:04d}"
        return [f"(628) {self.exchange}-{line}", f"+1 628 {self.exchange} {line}",
                f"628.{self.exchange}.{line}", f"+1628{self.exchange}{line}",
                f"628{self.exchange}{line}"][t % 5]

    def creator(self, n: int) -> dict[str, Any]:  # phones past every bulk's keys
        return {"full_name": f"Racer {n}", "email": self.race_email.upper() if n % 2 else
                self.race_email, "phone": self.phone(self.keys_used + n, n)}

    def ours(self, person: ProfessionalItem) -> bool:
        return bool(person.email and self.tag in person.email) or bool(
            person.phone and person.phone.startswith(f"+1628{self.exchange}"))


@pytest.fixture
def stack_table(stack, monkeypatch):
    """chalicelib bound to the stack's own table, to read it whole after the race."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for name in ("TABLE_NAME", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(name, stack.env[name])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", stack.env.get("AWS_ACCESS_KEY_ID", "test"))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", stack.env.get("AWS_SECRET_ACCESS_KEY", "test"))
    db._bound["table"] = None
    yield
    db._bound["table"] = None


def test_overlapping_bulks_and_racing_creates_keep_emails_and_phones_unique(stack, stack_table):
    plan = Plan()
    staff = {"X-Api-Key": stack.keys["staff"], "Content-Type": "application/json"}
    jobs = [("bulk", t) for t in range(len(SIZES))] + [("create", n) for n in range(CREATES)]
    barrier = threading.Barrier(len(jobs))
    local = threading.local()

    def send(job: tuple[str, int]) -> requests.Response:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        kind, n = job
        barrier.wait(timeout=60)
        if kind == "bulk":
            return session.post(f"{stack.api}/professionals/bulk", json=plan.bulks[n],
                                headers=staff, timeout=300)
        return session.post(f"{stack.api}/professionals", json=plan.creator(n), headers=staff,
                            timeout=120)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        responses = list(pool.map(send, jobs))
    bulk_responses, create_responses = responses[:len(SIZES)], responses[len(SIZES):]

    # -- every row reported exactly once, well formed ---------------------------------------
    created_ids: list[str] = []
    codes: Counter[str] = Counter()
    for rows, response in zip(plan.bulks, bulk_responses):
        assert response.status_code == 207, response.text[:500]
        body = response.json()
        results = body["results"]
        assert [r["index"] for r in results] == list(range(len(rows)))
        for r in results:
            assert r["status"] in STATUSES, r
            assert (r["status"] == "failed") == (r["id"] is None) == (r["error"] is not None), r
            if r["error"]:
                codes[r["error"]["code"]] += 1
        summary = Counter(r["status"] for r in results)
        assert body["summary"] == {s: summary.get(s, 0) for s in
                                   ("created", "updated", "unchanged", "failed")}
        created_ids += [r["id"] for r in results if r["status"] == "created"]
    # Only a crossed pair can clash; anything else failing must be the bounded-retry outcome.
    assert set(codes) <= {"conflict", "unavailable"}, codes

    # -- 50 creates of one e-mail: one winner, 49 conflicts naming it ------------------------
    statuses = Counter(r.status_code for r in create_responses)
    assert statuses == {201: 1, 409: CREATES - 1}, statuses
    winner = next(r.json() for r in create_responses if r.status_code == 201)
    for response in create_responses:
        if response.status_code == 409:
            error = response.json()["error"]
            assert error["code"] == "conflict"
            assert error["details"]["conflicts"] == [{"field": "email", "id": winner["id"]}]
    created_ids.append(winner["id"])

    # -- the table: one professional per reported create, no value twice, guards consistent --
    items = scan_all()
    people = [i for i in items if isinstance(i, ProfessionalItem) and plan.ours(i)]
    assert len(created_ids) == len(set(created_ids)), "an id reported created twice"
    assert {p.id for p in people} == set(created_ids), "a lost or an unreported professional"
    for field in ("email", "phone"):
        counts = Counter(getattr(p, field) for p in people if getattr(p, field))
        assert [v for v, n in counts.items() if n > 1] == [], f"duplicate {field}"
    guards = [i for i in items if isinstance(i, GuardItem) and i.owner_id in set(created_ids)]
    assert len(guards) == sum(bool(p.email) + bool(p.phone) for p in people)
    assert find_violations() == []
    # The bulks' own halves cannot clash: each made its professional (or reported unavailable).
    assert len(people) >= plan.keys_used - SHARED, (len(people), plan.keys_used)

    # -- and the API agrees: each look-up finds exactly one person ---------------------------
    session = requests.Session()
    for k in random.Random(plan.tag).sample(range(SHARED), 40) + [SHARED, plan.keys_used - 1]:
        email = plan.email(k, 1)  # another letter case than half the rows used
        response = session.get(f"{stack.api}/professionals", params={"email": email},
                               headers=staff, timeout=30)
        assert response.status_code == 200, response.text
        matches = response.json()["items"]
        stored = [p for p in people if p.email == email.lower()]
        assert [m["id"] for m in matches] == [p.id for p in stored], (email, matches)


def test_the_api_runs_in_several_processes(stack):
    """What makes the race above real: the API process has forked its workers (default 4)."""
    api = stack.child_pids()["api"]
    workers = Path(f"/proc/{api}/task/{api}/children").read_text().split()
    assert len(workers) == 4, workers
    for pid in workers:
        assert "infra.local_server" in Path(f"/proc/{pid}/cmdline").read_text()
