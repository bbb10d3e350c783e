"""Self-service on the running local stack, both emulators: the mailed link opens a session, the
person corrects and erases their record (search, the list and the look-up then no longer show
them, their token opens nothing, the address can sign up again), and the 30-day purge erases an
unconfirmed sign-up (run from here against the stack's own table, 31 days on)."""
from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from tests.e2e.conftest import unique_email, wait_until
from tests.e2e.test_mail_live import mails_to
from tests.e2e.test_search_live import FRESH, found_within, settle, staff

pytestmark = pytest.mark.e2e


def sign_up(stack, http, name: str, address: str) -> dict:
    response = http.post(f"{stack.api}/professionals", timeout=30, json={
        "full_name": name, "email": address, "consent": True})
    assert response.status_code == 201, response.text
    return response.json()


def link_token(stack, address: str, subject: str = "Confirm your email address") -> str:
    mails = wait_until(lambda: [m for m in mails_to(stack, address) if m["subject"] == subject],
                       timeout=30)
    assert mails, stack.log_tail()
    (link,) = mails[-1]["links"]
    return link.split("token=", 1)[1]


def test_the_person_opens_the_link_corrects_and_erases_their_record(stack, http):
    settle(stack, http)
    tag = f"zq{secrets.token_hex(4)}"
    address = unique_email(tag)
    person = sign_up(stack, http, f"Self {tag.capitalize()}", address)
    session = http.post(f"{stack.api}/sessions", timeout=30,
                        json={"token": link_token(stack, address)})
    assert session.status_code == 200, session.text
    bearer = {"Authorization": f"Bearer {session.json()['access_token']}"}
    own = f"{stack.api}/professionals/{person['id']}"

    renamed = f"Renamed {tag}x"
    patched = http.patch(own, headers=bearer, timeout=30, json={"full_name": renamed,
                                                                "job_title": "Engineer"})
    assert patched.status_code == 200 and patched.json()["email_verified"] is True, patched.text
    assert found_within(stack, http, f"{tag}x", lambda items: [i["id"] for i in items]
                        == [person["id"]], FRESH) is not None
    refused = http.patch(own, headers=bearer, timeout=30, json={"source": "internal"})
    assert refused.status_code == 400 and "source" in refused.json()["error"]["details"]["fields"]

    # A new address: unverified, and mailed its own link; the old link opens nothing.
    old_token = link_token(stack, address)
    moved = unique_email(f"{tag}moved")
    changed = http.patch(own, headers=bearer, timeout=30, json={"email": moved})
    assert changed.status_code == 200 and changed.json()["email_verified"] is False
    assert http.post(f"{stack.api}/sessions", json={"token": old_token}).status_code == 400
    assert link_token(stack, moved)

    assert http.delete(own, headers=bearer, timeout=30).status_code == 204
    assert found_within(stack, http, f"{tag}x", lambda items: items == [], FRESH) is not None
    assert http.get(own, headers=bearer, timeout=30).status_code == 401
    assert http.get(own, headers=staff(stack), timeout=30).status_code == 404
    looked_up = http.get(f"{stack.api}/professionals", params={"email": moved},
                         headers=staff(stack), timeout=30)
    assert looked_up.json()["items"] == []
    again = sign_up(stack, http, "Self Again", moved)
    assert again["id"] != person["id"]


def test_the_purge_erases_an_unconfirmed_sign_up_after_30_days(stack, http, monkeypatch):
    from chalicelib import clients, clock, db, purge
    tag = f"zp{secrets.token_hex(4)}"
    kept_address, gone_address = unique_email(f"{tag}kept"), unique_email(f"{tag}gone")
    kept = sign_up(stack, http, f"Kept {tag}", kept_address)
    assert http.post(f"{stack.api}/sessions",
                     json={"token": link_token(stack, kept_address)}).status_code == 200
    gone = sign_up(stack, http, f"Gone {tag}", gone_address)

    # The stack's own table and bucket, from this process, 31 days on.
    for name, value in stack.env.items():
        monkeypatch.setenv(name, value)
    db._bound["table"] = None
    clients.reset()
    later = clock.now() + timedelta(days=31)
    due = wait_until(lambda: [i.id for i in purge.due(later) if i.id in (kept["id"], gone["id"])],
                     timeout=10)  # the index is eventually consistent
    assert due == [gone["id"]]
    # Only this test's sign-up: other tests' records on the shared stack stay.
    real_due = purge.due
    monkeypatch.setattr(purge, "due", lambda now=None: [i for i in real_due(now)
                                                         if i.id == gone["id"]])
    try:
        assert purge.purge_unconfirmed(later) == [gone["id"]]
    finally:
        db._bound["table"] = None
        clients.reset()

    assert http.get(f"{stack.api}/professionals/{gone['id']}", headers=staff(stack),
                    timeout=30).status_code == 404
    assert http.get(f"{stack.api}/professionals/{kept['id']}", headers=staff(stack),
                    timeout=30).status_code == 200
    assert found_within(stack, http, tag, lambda items: [i["id"] for i in items]
                        == [kept["id"]], FRESH) is not None
    assert sign_up(stack, http, "Gone Again", gone_address)["id"] != gone["id"]
