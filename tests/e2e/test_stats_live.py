"""The daily counters on the running local stack: a partner's sign-up, a staff bulk request and a
deletion move today's counters by exactly what they did, within 10 s (the counters' own stream
worker, the bulk route's own count)."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from tests.e2e.conftest import unique_email

pytestmark = pytest.mark.e2e


def today_counts(stack, http) -> dict:
    day = datetime.now(timezone.utc).date().isoformat()
    response = http.get(f"{stack.api}/stats", params={"from": day, "to": day},
                        headers={"X-Api-Key": stack.keys["staff"]})
    assert response.status_code == 200, response.text
    (counts,) = response.json()["days"]
    return counts


def moved(counts: dict) -> dict:
    """The figures this test moves (mail, say, may still come from an earlier test's sign-up)."""
    return {name: counts[name] for name in ("signups", "bulk_rows", "erasures")}


def settled(stack, http) -> dict:
    """Today's counters once earlier tests' events have stopped arriving (1 s without change)."""
    before = today_counts(stack, http)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = today_counts(stack, http)
        if now == before:
            return now
        before = now
    return before


def test_actions_move_todays_counters_exactly(stack, http):
    staff = {"X-Api-Key": stack.keys["staff"]}
    before = settled(stack, http)
    signup = http.post(f"{stack.api}/professionals", headers={"X-Api-Key": stack.keys["partner"]},
                       json={"full_name": "Counted Partner", "email": unique_email("stats")})
    assert signup.status_code == 201, signup.text
    rows = [{"full_name": "Counted One", "email": unique_email("stats")},
            {"email": "not-an-email"}]
    bulk = http.post(f"{stack.api}/professionals/bulk", headers=staff, json=rows)
    assert bulk.status_code == 207, bulk.text
    gone = http.delete(f"{stack.api}/professionals/{signup.json()['id']}", headers=staff)
    assert gone.status_code == 204

    expected = {"signups": {**before["signups"], "partner": before["signups"]["partner"] + 1,
                            "internal": before["signups"]["internal"] + 1},
                "bulk_rows": {**before["bulk_rows"],
                              "created": before["bulk_rows"]["created"] + 1,
                              "failed": before["bulk_rows"]["failed"] + 1},
                "erasures": before["erasures"] + 1}
    deadline = time.monotonic() + 10
    now = moved(today_counts(stack, http))
    while now != expected and time.monotonic() < deadline:
        time.sleep(0.25)
        now = moved(today_counts(stack, http))
    assert now == expected, stack.log_tail()
