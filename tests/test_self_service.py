"""Public sign-up people can trust: consent, proof of address, sessions from the mailed link,
self-service reading, correction and erasure with the access token, and the 30-day purge.

On moto in-process through chalice.test.Client; the mail queue is a real (moto) SQS queue whose
messages the tests read back, so "mails X" means "put X's event on the mail queue".
"""
from __future__ import annotations

import base64
import json
import os
import re
import time
from datetime import timedelta

import pytest

from chalicelib import (auth, clients, clock, consent, purge, resume_processor, signing,
                        validation)
from chalicelib.models import ProfessionalItem, professional_pk
from tests import search_sync
from tests.pdf_corpus import pdf
from tests.invariants import assert_invariants

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ADA = {"full_name": "Ada Lovelace", "email": "Ada@Example.com", "phone": "(415) 555-0123",
       "consent": True}
DESCRIPTOR = {"filename": "cv.pdf", "content_type": "application/pdf", "size_bytes": 1000}


@pytest.fixture
def mailbox(store, monkeypatch):
    """The mail queue (moto SQS): ``mailbox()`` returns and removes the events queued so far."""
    sqs = clients.sqs()
    url = sqs.create_queue(QueueName="professionals-mail-test")["QueueUrl"]
    monkeypatch.setenv("MAIL_QUEUE_URL", url)

    def read() -> list[dict]:
        events = []
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return [{k: e[k] for k in ("kind", "email", "professional_id")} for e in events]
            for message in got:
                events.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    return read


@pytest.fixture
def person(api, mailbox):
    """An anonymous sign-up: its resource (with access_token) and its confirmation mail read."""
    body = api.call("POST", "/professionals", who=None, body=ADA).json
    assert mailbox() == [{"kind": "confirm_address", "email": "ada@example.com",
                          "professional_id": body["id"]}]
    return body


def bearer(token: str) -> str:
    return f"Bearer {token}"


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.json)
    assert response.json["error"]["code"] == code, response.json
    return response.json["error"]


def stored(professional_id: str) -> ProfessionalItem | None:
    from chalicelib import db
    item = db.get(professional_pk(professional_id))
    return item if isinstance(item, ProfessionalItem) else None


def session(api, token: str):
    return api.call("POST", "/sessions", who=None, body={"token": token})


# -- consent and email on sign-up ---------------------------------------------------------------

@pytest.mark.parametrize("value", [None, False, "true", 1, {"version": "x"}])
def test_anonymous_sign_up_needs_consent_true(api, mailbox, value):
    body = {k: v for k, v in ADA.items() if k != "consent"}
    if value is not None:
        body["consent"] = value
    err = error(api.call("POST", "/professionals", who=None, body=body), 400, "validation_error")
    assert "consent" in err["details"]["fields"]
    assert mailbox() == []


def test_anonymous_sign_up_needs_an_email(api, mailbox):
    phone_only = {"full_name": "Ada", "phone": "+14155550123", "consent": True}
    err = error(api.call("POST", "/professionals", who=None, body=phone_only), 400,
                "validation_error")
    assert set(err["details"]["fields"]) == {"email"}
    # Every problem at once: no consent, no email, an unknown field.
    err = error(api.call("POST", "/professionals", who=None,
                         body={"full_name": "Ada", "phone": "+14155550123", "email": "",
                               "nickname": "x"}), 400, "validation_error")
    assert set(err["details"]["fields"]) == {"email", "consent", "nickname"}
    assert mailbox() == []


def test_sign_up_records_consent_unverified_and_mails_a_confirmation(api, person):
    assert person["email_verified"] is False
    assert person["consent"]["version"] == consent.PRIVACY_VERSION
    assert TIMESTAMP.match(person["consent"]["accepted_at"])
    got = api.call("GET", f"/professionals/{person['id']}").json
    assert (got["email_verified"], got["consent"]) == (False, person["consent"])
    item = stored(person["id"])
    assert item.unconfirmed == "signup" and item.confirm_by > item.created_at
    assert_invariants()


def test_partners_and_staff_may_send_consent_and_never_mail(api, mailbox):
    staff = api.call("POST", "/professionals", who="staff",
                     body={"full_name": "S", "phone": "+14155550100", "consent": True}).json
    assert staff["consent"]["version"] == consent.PRIVACY_VERSION
    partner = api.call("POST", "/professionals", who="partner",
                       body={"full_name": "P", "email": "p@example.com", "consent": False}).json
    assert partner["consent"] is None and partner["email_verified"] is False
    plain = api.call("POST", "/professionals", who="staff",
                     body={"full_name": "Q", "email": "q@example.com"}).json
    assert plain["consent"] is None
    err = error(api.call("POST", "/professionals", who="staff",
                         body={"full_name": "R", "email": "r@example.com", "consent": "yes"}),
                400, "validation_error")
    assert set(err["details"]["fields"]) == {"consent"}
    # Not theirs to purge: records from keys carry no unconfirmed deadline.
    assert stored(partner["id"]).unconfirmed is None and stored(plain["id"]).unconfirmed is None
    # A conflict from a key mails nobody either.
    assert api.call("POST", "/professionals", who="partner",
                    body={"full_name": "P", "email": "q@example.com"}).status_code == 409
    assert mailbox() == []


def test_consent_is_not_a_bulk_field(api):
    response = api.call("POST", "/professionals/bulk", who="staff",
                        body=[{"full_name": "B", "email": "b@example.com", "consent": True}])
    result = response.json["results"][0]
    assert result["status"] == "failed"
    assert set(result["error"]["details"]["fields"]) == {"consent"}


def test_records_from_before_read_as_unverified_without_consent(api):
    created = api.call("POST", "/professionals", who="staff",
                       body={"full_name": "Old", "email": "old@example.com"}).json
    item = stored(created["id"])
    item.update(actions=[ProfessionalItem.email_verified.remove(),
                         ProfessionalItem.consent.remove()])
    raw = clients.dynamodb().get_item(TableName=os.environ["TABLE_NAME"],
                                      Key={"pk": {"S": professional_pk(created["id"])}})["Item"]
    assert "email_verified" not in raw and "consent" not in raw
    got = api.call("GET", f"/professionals/{created['id']}").json
    assert (got["email_verified"], got["consent"]) == (False, None)
    listed = api.call("GET", "/professionals").json["items"][0]
    assert (listed["email_verified"], listed["consent"]) == (False, None)


def test_an_anonymous_conflict_on_the_email_mails_its_owner(api, person, mailbox):
    again = api.call("POST", "/professionals", who=None,
                     body={**ADA, "email": "ADA@example.COM", "phone": None})
    assert error(again, 409, "conflict")["details"] == {"conflicts": [{"field": "email"}]}
    assert mailbox() == [{"kind": "signup_attempted", "email": "ada@example.com",
                          "professional_id": None}]
    # A clash on the phone alone is not the address's business.
    phone_clash = api.call("POST", "/professionals", who=None,
                           body={**ADA, "email": "other@example.com"})
    assert error(phone_clash, 409, "conflict")["details"] == {"conflicts": [{"field": "phone"}]}
    assert mailbox() == []


# -- email tokens and sessions ------------------------------------------------------------------

def test_an_email_token_opens_a_session_and_confirms_the_address(api, person):
    token = auth.issue_email_token(stored(person["id"]), "ada@example.com")
    claims = auth.open_email_token(token)
    assert (claims.professional_id, claims.address) == (person["id"],
                                                         auth.address_digest("ada@example.com"))
    assert "ada" not in base64.urlsafe_b64decode(token.split(".")[0] + "==").decode()
    opened = session(api, token)
    assert opened.status_code == 200, opened.json
    assert set(opened.json) == {"access_token", "professional"}
    professional = opened.json["professional"]
    assert professional["id"] == person["id"] and professional["email_verified"] is True
    assert professional["updated_at"] >= person["updated_at"]
    assert "resume_text" not in professional
    # The new access token is the person's: it reads the record.
    got = api.call("GET", f"/professionals/{person['id']}", who=bearer(opened.json["access_token"]))
    assert got.status_code == 200 and got.json["email_verified"] is True
    item = stored(person["id"])
    assert item.unconfirmed is None and item.confirm_by is None  # out of the purge's index
    # A link opens once: the second use is a 400 and writes nothing more.
    error(session(api, token), 400, "bad_request")
    assert stored(person["id"]).version == item.version
    assert_invariants()


def _tampered(token: str) -> str:
    body, mac = token.split(".")
    payload = json.loads(signing._unb64(body))
    payload["sub"] = "0" * 32
    return f"{signing._b64(json.dumps(payload).encode())}.{mac}"


@pytest.mark.parametrize("kind", ["forged", "tampered", "expired", "access_token", "cursor",
                                  "garbage", "empty_payload", "no_email"])
def test_bad_email_tokens_are_400_and_open_nothing(api, person, kind):
    good = auth.issue_email_token(stored(person["id"]), "ada@example.com")
    token = {
        "forged": good.split(".")[0] + ".AAAA",
        "tampered": _tampered(good),
        "expired": signing.sign({"sub": person["id"], "email": "ada@example.com",
                                 "exp": int(time.time()) - 1}, "email-token"),
        "access_token": person["access_token"],
        "cursor": signing.cursor({"source": None}, "x", "list-cursor"),
        "garbage": "not a token at all \u00e9\u2603",
        "empty_payload": signing.sign({}, "email-token"),
        "no_email": signing.sign({"sub": person["id"], "exp": int(time.time()) + 60},
                                 "email-token"),
    }[kind]
    error(session(api, token), 400, "bad_request")
    assert stored(person["id"]).email_verified is False


@pytest.mark.parametrize("body", [{}, {"token": None}, {"token": 5}, {"token": ""}, [],
                                  "token", {"token": "x", "email": "a@b.c"}])
def test_malformed_session_bodies_are_validation_errors(api, body):
    error(api.call("POST", "/sessions", who=None, body=body), 400, "validation_error")


def test_session_media_type_and_query(api):
    bad = api.call("POST", "/sessions", who=None, raw=b"token=x",
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    error(bad, 415, "unsupported_media_type")
    error(api.call("POST", "/sessions?x=1", who=None, body={"token": "x"}), 400, "bad_request")
    error(api.call("POST", "/sessions", who=None, raw=b"{"), 400, "bad_request")


def test_an_email_token_is_not_an_access_token(api, person):
    email_token = auth.issue_email_token(stored(person["id"]), "ada@example.com")
    for method, path in (("GET", ""), ("DELETE", "")):
        error(api.call(method, f"/professionals/{person['id']}{path}", who=bearer(email_token)),
              401, "unauthorized")


@pytest.mark.parametrize("kind", ["expired", "tampered", "email_token", "garbage", "no_scheme"])
def test_bad_access_tokens_are_401_on_the_persons_routes(api, person, kind):
    header = {
        "expired": bearer(signing.sign({"sub": person["id"], "exp": int(time.time()) - 1},
                                       "access-token")),
        "tampered": bearer(_tampered(person["access_token"])),
        "email_token": bearer(auth.issue_email_token(stored(person["id"]), "ada@example.com")),
        "garbage": "Bearer \u00e9t\u00e9.\u2603",
        "no_scheme": person["access_token"],
    }[kind]
    for method, body in (("GET", None), ("PATCH", {"job_title": "x"}), ("DELETE", None)):
        response = api.client.http.request(
            method, f"/professionals/{person['id']}", body=json.dumps(body).encode() if body else b"",
            headers={"Content-Type": "application/json", "Authorization": header})
        assert response.status_code == 401, (kind, method, response.body)
        assert json.loads(response.body)["error"]["code"] == "unauthorized"
    assert stored(person["id"]).job_title is None


def test_a_link_for_an_old_address_opens_nothing(api, person, mailbox):
    old_link = auth.issue_email_token(stored(person["id"]), "ada@example.com")
    changed = api.call("PATCH", f"/professionals/{person['id']}",
                       who=bearer(person["access_token"]), body={"email": "ada@new.example"})
    assert changed.status_code == 200 and changed.json["email_verified"] is False
    assert mailbox() == [{"kind": "confirm_address", "email": "ada@new.example",
                          "professional_id": person["id"]}]
    error(session(api, old_link), 400, "bad_request")
    # The access token is bound to the person, not the address: it still works.
    assert api.call("GET", f"/professionals/{person['id']}",
                    who=bearer(person["access_token"])).status_code == 200
    new_link = auth.issue_email_token(stored(person["id"]), "ada@new.example")
    assert session(api, new_link).json["professional"]["email_verified"] is True


def test_a_link_of_an_erased_person_opens_nothing(api, person):
    link = auth.issue_email_token(stored(person["id"]), "ada@example.com")
    assert api.call("DELETE", f"/professionals/{person['id']}").status_code == 204
    error(session(api, link), 400, "bad_request")


# -- any change of the email makes it unverified ------------------------------------------------

def _verified(api, person) -> None:
    session(api, auth.issue_email_token(stored(person["id"]), person["email"].lower()))
    assert stored(person["id"]).email_verified is True


def test_staff_and_bulk_email_changes_unverify(api, person, mailbox):
    _verified(api, person)
    same = api.call("PATCH", f"/professionals/{person['id']}", body={"job_title": "Countess"})
    assert same.json["email_verified"] is True  # another field keeps it
    moved = api.call("PATCH", f"/professionals/{person['id']}", body={"email": "a2@example.com"})
    assert moved.json["email_verified"] is False
    _verified(api, {"id": person["id"], "email": "a2@example.com"})
    # Bulk gives an email only to a record without one (8.5): here the row is another person.
    rows = [{"phone": "+1 415 555 0123", "email": "a3@example.com"}]
    result = api.call("POST", "/professionals/bulk", who="staff", body=rows).json
    assert result["results"][0]["error"]["details"]["conflicts"] == [
        {"field": "phone", "id": person["id"]}]
    got = api.call("GET", f"/professionals/{person['id']}").json
    assert (got["email"], got["email_verified"]) == ("a2@example.com", True)
    # Staff changes mail no link; the verified previous address is told of the change (8.1).
    assert mailbox() == [{"kind": "address_changed", "email": "ada@example.com",
                          "professional_id": None}]
    assert_invariants()


def test_bulk_fills_a_missing_email_and_a_moved_verified_one_is_notified(api, mailbox):
    staff_made = api.call("POST", "/professionals", body={"full_name": "Pat",
                                                          "phone": "+1 415 555 0124"}).json
    rows = [{"phone": "+1 415 555 0124", "email": "pat@example.com"}]
    assert api.call("POST", "/professionals/bulk", body=rows).json["results"][0][
        "status"] == "updated"
    assert mailbox() == []  # it had no email: nobody to tell
    session(api, auth.issue_email_token(stored(staff_made["id"])))
    patched = api.call("PATCH", f"/professionals/{staff_made['id']}",
                       body={"email": "pat2@example.com"})
    assert patched.json["email_verified"] is False
    assert mailbox() == [{"kind": "address_changed", "email": "pat@example.com",
                          "professional_id": None}]


# -- self-service with the access token ---------------------------------------------------------

def test_the_person_corrects_their_own_details(api, person, mailbox):
    token = bearer(person["access_token"])
    patched = api.call("PATCH", f"/professionals/{person['id']}", who=token,
                       body={"full_name": " Augusta Ada King ", "phone": "+44 20 7946 0000",
                             "company_name": "", "job_title": "Countess"})
    assert patched.status_code == 200, patched.json
    assert (patched.json["full_name"], patched.json["phone"], patched.json["company_name"],
            patched.json["job_title"]) == ("Augusta Ada King", "+442079460000", None, "Countess")
    assert patched.json["email_verified"] is False and mailbox() == []  # email untouched
    assert_invariants()


@pytest.mark.parametrize("field,value", [("source", "internal"), ("consent", None),
                                         ("email_verified", True), ("nickname", "x"),
                                         ("id", "abc"), ("resume", None)])
def test_the_person_may_not_set_other_fields(api, person, field, value):
    response = api.call("PATCH", f"/professionals/{person['id']}",
                        who=bearer(person["access_token"]), body={field: value, "job_title": "X"})
    err = error(response, 400, "validation_error")
    assert field in err["details"]["fields"]
    assert stored(person["id"]).job_title is None  # nothing written


@pytest.mark.parametrize("value", [None, "", "  "])
def test_the_person_cannot_clear_their_email(api, person, value):
    err = error(api.call("PATCH", f"/professionals/{person['id']}",
                         who=bearer(person["access_token"]), body={"email": value}),
                400, "validation_error")
    assert set(err["details"]["fields"]) == {"email"}


def test_the_token_opens_only_its_own_record(api, person, mailbox):
    other = api.call("POST", "/professionals", who="staff",
                     body={"full_name": "Other", "email": "other@example.com"}).json
    token = bearer(person["access_token"])
    error(api.call("PATCH", f"/professionals/{other['id']}", who=token, body={"job_title": "x"}),
          403, "forbidden")
    error(api.call("DELETE", f"/professionals/{other['id']}", who=token), 403, "forbidden")
    error(api.call("GET", f"/professionals/{other['id']}/resume", who=token), 403, "forbidden")
    error(api.call("GET", f"/professionals/{person['id']}/resume", who=token), 403, "forbidden")
    error(api.call("GET", "/professionals", who=token), 403, "forbidden")
    error(api.call("POST", "/professionals/bulk", who=token, body=[]), 403, "forbidden")
    # A taken address is the usual 409, with no id and no mail.
    taken = api.call("PATCH", f"/professionals/{person['id']}", who=token,
                     body={"email": "other@example.com"})
    assert error(taken, 409, "conflict")["details"] == {"conflicts": [{"field": "email"}]}
    assert stored(other["id"]) is not None and mailbox() == []


def test_the_person_uploads_a_resume_again(api, person):
    response = api.call("POST", f"/professionals/{person['id']}/resume",
                        who=bearer(person["access_token"]), body=DESCRIPTOR)
    assert response.status_code == 201 and response.json["resume"]["status"] == "awaiting_upload"


# -- erasure ------------------------------------------------------------------------------------

def _objects(professional_id: str) -> list[str]:
    s3 = clients.s3()
    keys = []
    for prefix in ("uploads/", "resumes/", "text/"):
        listed = s3.list_objects_v2(Bucket=os.environ["RESUME_BUCKET"],
                                    Prefix=f"{prefix}{professional_id}/")
        keys += [o["Key"] for o in listed.get("Contents", [])]
    return keys


def _start_upload(api, person) -> str:
    """The person's own new upload form; returns its key."""
    return api.call("POST", f"/professionals/{person['id']}/resume",
                    who=bearer(person["access_token"]), body=DESCRIPTOR).json["resume_upload"]["key"]


def _put(key: str, words: str) -> None:
    """What the browser's presigned POST does: the PDF lands under the form's key."""
    clients.s3().put_object(Bucket=os.environ["RESUME_BUCKET"], Key=key, Body=pdf(words=words),
                            ContentType="application/pdf")


def _ready_resume(api, person) -> None:
    key = _start_upload(api, person)
    _put(key, "Difference engine notes")
    assert resume_processor.process_upload(key) == "ready"


def test_the_person_erases_everything(api, person, mailbox):
    token = bearer(person["access_token"])
    _ready_resume(api, person)
    assert len(_objects(person["id"])) == 2  # the PDF and its text
    search_sync.sync_search_index(api.client)
    found = api.call("GET", "/professionals?q=lovelace").json["items"]
    assert [p["id"] for p in found] == [person["id"]]

    assert api.call("DELETE", f"/professionals/{person['id']}", who=token).status_code == 204

    assert stored(person["id"]) is None and _objects(person["id"]) == []
    assert_invariants()  # the guards went with it
    search_sync.sync_search_index(api.client)
    assert api.call("GET", "/professionals?q=lovelace").json["items"] == []
    assert api.call("GET", "/professionals?q=difference").json["items"] == []
    assert api.call("GET", "/professionals?email=ada@example.com").json["items"] == []
    assert api.call("GET", "/professionals").json["items"] == []
    # The token now opens nothing, on every route (401, not 404).
    for method, path, body in (
            ("GET", f"/professionals/{person['id']}", None),
            ("PATCH", f"/professionals/{person['id']}", {"job_title": "x"}),
            ("DELETE", f"/professionals/{person['id']}", None),
            ("POST", f"/professionals/{person['id']}/resume",
             {"filename": "a.pdf", "content_type": "application/pdf", "size_bytes": 10}),
            ("POST", "/professionals", ADA),
            ("GET", "/professionals", None)):
        error(api.call(method, path, who=token, body=body), 401, "unauthorized")
    # The address and the phone are free: the same person can sign up again.
    mailbox()
    again = api.call("POST", "/professionals", who=None, body=ADA)
    assert again.status_code == 201 and again.json["id"] != person["id"]
    assert again.json["email_verified"] is False


def test_erasure_beats_an_upload_in_flight(api, person):
    """The form was issued before the erasure, the file lands after it: the worker drops it,
    and nothing of the person is left in the bucket; the token cannot start another."""
    token = bearer(person["access_token"])
    key = _start_upload(api, person)
    assert api.call("DELETE", f"/professionals/{person['id']}", who=token).status_code == 204
    _put(key, "late")
    assert resume_processor.process_upload(key) == "dropped_deleted_professional"
    assert _objects(person["id"]) == [] and stored(person["id"]) is None
    error(api.call("POST", f"/professionals/{person['id']}/resume", who=token, body=DESCRIPTOR),
          401, "unauthorized")


def test_erasure_midway_through_processing_leaves_no_files(api, person, monkeypatch):
    """Erased while the worker extracts the text: its late write finds no record and it
    deletes the files it made."""
    key = _start_upload(api, person)
    _put(key, "midway")
    extract = resume_processor.extract_text

    def extract_then_erase(data):
        result = extract(data)
        assert api.call("DELETE", f"/professionals/{person['id']}",
                        who=bearer(person["access_token"])).status_code == 204
        return result

    monkeypatch.setattr(resume_processor, "extract_text", extract_then_erase)
    # The erasure took the upload from under the worker: this delivery fails (SQS retries it).
    with pytest.raises(Exception, match="NoSuchKey"):
        resume_processor.process_upload(key)
    monkeypatch.setattr(resume_processor, "extract_text", extract)
    assert resume_processor.process_upload(key) == "dropped_deleted_professional"  # the retry
    assert _objects(person["id"]) == [] and stored(person["id"]) is None


def test_a_partner_row_after_erasure_creates_a_new_person_cleanly(api, person):
    """Before: the person is not the partner's (conflict). After: the row makes a new person
    holding only what the row carries; nothing of the erased one comes back."""
    row = [{"full_name": "Row Person", "email": "ada@example.com"}]
    before = api.call("POST", "/professionals/bulk", who="partner", body=row).json
    assert before["results"][0]["status"] == "failed"
    assert api.call("DELETE", f"/professionals/{person['id']}",
                    who=bearer(person["access_token"])).status_code == 204
    after = api.call("POST", "/professionals/bulk", who="partner", body=row).json["results"][0]
    assert after["status"] == "created" and after["id"] != person["id"]
    new = api.call("GET", f"/professionals/{after['id']}").json
    assert (new["full_name"], new["email"], new["phone"], new["consent"], new["email_verified"],
            new["source"]) == ("Row Person", "ada@example.com", None, None, False, "partner")
    assert_invariants()


# -- access links -------------------------------------------------------------------------------

def test_access_links_answer_the_same_for_any_well_formed_address(api, person, mailbox):
    answers = [api.call("POST", "/access-links", who=None, body={"email": email})
               for email in (" ADA@example.com ", "nobody@example.com")]
    for answer in answers:
        assert (answer.status_code, answer.json) == (202, {"status": "sent"})
    assert answers[0].headers.get("Content-Type") == answers[1].headers.get("Content-Type")
    assert mailbox() == [
        {"kind": "access_link", "email": "ada@example.com", "professional_id": None},
        {"kind": "access_link", "email": "nobody@example.com", "professional_id": None}]


@pytest.mark.parametrize("body", [{"email": "not-an-address"}, {"email": ""}, {"email": None},
                                  {"email": 12}, {}, {"email": "a@b.com", "extra": 1}, [],
                                  {"email": "a" * 10_000 + "@example.com"},
                                  {"email": "x@" + "a" * 300 + ".com"},
                                  {"email": "\ud800@example.com"}, {"email": "a\u0000@example.com"},
                                  {"email": "<script>@example.com"}])
def test_access_links_refuse_malformed_addresses(api, mailbox, body):
    error(api.call("POST", "/access-links", who=None, body=body), 400, "validation_error")
    assert mailbox() == []


@pytest.mark.parametrize("email", ["jos\u00e9@example.com", "\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a",
                                   "JOSE\u0301@EXAMPLE.COM", "\u0430\u0434\u0430@example.com"])
def test_access_links_with_unicode_addresses_never_fail(api, mailbox, email):
    response = api.call("POST", "/access-links", who=None, body={"email": email})
    assert response.status_code in (202, 400), response.json
    if response.status_code == 202:
        assert [e["email"] for e in mailbox()] == [validation.normalise_email(email)]
    else:
        assert response.json["error"]["code"] == "validation_error"


def test_access_links_refuse_other_bodies(api):
    error(api.call("POST", "/access-links", who=None, raw=b"email=a@b.c",
                   headers={"Content-Type": "text/plain"}), 415, "unsupported_media_type")
    error(api.call("POST", "/access-links", who=None, raw=b"{"), 400, "bad_request")
    huge = json.dumps({"email": "a" * (2 * 1024 * 1024)}).encode()
    error(api.call("POST", "/access-links", who=None, raw=huge), 413, "payload_too_large")


# -- the 30-day purge ---------------------------------------------------------------------------

def test_the_purge_erases_unconfirmed_sign_ups_after_30_days(api, person, mailbox):
    confirmed = api.call("POST", "/professionals", who=None,
                         body={"full_name": "C", "email": "c@example.com", "consent": True}).json
    session(api, auth.issue_email_token(stored(confirmed["id"]), "c@example.com"))
    staff = api.call("POST", "/professionals", who="staff",
                     body={"full_name": "S", "email": "s@example.com"}).json
    later = clock.parse_iso(person["created_at"])

    assert purge.purge_unconfirmed(later + timedelta(days=29, hours=23)) == []
    assert purge.purge_unconfirmed(later + timedelta(days=31), dry_run=True) == [person["id"]]
    assert stored(person["id"]) is not None
    assert purge.purge_unconfirmed(later + timedelta(days=31)) == [person["id"]]

    assert stored(person["id"]) is None
    assert stored(confirmed["id"]) is not None and stored(staff["id"]) is not None
    assert purge.purge_unconfirmed(later + timedelta(days=365)) == []
    assert_invariants()
    mailbox()
    again = api.call("POST", "/professionals", who=None, body=ADA)  # email and phone are free
    assert again.status_code == 201


def test_the_purge_reads_one_index_and_never_scans(api, person, monkeypatch):
    from tests.test_partner_api import dynamodb_calls
    with dynamodb_calls(monkeypatch) as calls:
        purge.due(clock.now() + timedelta(days=31))
    assert calls == [("Query", "by_unconfirmed")], calls


def test_a_confirmation_before_the_purge_erases_it_wins(api, person, monkeypatch):
    """The index said due; the person confirmed in between: the fresh read keeps them."""
    moment = clock.parse_iso(person["created_at"]) + timedelta(days=31)
    due = purge.due(moment)
    assert [i.id for i in due] == [person["id"]]
    session(api, auth.issue_email_token(stored(person["id"]), "ada@example.com"))
    monkeypatch.setattr(purge, "due", lambda now=None: due)
    assert purge.purge_unconfirmed(moment) == []
    assert stored(person["id"]).email_verified is True


def test_a_changed_email_does_not_restart_the_clock(api, person):
    token = bearer(person["access_token"])
    api.call("PATCH", f"/professionals/{person['id']}", who=token, body={"email": "n@example.com"})
    moment = clock.parse_iso(person["created_at"]) + timedelta(days=31)
    assert purge.purge_unconfirmed(moment) == [person["id"]]


def test_the_command_and_the_local_runner_purge_as_the_schedule_does(api, person, monkeypatch,
                                                                   capsys):
    import threading

    from infra.__main__ import main
    from infra.local import purge_runner
    other = api.call("POST", "/professionals", who=None,
                     body={"full_name": "G", "email": "g@example.com", "consent": True}).json
    later = clock.now() + timedelta(days=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert main(["purge-unconfirmed", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert person["id"] in out and other["id"] in out and stored(person["id"]) is not None
    real_due = purge.due
    monkeypatch.setattr(purge, "due", lambda now=None: real_due(now)[:1])
    assert main(["purge-unconfirmed"]) == 0  # one of them (the runner takes the other)
    assert [stored(person["id"]), stored(other["id"])].count(None) == 1
    monkeypatch.setattr(purge, "due", real_due)
    # The runner: a first run shortly after start, then every interval, until stopped.
    monkeypatch.setattr(purge_runner, "FIRST_RUN_DELAY_SECONDS", 0.05)
    stopping = threading.Event()
    runner = threading.Thread(target=purge_runner.run, args=(3600, stopping))
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while stored(other["id"]) or stored(person["id"]):
            assert time.monotonic() < deadline, "the runner did not purge"
            time.sleep(0.05)
    finally:
        stopping.set()
        runner.join(10)
    assert not runner.is_alive()


def test_the_scheduled_function_purges(api, person, monkeypatch):
    later = clock.now() + timedelta(days=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    event = api.client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event",
                                                detail={}, resources=[])
    api.client.lambda_.invoke("purge_unconfirmed", event)
    assert stored(person["id"]) is None
