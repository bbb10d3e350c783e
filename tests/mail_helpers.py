"""The mail queue and SES on moto in-process: create them, run the queue into the ``send_mail``
handler the way Lambda's event source mapping does, and read back what SES sent."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

MAIL_QUEUE = "professionals-mail-test"
LINK = re.compile(r"(\S+/me\?token=\S+)")


def provision() -> str:
    """The mail queue (the worker's), the sender identity verified on SES; sets MAIL_QUEUE_URL.

    Callers run inside ``mock_aws`` and restore the environment (the ``table_env`` fixture).
    """
    from chalicelib import clients
    from chalicelib.settings import get_settings
    url = clients.sqs().create_queue(QueueName=MAIL_QUEUE,
                                     Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    os.environ["MAIL_QUEUE_URL"] = url
    clients.ses().verify_email_identity(EmailAddress=get_settings().mail_from)
    return url


@dataclass(frozen=True)
class Mail:
    to: list[str]
    source: str
    subject: str
    body: str

    @property
    def link(self) -> str:
        found = LINK.findall(self.body)
        assert len(found) == 1, self.body
        return found[0]

    @property
    def token(self) -> str:
        return parse_qs(urlparse(self.link).query)["token"][0]


def sent() -> list[Mail]:
    """Everything moto's SES accepted so far, oldest first (text-only mails keep their text)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends
    backend = ses_backends[DEFAULT_ACCOUNT_ID][os.environ.get("AWS_DEFAULT_REGION", "us-east-1")]
    return [Mail(m.destinations["ToAddresses"], m.source, m.subject, m.body)
            for m in backend.sent_messages]


def receive(max_messages: int = 10) -> list[dict]:
    """Messages waiting in the mail queue, as Lambda hands them over (``messageId``, ``body``)."""
    from chalicelib import clients
    answer = clients.sqs().receive_message(QueueUrl=os.environ["MAIL_QUEUE_URL"],
                                           MaxNumberOfMessages=max_messages, WaitTimeSeconds=0)
    return [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
             "eventSource": "aws:sqs", "attributes": {}, "messageAttributes": {}}
            for m in answer.get("Messages", [])]


def deliver(client) -> list[str]:
    """One poll of the mail queue into ``send_mail`` (chalice.test.Client), as Lambda's SQS event
    source with ReportBatchItemFailures does: the records that succeeded are deleted, the failed
    ones become visible again at once (instead of after the visibility timeout). Returns the
    failed message ids."""
    from chalicelib import clients
    records = receive()
    if not records:
        return []
    payload = client.lambda_.invoke("send_mail", {"Records": records}).payload
    failed = {f["itemIdentifier"] for f in payload["batchItemFailures"]}
    sqs, url = clients.sqs(), os.environ["MAIL_QUEUE_URL"]
    for record in records:
        if record["messageId"] in failed:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=record["receiptHandle"],
                                          VisibilityTimeout=0)
        else:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])
    return sorted(failed)


def ses_error(code: str, message: str) -> tuple:
    """What a ``before-call.ses.SendEmail`` hook returns to answer instead of sending (botocore's
    Stubber does the same): SES's error ``code``, as a parsed 400 response."""
    import botocore.awsrequest
    return (botocore.awsrequest.AWSResponse("https://email.us-east-1.amazonaws.com", 400, {}, None),
            {"Error": {"Code": code, "Message": message},
             "ResponseMetadata": {"HTTPStatusCode": 400}})


def waiting() -> int:
    from chalicelib import clients
    attrs = clients.sqs().get_queue_attributes(
        QueueUrl=os.environ["MAIL_QUEUE_URL"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attrs["Attributes"].values())
