"""The local stack's mail parts against a real moto server: reading back what SES sent (the
viewer's source), the page, and the mail worker's terminal line per mail."""
from __future__ import annotations

import json
import logging
import socket
import urllib.request

import boto3
import pytest
from moto.server import ThreadedMotoServer

from infra.local import mail_worker, mailbox
from infra.local.workers import Handler

SENDER = "no-reply@professionals.local"


@pytest.fixture
def moto_server(monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    # moto's backends live in this process, shared by every server: start from nothing.
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SES", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.setenv(name, url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    yield url
    server.stop()


def ses(url: str):
    client = boto3.client("ses", endpoint_url=url, region_name="us-east-1")
    client.verify_email_identity(EmailAddress=SENDER)
    return client


def send(client, to: str, subject: str, text: str) -> str:
    return client.send_email(Source=SENDER, Destination={"ToAddresses": [to]}, Message={
        "Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}})["MessageId"]


def test_the_outbox_is_what_moto_server_sent_oldest_first(moto_server):
    client = ses(moto_server)
    assert mailbox.outbox() == []
    first = send(client, "ada@example.com", "One", "Open\n\nhttp://127.0.0.1:8000/me?token=a.b\n")
    send(client, "grace@example.com", "Two", "No link here.")
    mails = mailbox.outbox()
    assert [(m.id, m.to, m.subject) for m in mails][0] == (first, ["ada@example.com"], "One")
    assert [m.to for m in mails] == [["ada@example.com"], ["grace@example.com"]]
    assert mails[0].links == ["http://127.0.0.1:8000/me?token=a.b"] and mails[1].links == []
    assert mails[0].to_dict()["links"] == mails[0].links
    assert mailbox.line(mails[0]) == \
        "mail to ada@example.com: 'One' http://127.0.0.1:8000/me?token=a.b"


def test_an_endpoint_that_keeps_no_outbox_is_said_so(monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    assert mailbox.outbox(closed) is None
    assert "Cannot read the sent mail" in mailbox.page(None, closed)


def test_the_page_escapes_the_mail_and_makes_its_links_clickable(moto_server):
    client = ses(moto_server)
    send(client, "ada@example.com", "<script>alert(1)</script>",
         "Hi <b>you</b>\nhttp://127.0.0.1:8000/me?token=x&y=1\n")
    page = mailbox.page(mailbox.outbox(), moto_server)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;you&lt;/b&gt;" in page
    assert '<a href="http://127.0.0.1:8000/me?token=x&amp;y=1">' in page
    assert "Sent mail (1)" in page


def test_the_mail_worker_prints_a_line_per_new_mail_after_a_batch(moto_server, monkeypatch,
                                                                  caplog):
    client = ses(moto_server)
    send(client, "old@example.com", "Before the worker", "http://x/me?token=old")
    sqs = boto3.client("sqs", endpoint_url=moto_server, region_name="us-east-1")
    url = sqs.create_queue(QueueName="mail-test")["QueueUrl"]

    def sender(records):  # stands in for send_mail: sends one mail per record
        for record in records:
            body = json.loads(record["body"])
            send(client, body["email"], "Confirm your email address",
                 f"Open:\n\nhttp://127.0.0.1:8000/me?token={body['event_id']}\n")
        return []

    monkeypatch.setattr(mail_worker, "find_handler", lambda: Handler("test", sender, 10))
    worker = mail_worker.MailWorker(url, region="us-east-1", sqs=sqs)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(
        {"event_id": "e1", "kind": "confirm_address", "email": "ada@example.com",
         "professional_id": "p1"}))
    with caplog.at_level(logging.INFO):
        assert worker.poll_once(wait_seconds=1) == 1
        assert worker.poll_once(wait_seconds=0) == 0
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("mail to ")]
    assert lines == ["mail to ada@example.com: 'Confirm your email address' "
                     "http://127.0.0.1:8000/me?token=e1"]  # not the one from before it started
    received = [r.getMessage() for r in caplog.records if r.getMessage().startswith("received")]
    assert received and "mail confirm_address (event e1)" in received[0]


def test_the_mail_worker_runs_the_app_sender_and_says_when_the_limit_suppressed_a_mail(
        moto_server, monkeypatch, caplog):
    from chalicelib import clients
    from infra import resources
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.setenv("STAGE", "test")
    monkeypatch.setenv("TABLE_NAME", "local-mail-test")
    clients.reset()
    try:
        resources.create_app_tables()  # the sender's idempotency table (sent events, limits)
        ses(moto_server)
        sqs = boto3.client("sqs", endpoint_url=moto_server, region_name="us-east-1")
        url = sqs.create_queue(QueueName="mail-limit-test")["QueueUrl"]
        worker = mail_worker.MailWorker(url, region="us-east-1", sqs=sqs)  # app.py's send_mail
        for n in range(6):
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(
                {"event_id": f"e{n}", "kind": "address_changed", "email": "ada@example.com",
                 "professional_id": None}))
        with caplog.at_level(logging.INFO):
            while worker.poll_once(wait_seconds=0):
                pass
    finally:
        clients.reset()
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("mail to ")]
    sent_lines = [line for line in lines if ": 'The email address on your record was changed'"
                  in line]
    suppressed = [line for line in lines if "suppressed" in line]
    assert len(sent_lines) == 5 and len(lines) == 6
    assert all(line.startswith("mail to ada@example.com: ") for line in sent_lines)
    (line,) = suppressed
    assert line.startswith("mail to ada@example.com suppressed by the per-address hourly limit: "
                           "address_changed (event e")
    assert len(mailbox.outbox()) == 5
