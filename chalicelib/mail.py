"""Mail to professionals (Amazon SES), sent from a queue so that no request waits for it.

Routes call ``confirm_address``, ``access_link_requested`` or ``signup_attempted``: each only puts
a small event (a fresh event id, the kind, the address and the professional's id when known) on
the mail queue and never raises into the request. ``handle_sqs_records`` (the ``send_mail``
Lambda, or the local stack's worker) looks the person up, mints the email token and sends.

A message that fails (SES throttled or down, the store unreachable) is reported back to SQS,
delivered again later and, after the queue's maxReceiveCount, parked in the mail dead-letter
queue. Each event is sent once: the idempotency table (Powertools' idempotency utility, key
prefix ``mail``) remembers sent event ids, so a redelivery after a successful send sends nothing
again, and a send that failed leaves no record behind.
"""
from __future__ import annotations

import functools
import json
import uuid
from typing import Any
from urllib.parse import quote

from botocore.exceptions import ClientError

from chalicelib import clients, metrics
from chalicelib.logs import log
from chalicelib.settings import get_settings

CONFIRM_ADDRESS = "confirm_address"
ACCESS_LINK = "access_link"
SIGNUP_ATTEMPTED = "signup_attempted"
KINDS = (CONFIRM_ADDRESS, ACCESS_LINK, SIGNUP_ATTEMPTED)

IDEMPOTENCY_PREFIX = "mail"
# Longer than SQS keeps a message (14 days at most), so a late redelivery or a replay from the
# dead-letter queue still finds the event's record.
SENT_EVENTS_KEPT_SECONDS = 15 * 24 * 3600

_SUBJECTS = {
    CONFIRM_ADDRESS: "Confirm your email address",
    ACCESS_LINK: "Your link to see and manage your details",
    SIGNUP_ATTEMPTED: "Someone tried to sign up with your email address",
}
_OPENINGS = {
    CONFIRM_ADDRESS: "You signed up, or changed your email address to this one. Open this link "
                     "to confirm the address and to see, correct or delete your details:",
    ACCESS_LINK: "Someone (we hope you) asked for a link to your details. Open it to see, "
                 "correct or delete them:",
    SIGNUP_ATTEMPTED: "Someone just tried to sign up with this email address, which is already "
                      "registered with us. If it was you, open this link to see, correct or "
                      "delete your details:",
}
_CLOSING = ("The link works for 7 days and only for this address. If you did not ask for it, "
            "you can ignore this mail: nothing changes unless the link is opened.")


# -- enqueue (called by routes) -------------------------------------------------------------

def confirm_address(professional_id: str, email: str) -> None:
    """After an anonymous sign-up or a self-service change of email (to the new address)."""
    _enqueue(CONFIRM_ADDRESS, email, professional_id)


def access_link_requested(email: str) -> None:
    """For every well-formed address asked for; the worker mails only a registered one."""
    _enqueue(ACCESS_LINK, email)


def signup_attempted(email: str) -> None:
    """After an anonymous sign-up's 409 on the email: tell the address's owner."""
    _enqueue(SIGNUP_ATTEMPTED, email)


def _enqueue(kind: str, email: str, professional_id: str | None = None) -> None:
    event_id = str(uuid.uuid4())
    message = {"event_id": event_id, "kind": kind, "email": email,
               "professional_id": professional_id}
    try:
        clients.sqs().send_message(QueueUrl=get_settings().mail_queue_url,
                                   MessageBody=json.dumps(message))
    except Exception:  # the request succeeds without its mail; the log and metric say so
        log.warning("mail not queued", exc_info=True, kind=kind, event_id=event_id)
        metrics.emit({"MailEnqueueFailed": 1}, Kind=kind)


# -- worker -----------------------------------------------------------------------------------

def handle_sqs_records(records: list[dict[str, Any]]) -> list[str]:
    """Send the mail of each SQS record (Lambda's shape: messageId, body); returns the failed ids.

    A failed record goes back to the queue alone and is retried; the others are done.
    """
    failed = []
    for record in records:
        try:
            send_once(json.loads(record["body"]))
        except ClientError as exc:
            # SES's messages name the addresses they refuse: the log keeps the error code only.
            log.warning("mail not sent; SQS will deliver it again",
                        message_id=record.get("messageId"), operation=exc.operation_name,
                        error_code=exc.response.get("Error", {}).get("Code"))
            failed.append(_failed(record))
        except Exception:
            log.warning("mail not sent; SQS will deliver it again", exc_info=True,
                        message_id=record.get("messageId"))
            failed.append(_failed(record))
    return failed


def _failed(record: dict[str, Any]) -> str:
    metrics.emit({"MailSendFailed": 1})
    return record.get("messageId")


def send_once(message: dict[str, Any]) -> dict[str, Any]:
    """``send`` guarded by the event id: a second delivery returns the first one's result."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    if message.get("kind") not in KINDS or not message.get("event_id"):
        raise ValueError(f"not a mail event: kind={message.get('kind')!r}")
    config = IdempotencyConfig(event_key_jmespath="event_id", raise_on_no_idempotency_key=True,
                               expires_after_seconds=SENT_EVENTS_KEPT_SECONDS)
    # A worker that dies mid-send leaves its record INPROGRESS: it stops blocking the event's
    # next delivery after this long (the mail Lambda's timeout is shorter).
    config.register_lambda_context(_SendDeadline())
    guarded = idempotent_function(send, data_keyword_argument="message",
                                  persistence_store=_sent_events(), config=config,
                                  key_prefix=IDEMPOTENCY_PREFIX)
    return guarded(message=message)


class _SendDeadline:
    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def _sent_events() -> Any:
    """The idempotency table's Powertools layer, this worker's own instance: a layer keeps the
    first configuration it is given (key path, expiry), so the Idempotency-Key routes' instance
    (``idempotency.persistence_store()``, keyed on another path) cannot be shared."""
    return _layer(get_settings().idempotency_table_name, clients.dynamodb())


@functools.lru_cache(maxsize=8)
def _layer(table_name: str, client: Any) -> Any:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    return DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)


def send(message: dict[str, Any]) -> dict[str, Any]:
    """Render and send one event's mail; returns ``{"sent": <SES message id> | None}``."""
    kind, event_id = message["kind"], message["event_id"]
    item = _recipient(kind, message.get("email") or "", message.get("professional_id"))
    if item is None:
        log.info("mail skipped", kind=kind, event_id=event_id)
        return {"sent": None}
    professional_id, email = item.id, item.email
    subject, text = render(kind, link(item))
    settings = get_settings()
    answer = clients.ses().send_email(
        Source=settings.mail_from,
        Destination={"ToAddresses": [_ascii_address(email)]},
        Message={"Subject": {"Data": subject, "Charset": "UTF-8"},
                 "Body": {"Text": {"Data": text, "Charset": "UTF-8"}}})
    log.info("mail sent", kind=kind, event_id=event_id, professional_id=professional_id,
             ses_message_id=answer.get("MessageId"))
    metrics.emit({"MailSent": 1}, Kind=kind)
    return {"sent": answer.get("MessageId")}


def _recipient(kind: str, email: str, professional_id: str | None) -> Any:
    """Who gets the mail now (the professional, whose address it goes to), or None."""
    from chalicelib import professionals
    from chalicelib.errors import NotFound

    if kind == CONFIRM_ADDRESS and professional_id:
        try:
            item = professionals.get(professional_id)
        except NotFound:
            return None  # erased before the mail went out
        # Changed again since: that change queued its own confirmation.
        return item if item.email == email else None
    return professionals.find_by("email", email) if email else None


def link(item: Any) -> str:
    from chalicelib import auth

    token = auth.issue_email_token(item)
    return f"{get_settings().app_url}/me?token={quote(token, safe='')}"


def render(kind: str, url: str) -> tuple[str, str]:
    """(subject, plain-text body) of a kind of mail carrying ``url``."""
    return _SUBJECTS[kind], f"Hello,\n\n{_OPENINGS[kind]}\n\n{url}\n\n{_CLOSING}\n"


def _ascii_address(email: str) -> str:
    """SES wants the domain in its ASCII (punycode) form; a non-ASCII local part it refuses."""
    local, _, domain = email.rpartition("@")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return email
