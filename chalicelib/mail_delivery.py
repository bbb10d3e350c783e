"""Mail to professionals, the sending side: the ``send_mail`` Lambda (or the local stack's mail
worker) takes the events ``chalicelib.mail`` queued, looks the person up, mints the email token,
checks the address's hourly limit (``chalicelib.mail_limit``) and sends through Amazon SES.

A message that fails (SES throttled or down, the store unreachable) is reported back to SQS,
delivered again later and, after the queue's maxReceiveCount, parked in the mail dead-letter
queue. Each event is sent once: the idempotency table (Powertools' idempotency utility, key
prefix ``mail``) remembers sent event ids, so a redelivery after a successful send (or a
suppression) sends nothing again and takes no second slot of the limit, and a send that failed
leaves no record behind.
"""
from __future__ import annotations

import functools
import json
from typing import Any
from urllib.parse import quote

from botocore.exceptions import ClientError

from chalicelib import auth, clients, mail_limit, metrics, professionals
from chalicelib.errors import NotFound
from chalicelib.logs import log
from chalicelib.mail import ACCESS_LINK, ADDRESS_CHANGED, CONFIRM_ADDRESS, KINDS, SIGNUP_ATTEMPTED
from chalicelib.settings import get_settings
from chalicelib.stats import counters as stats

IDEMPOTENCY_PREFIX = "mail"
# Longer than SQS keeps a message (14 days at most), so a late redelivery or a replay from the
# dead-letter queue still finds the event's record.
SENT_EVENTS_KEPT_SECONDS = 15 * 24 * 3600

_SUBJECTS = {
    CONFIRM_ADDRESS: "Confirm your email address",
    ACCESS_LINK: "Your link to see and manage your details",
    SIGNUP_ATTEMPTED: "Someone tried to sign up with your email address",
    ADDRESS_CHANGED: "The email address on your record was changed",
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
# The notice names no new address and carries no link that opens the record: whoever moved the
# record away may be reading along, and a link here would hand the record back to this mailbox
# without proof that it is still its owner's.
_NOTICE = ("Hello,\n\nThe email address on your record with us was changed, so mail about the "
           "record no longer comes to this address.\n\nIf you made this change, there is "
           "nothing to do.\n\nIf you did not, someone else may have changed your details: tell "
           "the organisation that holds your record. You can also sign up again with this "
           "address at {app_url}\n\nThis mail carries no link to your record, and no one will "
           "ask you for a password.\n")


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
    """Render and send one event's mail; returns ``{"sent": <SES message id> | None}`` (and
    ``"suppressed": True`` when the address had its hour's mails)."""
    kind, event_id = message["kind"], message["event_id"]
    email, item = _addressee(kind, message.get("email") or "", message.get("professional_id"))
    if not email:
        log.info("mail skipped", kind=kind, event_id=event_id)
        return {"sent": None}
    # Rendered (the token minted) before a slot is taken: a failure here costs the address none.
    subject, text = render(kind, link(item) if item is not None else None)
    slot = mail_limit.take(email)
    if slot is None:
        # Neither the address nor a digest of it is logged: the event id leads to the rest.
        log.info("mail suppressed: the address had its hourly limit of mails", kind=kind,
                 event_id=event_id, limit=mail_limit.LIMIT)
        metrics.emit({"MailSuppressed": 1}, Kind=kind)
        _count(event_id, stats.MAILS_SUPPRESSED)
        return {"sent": None, "suppressed": True}
    try:
        answer = clients.ses().send_email(
            Source=get_settings().mail_from,
            Destination={"ToAddresses": [_ascii_address(email)]},
            Message={"Subject": {"Data": subject, "Charset": "UTF-8"},
                     "Body": {"Text": {"Data": text, "Charset": "UTF-8"}}})
    except Exception:
        mail_limit.give_back(email, slot)  # SES did not take it: the retry may use the slot
        raise
    log.info("mail sent", kind=kind, event_id=event_id,
             professional_id=item.id if item is not None else None,
             ses_message_id=answer.get("MessageId"))
    metrics.emit({"MailSent": 1}, Kind=kind)
    _count(event_id, stats.MAILS_SENT)
    return {"sent": answer.get("MessageId")}


def _count(event_id: str, counter: str) -> None:
    """Today's counter, once per event (a marker keyed by the event id: a second run of this
    event, after a crash between the send and Powertools' record, counts nothing)."""
    stats.count_once(f"mail#{event_id}", stats.today(), {counter: 1}, what="mail")


def _addressee(kind: str, email: str, professional_id: str | None) -> tuple[str | None, Any]:
    """(the address the mail goes to, the professional its link opens), or (None, None)."""
    if kind == ADDRESS_CHANGED:
        return (email or None), None  # the previous address: no record holds it any more
    item = _recipient(kind, email, professional_id)
    return (item.email, item) if item is not None else (None, None)


def _recipient(kind: str, email: str, professional_id: str | None) -> Any:
    """Who gets the mail now (the professional, whose address it goes to), or None."""
    if kind == CONFIRM_ADDRESS and professional_id:
        try:
            item = professionals.get(professional_id)
        except NotFound:
            return None  # erased before the mail went out
        # Changed again since: that change queued its own confirmation.
        return item if item.email == email else None
    return professionals.find_by("email", email) if email else None


def link(item: Any) -> str:
    token = auth.issue_email_token(item)
    return f"{get_settings().app_url}/me?token={quote(token, safe='')}"


def render(kind: str, url: str | None = None) -> tuple[str, str]:
    """(subject, plain-text body) of a kind of mail; the kinds of ``mail.LINK_KINDS`` carry
    ``url``, the email-change notice none."""
    if kind == ADDRESS_CHANGED:
        return _SUBJECTS[kind], _NOTICE.format(app_url=get_settings().app_url)
    return _SUBJECTS[kind], f"Hello,\n\n{_OPENINGS[kind]}\n\n{url}\n\n{_CLOSING}\n"


def _ascii_address(email: str) -> str:
    """SES wants the domain in its ASCII (punycode) form; a non-ASCII local part it refuses."""
    local, _, domain = email.rpartition("@")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return email
