"""Issue 18's attacks replayed over HTTP on the running local stack (both emulators), with the
mail read back from the emulator's SES: the pre-hijack, the erased person's credentials after
a partner re-creates the record under the same id, and the per-address mail limit under a burst."""
from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import unique_email, wait_until
from tests.e2e.test_mail_live import mails_to
from tests.e2e.test_search_live import staff
from tests.e2e.test_self_service_live import link_token, sign_up

pytestmark = pytest.mark.e2e

ACCESS_SUBJECT = "Your link to see and manage your details"


def test_pre_hijack_the_owner_confirming_revokes_the_attackers_token(stack, http):
    victim = unique_email(f"victim{secrets.token_hex(3)}")
    attacker = sign_up(stack, http, "Not The Owner", victim)
    stolen = {"Authorization": f"Bearer {attacker['access_token']}"}
    own = f"{stack.api}/professionals/{attacker['id']}"
    assert http.get(own, headers=stolen, timeout=30).status_code == 200

    opened = http.post(f"{stack.api}/sessions", timeout=30,
                       json={"token": link_token(stack, victim)})
    assert opened.status_code == 200, opened.text
    owner = {"Authorization": f"Bearer {opened.json()['access_token']}"}
    filled = http.patch(own, headers=owner, timeout=30, json={"job_title": "Nurse"})
    assert filled.status_code == 200 and filled.json()["email_verified"] is True

    assert http.get(own, headers=stolen, timeout=30).status_code == 401
    moved = http.patch(own, headers=stolen, timeout=30, json={"email": "attacker@evil.example"})
    assert moved.status_code == 401 and moved.json()["error"]["code"] == "unauthorized"
    assert http.delete(own, headers=stolen, timeout=30).status_code == 401
    record = http.get(own, headers=staff(stack), timeout=30).json()
    assert (record["email"], record["job_title"]) == (victim, "Nurse")


def test_an_erased_persons_credentials_do_not_open_a_record_recreated_under_its_id(stack, http):
    address = unique_email(f"erased{secrets.token_hex(3)}")
    body = {"full_name": "Erin Erased", "email": address}
    keyed = {"X-Api-Key": stack.keys["partner"], "Idempotency-Key": secrets.token_hex(8)}
    first = http.post(f"{stack.api}/professionals", headers=keyed, json=body, timeout=30)
    assert first.status_code == 201, first.text
    pid = first.json()["id"]
    # The person asks for links (two: one kept for later), opens one, and erases themselves.
    for _ in range(2):
        assert http.post(f"{stack.api}/access-links", json={"email": address},
                         timeout=30).status_code == 202
    mails = wait_until(lambda: [m for m in mails_to(stack, address)
                                if m["subject"] == ACCESS_SUBJECT][:2] if len(
        mails_to(stack, address)) >= 2 else None, timeout=30)
    assert mails and len(mails) == 2, stack.log_tail()
    spare, used = (m["links"][0].split("token=", 1)[1] for m in mails)
    opened = http.post(f"{stack.api}/sessions", json={"token": used}, timeout=30)
    assert opened.status_code == 200, opened.text
    bearer = {"Authorization": f"Bearer {opened.json()['access_token']}"}
    own = f"{stack.api}/professionals/{pid}"
    assert http.delete(own, headers=bearer, timeout=30).status_code == 204

    again = http.post(f"{stack.api}/professionals", headers=keyed, json=body, timeout=30)
    assert again.status_code == 201 and again.json()["id"] == pid, again.text
    assert "Idempotent-Replayed" not in again.headers
    assert http.get(own, headers=bearer, timeout=30).status_code == 401
    assert http.post(f"{stack.api}/sessions", json={"token": spare},
                     timeout=30).status_code == 400
    assert http.post(f"{stack.api}/sessions", json={"token": used},
                     timeout=30).status_code == 400


def test_a_burst_of_access_links_delivers_five_mails_to_one_address(stack, http):
    tag = secrets.token_hex(3)
    address, other = unique_email(f"burst{tag}"), unique_email(f"calm{tag}")
    for who in (address, other):  # staff-created records: nothing mailed unprompted
        created = http.post(f"{stack.api}/professionals", headers=staff(stack), timeout=30,
                            json={"full_name": "Burst Target", "email": who})
        assert created.status_code == 201, created.text

    def ask(_: int) -> int:
        import requests
        return requests.post(f"{stack.api}/access-links", json={"email": address},
                             timeout=30).status_code

    def suppressed() -> int:  # the local mail worker's line for each suppressed mail
        return sum(f"mail to {address} suppressed" in line for line in stack.log().splitlines())

    before = suppressed()
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(ask, range(8))) == [202] * 8
    assert http.post(f"{stack.api}/access-links", json={"email": other},
                     timeout=30).status_code == 202
    # Every event of the burst was decided: five sent, three suppressed (the worker's lines);
    # another address is unaffected.
    assert wait_until(lambda: suppressed() - before >= 3, timeout=90), stack.log_tail()
    assert wait_until(lambda: mails_to(stack, other), timeout=60), stack.log_tail()
    assert len(mails_to(stack, address)) == 5, stack.log_tail()
