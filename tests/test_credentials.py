"""Credentials that can be taken back (contract 8.1): each attack of issue 18, replayed.

Tokens are bound to the record's creation and its credential generation; proving an unverified
address starts a new generation; a mailed link opens once; a person's token cannot use an
Idempotency-Key. On moto in-process; the mail queue is read back as in test_self_service.
"""
from __future__ import annotations

import json
import time

import pytest

from chalicelib import auth, signing
from tests.invariants import assert_invariants
from tests.test_self_service import (ADA, DESCRIPTOR, bearer, error, mailbox, person,  # noqa: F401
                                     session, stored)

VICTIM = {"full_name": "Victor Tim", "email": "victim@example.com", "consent": True}


def routes(pid: str) -> list[tuple[str, str, dict | None]]:
    return [("GET", f"/professionals/{pid}", None),
            ("PATCH", f"/professionals/{pid}", {"job_title": "Attacker was here"}),
            ("POST", f"/professionals/{pid}/resume", DESCRIPTOR),
            ("DELETE", f"/professionals/{pid}", None)]


def assert_opens_nothing(api, pid: str, token: str) -> None:
    before = stored(pid)
    for method, path, body in routes(pid):
        error(api.call(method, path, who=bearer(token), body=body), 401, "unauthorized")
    after = stored(pid)
    assert (after.version, after.job_title) == (before.version, before.job_title)


def mailed_link(api, mailbox, email: str) -> str:  # noqa: F811
    """A fresh email token for the record holding ``email``, as the mail worker would mint it."""
    from chalicelib import professionals
    return auth.issue_email_token(professionals.find_by("email", email))


# -- pre-hijack ---------------------------------------------------------------------------------

def test_pre_hijack_the_owner_proving_the_address_revokes_the_attackers_token(api, mailbox):
    # The attacker signs up with the victim's address and keeps the 24-hour token.
    attacker = api.call("POST", "/professionals", who=None, body=VICTIM).json
    pid, stolen = attacker["id"], attacker["access_token"]
    assert api.call("GET", f"/professionals/{pid}", who=bearer(stolen)).status_code == 200
    # The owner opens the mailed link and fills in the rest.
    opened = session(api, mailed_link(api, mailbox, "victim@example.com"))
    assert opened.status_code == 200 and opened.json["professional"]["email_verified"] is True
    own = opened.json["access_token"]
    changed = api.call("PATCH", f"/professionals/{pid}", who=bearer(own),
                       body={"phone": "+1 415 555 0199", "job_title": "Nurse"})
    assert changed.status_code == 200
    # The attacker's old token reads nothing, changes nothing, cannot move the email away.
    assert_opens_nothing(api, pid, stolen)
    moved = api.call("PATCH", f"/professionals/{pid}", who=bearer(stolen),
                     body={"email": "attacker@evil.example"})
    error(moved, 401, "unauthorized")
    assert stored(pid).email == "victim@example.com"
    # The owner's token, of the new generation, still works.
    assert api.call("GET", f"/professionals/{pid}", who=bearer(own)).json["phone"] == "+14155550199"
    assert_invariants()


def test_links_minted_before_a_new_generation_open_nothing(api, person, mailbox):
    early = auth.issue_email_token(stored(person["id"]))  # e.g. an access link asked by anyone
    confirm = auth.issue_email_token(stored(person["id"]))
    assert session(api, confirm).status_code == 200  # generation 0 -> 1
    assert stored(person["id"]).credential_generation == 1
    error(session(api, early), 400, "bad_request")


def test_a_verified_address_keeps_its_generation_and_its_tokens(api, person, mailbox):
    first = session(api, auth.issue_email_token(stored(person["id"]))).json["access_token"]
    # A later link (the address is verified already) opens a session without a new generation.
    second = session(api, auth.issue_email_token(stored(person["id"]))).json["access_token"]
    assert stored(person["id"]).credential_generation == 1
    for token in (first, second):
        assert api.call("GET", f"/professionals/{person['id']}", who=bearer(token)).status_code == 200


def test_own_email_change_then_proof_starts_a_new_generation(api, person, mailbox):
    token = session(api, auth.issue_email_token(stored(person["id"]))).json["access_token"]
    assert api.call("PATCH", f"/professionals/{person['id']}", who=bearer(token),
                    body={"email": "ada@new.example"}).status_code == 200
    # Unverified again: the token stays valid until someone proves the new address.
    assert api.call("GET", f"/professionals/{person['id']}", who=bearer(token)).status_code == 200
    renewed = session(api, auth.issue_email_token(stored(person["id"])))
    assert renewed.status_code == 200
    assert_opens_nothing(api, person["id"], token)
    assert api.call("GET", f"/professionals/{person['id']}",
                    who=bearer(renewed.json["access_token"])).status_code == 200


# -- single-use links ---------------------------------------------------------------------------

def test_a_mailed_link_opens_once(api, person, mailbox):
    link = auth.issue_email_token(stored(person["id"]))
    assert session(api, link).status_code == 200
    version = stored(person["id"]).version
    error(session(api, link), 400, "bad_request")  # of the old generation now, and used
    assert stored(person["id"]).version == version
    # A verified address (no new generation): the link's own mark refuses its second use.
    other = auth.issue_email_token(stored(person["id"]))
    assert session(api, other).status_code == 200
    assert "used" in error(session(api, other), 400, "bad_request")["message"]
    assert stored(person["id"]).version == version


def test_a_used_link_marker_expires_with_its_token(api, person, mailbox):
    from chalicelib import db
    from chalicelib.models import UsedLinkItem, used_link_pk
    link = auth.issue_email_token(stored(person["id"]))
    claims = auth.open_email_token(link)
    assert session(api, link).status_code == 200
    marker = db.get(used_link_pk(claims.token_id))
    assert isinstance(marker, UsedLinkItem) and marker.expires_at == claims.expires
    assert claims.expires - time.time() <= auth.EMAIL_TOKEN_TTL_SECONDS


# -- erased, then back --------------------------------------------------------------------------

def test_a_record_recreated_under_the_same_id_is_another_record(api, mailbox):
    body = {"full_name": "Ed Erased", "email": "ed@example.com"}
    keyed = {"Idempotency-Key": "partner-retry-1"}
    first = api.call("POST", "/professionals", who="partner", body=body, headers=keyed)
    assert first.status_code == 201
    pid = first.json["id"]
    # The person asks for a link, opens it, keeps a spare link, and erases themselves.
    spare = auth.issue_email_token(stored(pid))
    token = session(api, auth.issue_email_token(stored(pid))).json["access_token"]
    assert api.call("DELETE", f"/professionals/{pid}", who=bearer(token)).status_code == 204
    # The partner's retry re-creates the same id (the kept answer went with the erasure).
    again = api.call("POST", "/professionals", who="partner", body=body, headers=keyed)
    assert again.status_code == 201 and again.json["id"] == pid
    assert again.headers.get("Idempotent-Replayed") is None
    # Neither the erased person's token nor their unused link opens the new record.
    assert_opens_nothing(api, pid, token)
    error(session(api, spare), 400, "bad_request")
    assert stored(pid).email_verified is False


def test_tokens_from_before_generations_open_nothing(api, person):
    old_style = signing.sign({"sub": person["id"], "exp": int(time.time()) + 3600}, "access-token")
    assert_opens_nothing(api, person["id"], old_style)
    old_link = signing.sign({"sub": person["id"], "ah": auth.address_digest("ada@example.com"),
                             "exp": int(time.time()) + 3600}, "email-token")
    error(session(api, old_link), 400, "bad_request")


def test_a_forged_generation_is_refused(api, person):
    payload = json.loads(signing._unb64(person["access_token"].split(".")[0]))
    forged = signing.sign({**payload, "g": payload["g"] + 1}, "not-the-access-token-purpose")
    assert_opens_nothing(api, person["id"], forged)


# -- Idempotency-Key ----------------------------------------------------------------------------

def test_a_person_token_with_an_idempotency_key_is_400(api, person):
    headers = {"Idempotency-Key": "k-1", "Authorization": bearer(person["access_token"])}
    response = api.client.http.request(
        "POST", "/professionals", headers={"Content-Type": "application/json", **headers},
        body=json.dumps({**ADA, "email": "new@example.com"}).encode())
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["code"] == "bad_request"
    assert api.call("GET", "/professionals?email=new@example.com").json["items"] == []


@pytest.mark.parametrize("who", ["partner", "staff"])
def test_no_kept_response_holds_an_access_token(api, who):
    from chalicelib import clients, idempotency
    from chalicelib.settings import get_settings
    created = api.call("POST", "/professionals", who=who, headers={"Idempotency-Key": "k-2"},
                       body={"full_name": "Kept", "email": f"kept-{who}@example.com"})
    assert created.status_code == 201 and "access_token" not in created.json
    items = clients.dynamodb().scan(TableName=get_settings().idempotency_table_name)["Items"]
    kept = [idempotency._Compressed().from_dict(json.loads(i["data"]["S"])) for i in items
            if "data" in i]
    assert kept and all("access_token" not in json.dumps(k.body) for k in kept)
    replay = api.call("POST", "/professionals", who=who, headers={"Idempotency-Key": "k-2"},
                      body={"full_name": "Kept", "email": f"kept-{who}@example.com"})
    assert replay.headers["Idempotent-Replayed"] == "true" and "access_token" not in replay.json
