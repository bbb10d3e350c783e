"""Mail: the enqueue functions, the send_mail worker on SES (moto in-process keeps what it sent),
SES outages and throttling, exactly one mail per event, the email-change notice. Racing
deliveries of one event are on DynamoDB Local (tests/test_mail_limit_ddblocal.py): moto's
conditional writes are not atomic across threads."""
from __future__ import annotations

import json
import socket
import time

import pytest

from chalicelib import auth, clients, mail, mail_delivery
from tests import mail_helpers
from tests.mail_helpers import deliver, sent, waiting

APP_URL = "https://app.example.test"
ADA = {"full_name": "Ada Lovelace", "email": "ada@example.com"}


def _claims(token: str) -> tuple[str, str]:
    opened = auth.open_email_token(token)
    return opened.professional_id, opened.address


@pytest.fixture
def mailer(api, monkeypatch):
    """The API (with the mail queue and the verified sender: conftest's store) plus the
    idempotency table."""
    from infra import resources
    monkeypatch.setenv("APP_URL", APP_URL)
    resources.create_app_tables()
    return api


def register(api, **fields) -> dict:
    response = api.call("POST", "/professionals", who="staff", body={**ADA, **fields})
    assert response.status_code == 201, response.json
    return response.json


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- each kind of mail ------------------------------------------------------------------------

def test_confirm_address_mails_a_link_whose_token_names_the_person_and_address(mailer):
    ada = register(mailer)
    mail.confirm_address(ada["id"], ada["email"])
    assert deliver(mailer.client) == []
    (message,) = sent()
    assert message.to == ["ada@example.com"]
    assert message.source == "no-reply@professionals.local"
    assert message.subject == "Confirm your email address"
    assert message.link.startswith(f"{APP_URL}/me?token=")
    assert _claims(message.token) == (ada["id"],
                                                    auth.address_digest("ada@example.com"))
    assert waiting() == 0


def test_an_access_link_goes_to_a_registered_address_only(mailer):
    ada = register(mailer)
    mail.access_link_requested("nobody@example.com")
    mail.access_link_requested("ada@example.com")
    assert deliver(mailer.client) == []
    (message,) = sent()  # nothing for the unregistered address
    assert message.to == ["ada@example.com"]
    assert message.subject == "Your link to see and manage your details"
    assert _claims(message.token) == (ada["id"],
                                                    auth.address_digest("ada@example.com"))
    assert waiting() == 0  # the unregistered one is done with, not retried


def test_a_sign_up_attempt_on_a_taken_address_tells_its_owner(mailer):
    ada = register(mailer)
    mail.signup_attempted("ada@example.com")
    mail.signup_attempted("gone@example.com")
    assert deliver(mailer.client) == []
    (message,) = sent()
    assert message.to == ["ada@example.com"]
    assert message.subject == "Someone tried to sign up with your email address"
    assert "already registered" in message.body
    assert _claims(message.token) == (ada["id"],
                                                    auth.address_digest("ada@example.com"))


def test_every_mail_is_plain_text_with_its_one_link_on_a_line_of_its_own(mailer):
    register(mailer)
    for kind in mail.LINK_KINDS:
        subject, text = mail_delivery.render(kind, f"{APP_URL}/me?token=abc.def")
        assert subject and f"\n{APP_URL}/me?token=abc.def\n" in text
        assert text.count("/me?token=") == 1


def test_a_confirmation_for_an_address_changed_or_erased_since_sends_nothing(mailer):
    ada = register(mailer)
    grace = register(mailer, full_name="Grace", email="grace@example.com")
    mail.confirm_address(ada["id"], "ada@example.com")
    mail.confirm_address(grace["id"], "grace@example.com")
    assert mailer.call("PATCH", f"/professionals/{ada['id']}",
                       body={"email": "ada@example.org"}).status_code == 200
    assert mailer.call("DELETE", f"/professionals/{grace['id']}").status_code == 204
    assert deliver(mailer.client) == []
    assert sent() == []
    assert waiting() == 0


def test_an_internationalised_domain_is_sent_in_its_ascii_form(mailer):
    register(mailer, email="ada@bücher.example")
    mail.access_link_requested("ada@bücher.example")
    assert deliver(mailer.client) == []
    (message,) = sent()
    assert message.to == ["ada@xn--bcher-kva.example"]


def test_a_message_that_is_not_a_mail_event_fails_and_is_left_to_the_dead_letter_queue(mailer):
    sqs = clients.sqs()
    for body in ("not json", json.dumps({"kind": "spam", "event_id": "x", "email": "a@b.c"}),
                 json.dumps({"kind": "access_link", "email": "a@b.c"})):
        sqs.send_message(QueueUrl=mail_helpers.os.environ["MAIL_QUEUE_URL"], MessageBody=body)
    assert len(deliver(mailer.client)) == 3
    assert sent() == []


# -- enqueue never fails the request ----------------------------------------------------------

def test_an_enqueue_failure_is_logged_and_counted_and_never_raised(mailer, monkeypatch, capsys,
                                                                    caplog):
    monkeypatch.setenv("METRICS_NAMESPACE", "professionals")
    monkeypatch.setenv("MAIL_QUEUE_URL",
                       "https://sqs.us-east-1.amazonaws.com/123456789012/no-such-queue")
    mail.confirm_address("p1", "ada@example.com")  # no exception
    mail.access_link_requested("ada@example.com")
    warnings = [r for r in caplog.records if r.getMessage() == "mail not queued"]
    assert len(warnings) == 2 and all(r.exc_info for r in warnings)
    assert not any("ada@example.com" in str(r.__dict__) for r in warnings)  # no addresses
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines()
               if line.startswith('{"_aws"')]
    assert sorted(m["Kind"] for m in metrics if "MailEnqueueFailed" in m) == [
        "access_link", "confirm_address"]


def test_each_enqueue_is_one_message_with_its_own_event_id(mailer):
    mail.access_link_requested("ada@example.com")
    mail.access_link_requested("ada@example.com")
    mail.confirm_address("p1", "ada@example.com")
    bodies = [json.loads(r["body"]) for r in mail_helpers.receive()]
    assert sorted(b["kind"] for b in bodies) == ["access_link", "access_link", "confirm_address"]
    assert len({b["event_id"] for b in bodies}) == 3
    assert {b["professional_id"] for b in bodies} == {None, "p1"}
    assert {b["email"] for b in bodies} == {"ada@example.com"}


# -- SES outages and exactly once -------------------------------------------------------------

def test_an_ses_outage_fails_the_message_and_it_is_sent_once_when_ses_is_back(mailer, monkeypatch):
    ada = register(mailer)
    mail.confirm_address(ada["id"], ada["email"])
    monkeypatch.setenv("AWS_ENDPOINT_URL_SES", f"http://127.0.0.1:{closed_port()}")
    clients.reset()
    (failed,) = deliver(mailer.client)
    assert failed and sent() == []
    assert waiting() == 1  # back in the queue for a later delivery
    assert deliver(mailer.client) == [failed]  # still down: still waiting

    monkeypatch.delenv("AWS_ENDPOINT_URL_SES")
    clients.reset()
    assert deliver(mailer.client) == []
    assert [m.to for m in sent()] == [["ada@example.com"]]
    assert waiting() == 0


def test_ses_throttling_fails_the_message_until_ses_accepts_it_then_it_arrives_once(mailer):
    ada = register(mailer)
    mail.confirm_address(ada["id"], ada["email"])
    throttled = {"left": 3}

    def throttle(**_):
        # before-call answers instead of sending (botocore's Stubber does the same): SES's
        # "Maximum sending rate exceeded", as a parsed error response.
        if throttled["left"] == 0:
            return None
        throttled["left"] -= 1
        return mail_helpers.ses_error("Throttling", "Maximum sending rate exceeded.")

    ses = clients.ses()
    ses.meta.events.register_first("before-call.ses.SendEmail", throttle)
    try:
        for _ in range(3):
            assert len(deliver(mailer.client)) == 1
            assert sent() == [] and waiting() == 1
        assert deliver(mailer.client) == []
    finally:
        ses.meta.events.unregister("before-call.ses.SendEmail", throttle)
    assert [m.to for m in sent()] == [["ada@example.com"]]
    assert deliver(mailer.client) == [] and len(sent()) == 1 and waiting() == 0


def test_a_redelivered_message_after_a_successful_send_sends_nothing_again(mailer):
    ada = register(mailer)
    mail.confirm_address(ada["id"], ada["email"])
    (record,) = mail_helpers.receive()
    event = {"Records": [record]}
    for _ in range(3):  # SQS delivers at least once: the same message, three times
        answer = mailer.client.lambda_.invoke("send_mail", event).payload
        assert answer == {"batchItemFailures": []}
    assert len(sent()) == 1


def test_two_events_for_one_address_are_two_mails(mailer):
    register(mailer)
    mail.access_link_requested("ada@example.com")
    mail.access_link_requested("ada@example.com")
    assert deliver(mailer.client) == []
    assert len(sent()) == 2


def test_a_worker_that_dies_mid_send_blocks_the_event_only_until_its_deadline(mailer,
                                                                              monkeypatch):
    ada = register(mailer)
    mail.confirm_address(ada["id"], ada["email"])
    (record,) = mail_helpers.receive()
    # The deadline a worker gives itself (60 s, longer than the Lambda's timeout), shortened.
    monkeypatch.setattr(mail_delivery._SendDeadline, "get_remaining_time_in_millis",
                        lambda self: 1000)

    class Killed(BaseException):
        """The Lambda runtime killing the process: no `except Exception` sees it."""

    def die(**_):
        raise Killed

    ses = clients.ses()
    ses.meta.events.register_first("before-call.ses.SendEmail", die)
    try:
        with pytest.raises(Killed):
            mail_delivery.handle_sqs_records([record])
    finally:
        ses.meta.events.unregister("before-call.ses.SendEmail", die)
    # The event's record says "in progress": a redelivery now fails rather than risk a second
    # mail...
    assert mail_delivery.handle_sqs_records([record]) == [record["messageId"]]
    assert sent() == []
    # ...until the dead worker's deadline has passed.
    time.sleep(1.2)
    assert mail_delivery.handle_sqs_records([record]) == []
    assert [m.to for m in sent()] == [["ada@example.com"]]
    assert mail_delivery.handle_sqs_records([record]) == [] and len(sent()) == 1


def test_a_refusal_from_ses_is_logged_by_its_code_without_the_address(mailer, caplog):
    ada = register(mailer)
    mail.confirm_address(ada["id"], ada["email"])

    def refuse(**_):  # the SES sandbox, refusing an unverified recipient
        return mail_helpers.ses_error("MessageRejected", "Email address is not verified. The "
                                      "following identities failed the check in region "
                                      "US-EAST-1: ada@example.com")

    ses = clients.ses()
    ses.meta.events.register_first("before-call.ses.SendEmail", refuse)
    try:
        assert len(deliver(mailer.client)) == 1
    finally:
        ses.meta.events.unregister("before-call.ses.SendEmail", refuse)
    (line,) = [r for r in caplog.records
               if r.getMessage() == "mail not sent; SQS will deliver it again"]
    assert "ada@example.com" not in str(line.__dict__)
    assert "MessageRejected" in str(line.__dict__) and not line.exc_info
    assert deliver(mailer.client) == [] and len(sent()) == 1  # accepted once SES does


# -- the email-change notice (contract 8.1) ------------------------------------------------------

NOTICE_SUBJECT = "The email address on your record was changed"


def verified_sign_up(api) -> dict:
    """An anonymous sign-up whose owner opened the mailed link: email_verified is true."""
    body = api.call("POST", "/professionals", who=None, body={**ADA, "consent": True}).json
    assert deliver(api.client) == []
    (confirmation,) = sent()
    opened = api.call("POST", "/sessions", who=None, body={"token": confirmation.token})
    assert opened.status_code == 200 and opened.json["professional"]["email_verified"] is True
    return {**body, "access_token": opened.json["access_token"]}


def assert_is_the_notice(message, old: str, new: str) -> None:
    assert message.to == [old] and message.subject == NOTICE_SUBJECT
    assert "token=" not in message.body and "/me" not in message.body
    assert new not in message.body and new.split("@")[0] not in message.body
    assert mail_helpers.LINK.findall(message.body) == []
    assert "was changed" in message.body and APP_URL in message.body


def test_the_notice_is_plain_and_carries_no_link_to_the_record(mailer):
    subject, text = mail_delivery.render(mail.ADDRESS_CHANGED)
    assert subject == NOTICE_SUBJECT and "token" not in text and "/me" not in text
    assert text.startswith("Hello,\n") and "<" not in text


def test_a_staff_change_of_a_verified_email_sends_one_notice_to_the_old_address(mailer):
    person = verified_sign_up(mailer)
    moved = mailer.call("PATCH", f"/professionals/{person['id']}", who="staff",
                        body={"email": "ada.new@example.org"})
    assert moved.status_code == 200 and moved.json["email_verified"] is False
    assert deliver(mailer.client) == [] and waiting() == 0
    (_, message) = sent()  # the sign-up's confirmation, then the notice; the new address: none
    assert_is_the_notice(message, "ada@example.com", "ada.new@example.org")


def test_the_persons_own_change_notifies_the_old_address_and_confirms_the_new(mailer):
    person = verified_sign_up(mailer)
    moved = mailer.call("PATCH", f"/professionals/{person['id']}",
                        who=f"Bearer {person['access_token']}",
                        body={"email": "ada.new@example.org"})
    assert moved.status_code == 200, moved.json
    assert deliver(mailer.client) == []
    new_mails = sent()[1:]
    notices = [m for m in new_mails if m.subject == NOTICE_SUBJECT]
    confirmations = [m for m in new_mails if m.subject == "Confirm your email address"]
    assert len(new_mails) == 2 and len(notices) == 1 and len(confirmations) == 1
    assert_is_the_notice(notices[0], "ada@example.com", "ada.new@example.org")
    assert confirmations[0].to == ["ada.new@example.org"]
    assert _claims(confirmations[0].token) == (person["id"],
                                               auth.address_digest("ada.new@example.org"))


def test_a_partners_change_of_an_email_its_owner_verified_notifies_the_old_address(mailer):
    created = mailer.call("POST", "/professionals", who="partner", body=ADA).json
    assert mailer.call("POST", "/access-links", who=None,
                       body={"email": ADA["email"]}).status_code == 202
    assert deliver(mailer.client) == []
    (link,) = sent()  # the owner asks for a link and opens it: the address is verified now
    assert mailer.call("POST", "/sessions", who=None,
                       body={"token": link.token}).json["professional"]["email_verified"] is True
    moved = mailer.call("PATCH", f"/professionals/{created['id']}", who="partner",
                        body={"email": "ada.partner@example.org"})
    assert moved.status_code == 200, moved.json
    assert deliver(mailer.client) == []
    (_, message) = sent()
    assert_is_the_notice(message, "ada@example.com", "ada.partner@example.org")


def test_an_unverified_email_change_sends_no_notice(mailer):
    ada = register(mailer)  # created by staff: never verified, never mailed unprompted
    assert mailer.call("PATCH", f"/professionals/{ada['id']}",
                       body={"email": "ada.new@example.org"}).status_code == 200
    anonymous = mailer.call("POST", "/professionals", who=None,
                            body={"full_name": "Grace", "email": "grace@example.com",
                                  "consent": True}).json
    assert deliver(mailer.client) == []
    assert [m.subject for m in sent()] == ["Confirm your email address"]  # the sign-up's only
    moved = mailer.call("PATCH", f"/professionals/{anonymous['id']}",
                        who=f"Bearer {anonymous['access_token']}",
                        body={"email": "grace.new@example.org"})
    assert moved.status_code == 200
    assert deliver(mailer.client) == []
    assert [(m.subject, m.to) for m in sent()][1:] == [
        ("Confirm your email address", ["grace.new@example.org"])]  # no notice to grace@


def test_the_notice_goes_to_the_address_given_without_looking_anyone_up(mailer, monkeypatch):
    def no_look_up(*_args, **_kwargs):
        raise AssertionError("the notice looked a professional up")

    monkeypatch.setattr(mail_delivery.professionals, "find_by", no_look_up)
    monkeypatch.setattr(mail_delivery.professionals, "get", no_look_up)
    mail.address_changed("nobody-holds-this@example.com")
    assert deliver(mailer.client) == []
    (message,) = sent()
    assert_is_the_notice(message, "nobody-holds-this@example.com", "someone.else@example.org")
