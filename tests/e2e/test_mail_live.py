"""Mail on the running local stack (moto server's SES, LocalStack's SES): an anonymous sign-up's
confirmation mail found through the stack's own viewer (``/_local/mail``), its link opening the
app and exchanged for a session; an access link for a registered address only."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import get_json, unique_email, wait_until

pytestmark = pytest.mark.e2e


def mails_to(stack, address: str) -> list[dict]:
    status, outbox = get_json(f"{stack.url}/_local/mail.json")
    assert status == 200 and outbox["messages"] is not None, outbox
    return [m for m in outbox["messages"] if address in m["to"]]


def test_a_sign_up_mails_a_confirmation_link_that_opens_a_session(stack, http):
    address = unique_email("mail")
    response = http.post(f"{stack.api}/professionals", json={
        "full_name": "Mail Person", "email": address, "consent": True})
    assert response.status_code == 201, response.text
    pid = response.json()["id"]

    (mail,) = wait_until(lambda: mails_to(stack, address), timeout=30) or [None]
    assert mail is not None, stack.log_tail()
    assert mail["subject"] == "Confirm your email address"
    assert mail["source"] == stack.env["MAIL_FROM"]
    (link,) = mail["links"]
    assert link.startswith(f"{stack.url}/me?token=")
    # The terminal says it too: recipient, subject, link.
    assert link in stack.wait_for_log(f"mail to {address}")

    page = http.get(link)  # the SPA's /me page (a client route): index.html
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    viewer = http.get(f"{stack.url}/_local/mail")
    assert viewer.status_code == 200 and f'href="{link}"' in viewer.text

    token = link.split("token=", 1)[1]
    session = http.post(f"{stack.api}/sessions", json={"token": token})
    assert session.status_code == 200, session.text
    assert session.json()["professional"]["id"] == pid
    assert session.json()["professional"]["email_verified"] is True


def test_an_access_link_is_mailed_to_a_registered_address_and_to_nobody_else(stack, http):
    registered, stranger = unique_email("known"), unique_email("stranger")
    assert http.post(f"{stack.api}/professionals", headers={"X-Api-Key": stack.keys["staff"]},
                     json={"full_name": "Known", "email": registered}).status_code == 201
    for address in (stranger, registered):
        answer = http.post(f"{stack.api}/access-links", json={"email": address})
        assert answer.status_code == 202 and answer.json() == {"status": "sent"}
    (mail,) = wait_until(lambda: mails_to(stack, registered), timeout=30) or [None]
    assert mail is not None and mail["subject"] == "Your link to see and manage your details"
    # Both events went through the same worker, in order: the stranger's is done by now.
    assert mails_to(stack, stranger) == []
