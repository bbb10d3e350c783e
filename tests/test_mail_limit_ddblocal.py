"""Mail delivery racing itself, against DynamoDB Local (real conditional writes; moto's are not
atomic across threads, which made the one-event race below unsound there): the exactly-once guard
of one event, and the per-address limit under a burst from 8 concurrent workers. The tables are
on DynamoDB Local, SES on moto in-process (which keeps what it sent)."""
from __future__ import annotations

import json
import uuid

import pytest
from moto import mock_aws

from chalicelib import clients, mail, mail_delivery, mail_limit, professionals
from chalicelib.auth import Caller
from chalicelib.settings import get_settings
from tests.mail_helpers import sent
from tests.test_concurrency_ddblocal import ddb_table, race  # noqa: F401  (fixture)

pytestmark = pytest.mark.ddblocal

STAFF = Caller(role="staff", name="ops", key_id="k1")
VICTIM = "victim@example.com"
ROUNDS = 3


@pytest.fixture
def ses(ddb_table):  # noqa: F811
    """The tables in DynamoDB Local (the idempotency table too), SES on moto."""
    with mock_aws():
        clients.reset()
        clients.ses().verify_email_identity(EmailAddress=get_settings().mail_from)
        clients.dynamodb()  # built before the threads share it
        yield
    clients.reset()


def record(kind: str, email: str) -> dict:
    """One SQS record of a fresh mail event, as Lambda hands it over."""
    event = {"event_id": str(uuid.uuid4()), "kind": kind, "email": email, "professional_id": None}
    return {"messageId": str(uuid.uuid4()), "body": json.dumps(event)}


def registered(email: str) -> str:
    return professionals.create({"full_name": "Someone", "email": email}, STAFF).email


def slots(address: str) -> int:
    item = clients.dynamodb().get_item(TableName=get_settings().idempotency_table_name,
                                       Key={"id": {"S": mail_limit.key(address)}},
                                       ConsistentRead=True).get("Item")
    return len(item["sent"]["L"]) if item else 0


def to(address: str) -> int:
    return sum(1 for m in sent() if m.to == [address])


def test_concurrent_deliveries_of_one_event_send_one_mail(ses):
    for n in range(ROUNDS):
        address = registered(f"ada{n}@example.com")
        (one,) = [record(mail.ACCESS_LINK, address)]
        outcomes = race(8, lambda _: mail_delivery.handle_sqs_records([one]))
        assert all(kind == "ok" for kind, _ in outcomes), outcomes
        assert to(address) == 1
        # The ones that lost while the winner was sending failed and are retried: nothing more.
        for _ in range(sum(1 for _, failed in outcomes if failed)):
            assert mail_delivery.handle_sqs_records([one]) == []
        assert to(address) == 1 and slots(address) == 1


def test_eight_workers_mailing_one_address_send_exactly_five(ses):
    for n in range(ROUNDS):
        victim = registered(f"victim{n}@example.com")
        events = [record(mail.ACCESS_LINK, victim) for _ in range(8)]
        outcomes = race(8, lambda i: mail_delivery.handle_sqs_records([events[i]]))
        assert outcomes == [("ok", [])] * 8  # none failed: the rest were suppressed, and done
        assert to(victim) == mail_limit.LIMIT and slots(victim) == mail_limit.LIMIT
        for event in events:  # redelivered, all of them: nothing more is sent
            assert mail_delivery.handle_sqs_records([event]) == []
        assert to(victim) == mail_limit.LIMIT


def test_eight_workers_mailing_eight_addresses_send_eight(ses):
    addresses = [registered(f"person{i}@example.com") for i in range(8)]
    outcomes = race(8, lambda i: mail_delivery.handle_sqs_records(
        [record(mail.ACCESS_LINK, addresses[i])]))
    assert outcomes == [("ok", [])] * 8
    assert sorted(m.to[0] for m in sent()) == sorted(addresses)


def test_a_burst_on_one_address_loses_nothing_for_the_others(ses):
    victim = registered(VICTIM)
    others = [f"other{i}@example.org" for i in range(8)]
    batches = [[record(mail.ACCESS_LINK, victim), record(mail.ADDRESS_CHANGED, others[i]),
                record(mail.SIGNUP_ATTEMPTED, victim)] for i in range(8)]
    outcomes = race(8, lambda i: mail_delivery.handle_sqs_records(batches[i]))
    assert outcomes == [("ok", [])] * 8
    assert to(victim) == mail_limit.LIMIT
    assert all(to(other) == 1 for other in others)
