"""The per-address mail limit (contract 8.1 "Mail limits"): one address receives at most 5 mails
in any 60 minutes, whatever the kind; past that the mail is not sent, ``MailSuppressed`` counts
it and the message is done. On moto in-process (the rules); the races are on DynamoDB Local
(tests/test_mail_limit_ddblocal.py)."""
from __future__ import annotations

import hashlib

import botocore.exceptions
import pytest

from chalicelib import clients, mail, mail_delivery, mail_limit
from chalicelib.settings import get_settings
from tests import mail_helpers
from tests.mail_helpers import deliver, sent, waiting
from tests.test_mail import mailer, register  # noqa: F401  (fixture)
from tests.test_metrics import emf_lines

VICTIM = "ada@example.com"


def deliver_all(client) -> list[str]:
    """Poll the mail queue into ``send_mail`` until it is empty (or only failures are left)."""
    failed: list[str] = []
    for _ in range(20):
        failed = deliver(client)
        if waiting() == 0 or failed:
            break
    return failed


# -- the attacks, as written in issue 18 -------------------------------------------------------

def test_ten_access_link_requests_for_one_address_deliver_five_mails(mailer):
    register(mailer)
    answers = [mailer.call("POST", "/access-links", who=None, body={"email": VICTIM})
               for _ in range(10)]
    assert {(r.status_code, r.body) for r in answers} == {(202, answers[0].body)}
    assert deliver_all(mailer.client) == []
    assert [m.to for m in sent()] == [[VICTIM]] * 5
    assert waiting() == 0  # the suppressed five are done with, not retried


def test_ten_email_flips_to_one_address_mail_it_five_times(mailer):
    person = mailer.call("POST", "/professionals", who=None,
                         body={"full_name": "Mallory", "email": "mallory@example.org",
                               "consent": True}).json
    token = f"Bearer {person['access_token']}"
    deliver_all(mailer.client)
    for _ in range(10):  # the victim's address, then away again: a confirmation each time
        for email in (VICTIM, "mallory@example.org"):
            patched = mailer.call("PATCH", f"/professionals/{person['id']}", who=token,
                                  body={"email": email})
            assert patched.status_code == 200, patched.json
            assert deliver_all(mailer.client) == []
    assert sum(1 for m in sent() if m.to == [VICTIM]) == 5


# -- the rules ---------------------------------------------------------------------------------

@pytest.fixture
def clock(monkeypatch):
    """The limit's clock, moved by the test (seconds since the epoch)."""
    now = {"t": 1_800_000_000.0}
    monkeypatch.setattr(mail_limit, "_now", lambda: now["t"])
    return now


def capped(address: str) -> dict | None:
    """The address's limit item as stored, or None."""
    return clients.dynamodb().get_item(
        TableName=get_settings().idempotency_table_name,
        Key={"id": {"S": mail_limit.key(address)}}, ConsistentRead=True).get("Item")


def notice(address: str, client) -> list[str]:
    """Queue and deliver one email-change notice (sent to the address as given, no look-up)."""
    mail.address_changed(address)
    return deliver_all(client)


def test_suppressed_mail_is_counted_logged_without_the_address_and_done(mailer, monkeypatch,
                                                                        capsys, caplog):
    monkeypatch.setenv("METRICS_NAMESPACE", "professionals")
    register(mailer)
    for _ in range(7):
        mail.access_link_requested(VICTIM)
    assert deliver_all(mailer.client) == []
    assert len(sent()) == 5 and waiting() == 0
    lines = emf_lines(capsys)
    suppressed = [m for m in lines if "MailSuppressed" in m]
    assert [(m["Kind"], m["MailSuppressed"]) for m in suppressed] == [("access_link", [1])] * 2
    assert sum(1 for m in lines if "MailSent" in m) == 5
    logged = [r for r in caplog.records if r.getMessage().startswith("mail suppressed")]
    assert len(logged) == 2
    for record in logged:
        text = str(record.__dict__)
        assert VICTIM not in text and hashlib.sha256(VICTIM.encode()).hexdigest() not in text
        assert "access_link" in text


def test_the_window_slides(mailer, clock):
    sent_at = []
    for minutes in (0, 10, 20, 30, 40):
        clock["t"] = 1_800_000_000.0 + minutes * 60
        assert notice(VICTIM, mailer.client) == []
        sent_at.append(minutes)
    assert len(sent()) == 5
    clock["t"] = 1_800_000_000.0 + 59 * 60  # all five within the last hour
    notice(VICTIM, mailer.client)
    assert len(sent()) == 5
    clock["t"] = 1_800_000_000.0 + 61 * 60  # the first one left the window: one free slot
    notice(VICTIM, mailer.client)
    assert len(sent()) == 6
    notice(VICTIM, mailer.client)  # ...and only one: 10, 20, 30, 40 and 61 are in the hour
    assert len(sent()) == 6
    clock["t"] = 1_800_000_000.0 + 71 * 60  # 10 left the window
    notice(VICTIM, mailer.client)
    assert len(sent()) == 7


def test_the_item_holds_send_times_in_the_window_and_expires_an_hour_after_the_newest(mailer,
                                                                                     clock):
    start = clock["t"]
    for minutes in (0, 30):
        clock["t"] = start + minutes * 60
        notice(VICTIM, mailer.client)
    item = capped(VICTIM)
    assert item["id"]["S"] == "mailcap#" + hashlib.sha256(VICTIM.encode()).hexdigest()
    assert [int(t["N"]) for t in item["sent"]["L"]] == [int(start * 1000),
                                                        int((start + 1800) * 1000)]
    assert int(item["expiration"]["N"]) == int(start) + 1800 + 3600
    assert VICTIM not in str(item) and "ada" not in str(item)  # no address stored
    clock["t"] = start + 75 * 60  # the first send left the window: pruned on the next write
    notice(VICTIM, mailer.client)
    assert [int(t["N"]) for t in capped(VICTIM)["sent"]["L"]] == [
        int((start + 1800) * 1000), int((start + 75 * 60) * 1000)]


def test_a_suppressed_mail_writes_nothing(mailer, clock):
    for _ in range(5):
        notice(VICTIM, mailer.client)
    before = capped(VICTIM)
    clock["t"] += 60
    notice(VICTIM, mailer.client)
    assert capped(VICTIM) == before and len(sent()) == 5


def test_every_kind_counts_against_one_limit(mailer):
    ada = register(mailer)
    mail.confirm_address(ada["id"], VICTIM)
    mail.signup_attempted(VICTIM)
    mail.access_link_requested(VICTIM)
    mail.address_changed(VICTIM)
    mail.signup_attempted(VICTIM)
    assert deliver_all(mailer.client) == []
    assert len(sent()) == 5
    for extra in (lambda: mail.confirm_address(ada["id"], VICTIM),
                  lambda: mail.access_link_requested(VICTIM),
                  lambda: mail.signup_attempted(VICTIM),
                  lambda: mail.address_changed(VICTIM)):
        extra()
        assert deliver_all(mailer.client) == [] and waiting() == 0
    assert len(sent()) == 5


def test_every_spelling_of_an_address_is_one_count(mailer):
    for spelling in ("ada@example.com", "ADA@Example.com", " Ada@EXAMPLE.com", "ada@example.com",
                     "aDa@example.COM", "ada@example.com"):
        notice(spelling, mailer.client)
    assert len(sent()) == 5
    assert mail_limit.key("ADA@Example.com") == mail_limit.key(VICTIM)


def test_other_addresses_are_unaffected(mailer):
    register(mailer)
    register(mailer, full_name="Grace", email="grace@example.com")
    for _ in range(8):
        mail.access_link_requested(VICTIM)
    assert deliver_all(mailer.client) == []
    mail.access_link_requested("grace@example.com")
    notice("someone@example.org", mailer.client)
    assert deliver_all(mailer.client) == []
    assert sorted(m.to[0] for m in sent()) == [VICTIM] * 5 + ["grace@example.com",
                                                             "someone@example.org"]


def test_a_failed_send_gives_its_slot_back(mailer):
    for _ in range(4):
        notice(VICTIM, mailer.client)
    mail.address_changed(VICTIM)

    def refuse(**_):
        return mail_helpers.ses_error("Throttling", "Maximum sending rate exceeded.")

    ses = clients.ses()
    ses.meta.events.register_first("before-call.ses.SendEmail", refuse)
    try:
        for _ in range(3):  # each failed delivery takes the 5th slot and gives it back
            assert len(deliver(mailer.client)) == 1
            assert len(capped(VICTIM)["sent"]["L"]) == 4
    finally:
        ses.meta.events.unregister("before-call.ses.SendEmail", refuse)
    assert deliver_all(mailer.client) == [] and len(sent()) == 5 and waiting() == 0
    notice(VICTIM, mailer.client)  # the slot was used once, by the retried mail
    assert len(sent()) == 5


def test_a_redelivered_event_takes_no_second_slot(mailer):
    register(mailer)
    mail.access_link_requested(VICTIM)
    (record,) = mail_helpers.receive()
    for _ in range(3):
        assert mail_delivery.handle_sqs_records([record]) == []
    assert len(sent()) == 1 and len(capped(VICTIM)["sent"]["L"]) == 1
    for _ in range(4):
        notice(VICTIM, mailer.client)
    mail.access_link_requested(VICTIM)
    (suppressed,) = mail_helpers.receive()
    for _ in range(2):  # a suppressed event is done as well: no slot, no mail on redelivery
        assert mail_delivery.handle_sqs_records([suppressed]) == []
    assert len(sent()) == 5 and len(capped(VICTIM)["sent"]["L"]) == 5


def test_a_slot_that_cannot_be_given_back_leaves_the_send_failure_as_it_was(mailer,
                                                                            monkeypatch, caplog):
    mail.address_changed(VICTIM)
    (record,) = mail_helpers.receive()

    def ses_down(**_):
        raise botocore.exceptions.EndpointConnectionError(endpoint_url="https://ses")

    def store_down(item_id):
        raise RuntimeError("store unreachable")

    ses = clients.ses()
    ses.meta.events.register_first("before-call.ses.SendEmail", ses_down)
    monkeypatch.setattr(mail_limit, "take", lambda address: 1)  # taken; giving back fails
    monkeypatch.setattr(mail_limit, "_read", store_down)
    try:
        assert mail_delivery.handle_sqs_records([record]) == [record["messageId"]]
    finally:
        ses.meta.events.unregister("before-call.ses.SendEmail", ses_down)
    messages = [r.getMessage() for r in caplog.records]
    assert "mail limit: slot not given back" in messages
    assert "mail not sent; SQS will deliver it again" in messages  # SES's error, as before
    assert sent() == []
