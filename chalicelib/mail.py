"""Mail to professionals, the enqueueing side: routes put a small event on the mail queue and
never wait for SES (``chalicelib.mail_delivery``, the ``send_mail`` worker, sends it).

Routes call ``confirm_address``, ``access_link_requested``, ``signup_attempted`` or
``address_changed``: each only puts an event (a fresh event id, the kind, the address and the
professional's id when known) on the mail queue and never raises into the request. This module
imports neither ``professionals`` nor ``auth``: they import it.
"""
from __future__ import annotations

import json
import uuid

from chalicelib import clients, metrics
from chalicelib.logs import log
from chalicelib.settings import get_settings

CONFIRM_ADDRESS = "confirm_address"
ACCESS_LINK = "access_link"
SIGNUP_ATTEMPTED = "signup_attempted"
ADDRESS_CHANGED = "address_changed"
LINK_KINDS = (CONFIRM_ADDRESS, ACCESS_LINK, SIGNUP_ATTEMPTED)  # mails carrying an email token
KINDS = (*LINK_KINDS, ADDRESS_CHANGED)


def confirm_address(professional_id: str, email: str) -> None:
    """After an anonymous sign-up or a self-service change of email (to the new address)."""
    _enqueue(CONFIRM_ADDRESS, email, professional_id)


def access_link_requested(email: str) -> None:
    """For every well-formed address asked for; the worker mails only a registered one."""
    _enqueue(ACCESS_LINK, email)


def signup_attempted(email: str) -> None:
    """After an anonymous sign-up's 409 on the email: tell the address's owner."""
    _enqueue(SIGNUP_ATTEMPTED, email)


def address_changed(previous_email: str) -> None:
    """A verified record's email changed: a notice to the previous address (no link, no new
    address), sent to that address as given: no record holds it any more."""
    _enqueue(ADDRESS_CHANGED, previous_email)


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
