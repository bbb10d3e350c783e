"""Idempotency-Key over HTTP on the running local stack (both emulators): eight clients send the
same key at once; exactly one request runs, the others get its kept response or a 409, and one
record exists. Then the keys' own spaces and a replayed bulk."""
from __future__ import annotations

import threading

import requests

from tests.e2e.conftest import unique_email


def _post(stack, key, body, path="/professionals", who="partner"):
    return requests.post(f"{stack.api}{path}", json=body, timeout=60,
                         headers={"X-Api-Key": stack.keys[who], "Idempotency-Key": key})


def test_eight_clients_one_key_one_record(stack):
    email = unique_email("race")
    body = {"full_name": "Race Winner", "email": email}
    key = f"race-{email}"
    barrier = threading.Barrier(8)
    answers: list[requests.Response] = []
    lock = threading.Lock()

    def client():
        barrier.wait()
        response = _post(stack, key, body)
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(r.status_code for r in answers)
    assert len(answers) == 8
    assert set(statuses) <= {201, 409}, [r.text for r in answers]
    fresh = [r for r in answers if r.status_code == 201 and "Idempotent-Replayed" not in r.headers]
    assert len(fresh) == 1, [(r.status_code, dict(r.headers)) for r in answers]
    created = fresh[0].json()
    for r in answers:
        if r.status_code == 201:
            assert r.json() == created
        else:
            assert r.json()["error"]["code"] == "idempotency_in_progress"
    found = requests.get(f"{stack.api}/professionals", params={"email": email}, timeout=30,
                         headers={"X-Api-Key": stack.keys["staff"]}).json()["items"]
    assert [p["id"] for p in found] == [created["id"]]
    # after the race, every repeat is the kept response
    again = _post(stack, key, body)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == created


def test_a_bulk_retry_replays_and_a_changed_one_is_refused(stack):
    rows = [{"full_name": f"Bulk {i}", "email": unique_email(f"bulk{i}")} for i in range(20)]
    key = f"bulk-{rows[0]['email']}"
    first = _post(stack, key, rows, path="/professionals/bulk")
    assert first.status_code == 207 and first.json()["summary"]["created"] == 20
    again = _post(stack, key, rows, path="/professionals/bulk")
    assert again.status_code == 207 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    changed = _post(stack, key, rows[:19], path="/professionals/bulk")
    assert changed.status_code == 422
    assert changed.json()["error"]["code"] == "idempotency_key_reused"
    # the staff key has its own key space: the same key runs (the rows are all there already)
    staff = _post(stack, key, rows, path="/professionals/bulk", who="staff")
    assert staff.status_code == 207 and "Idempotent-Replayed" not in staff.headers
    assert staff.json()["summary"] == {"created": 0, "updated": 0, "unchanged": 20, "failed": 0}
