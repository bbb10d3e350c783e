"""Proof of address: what a sign-up records, and the mailed link's exchange for a session.

An anonymous sign-up starts unconfirmed: ``email_verified`` false, and the two attributes of the
sparse ``by_unconfirmed`` index (chalicelib/purge.py erases it if nobody confirms the address
within ``CONFIRM_WITHIN``). ``POST /sessions`` with the mailed email token confirms it. Any change
of the email, by anyone, makes it unverified again (a record that was confirmed once is no
longer a purge candidate: the purge is for sign-ups nobody ever confirmed).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from chalicelib import auth, db, mail, validation
from chalicelib.clock import iso, now_iso, parse_iso
from chalicelib.errors import BadRequest, Conflict, ValidationFailed
from chalicelib.history import actors
from chalicelib.models import ProfessionalItem, UsedLinkItem, professional_pk, used_link_pk

CONFIRM_WITHIN = timedelta(days=30)
UNCONFIRMED = "signup"  # the by_unconfirmed partition: every unconfirmed anonymous sign-up


def mark_new(item: ProfessionalItem, consent: dict[str, str] | None, *, anonymous: bool) -> None:
    item.consent = consent
    item.email_verified = False
    if anonymous:
        item.unconfirmed = UNCONFIRMED
        item.confirm_by = confirm_by(parse_iso(item.created_at))


def confirm_by(created: datetime) -> str:
    return iso(created + CONFIRM_WITHIN)


def signup_refused(conflict: Conflict, item: ProfessionalItem) -> None:
    """An anonymous sign-up's 409 on the email: tell the address's owner (it may be them)."""
    if any(c["field"] == "email" for c in conflict.conflicts):
        mail.signup_attempted(item.email)


def email_changed(old: ProfessionalItem | None, new: ProfessionalItem) -> None:
    """A new address is unproven, whoever set it."""
    if old is None or old.email != new.email:
        new.email_verified = False


def open_session(body: Any) -> tuple[ProfessionalItem, str]:
    """``POST /sessions``: the professional an email token names, with its address now verified,
    and a fresh access token. A link opens once: the token's id is marked used in the same
    transaction. Proving an address that was not verified starts a new credential generation:
    whoever held a token before (someone who signed up with another person's address, say)
    loses it, and the token returned here is of the new generation."""
    link = auth.open_email_token(_only_field(body, "token", str))
    used = UsedLinkItem(pk=used_link_pk(link.token_id), expires_at=link.expires)

    def attempt() -> ProfessionalItem:
        item = db.get(professional_pk(link.professional_id))
        if not isinstance(item, ProfessionalItem) or not link.opens(item):
            # Erased, recreated, revoked, or the address changed since the link was sent.
            raise BadRequest(auth.DEAD_LINK)
        actions = [db.Action("put", used, UsedLinkItem.pk.does_not_exist(), tag="link")]
        if not (item.email_verified and item.unconfirmed is None):
            before = item.version
            if not item.email_verified:
                item.credential_generation = auth.generation(item) + 1
            item.email_verified = True
            item.unconfirmed = item.confirm_by = None
            item.version, item.updated_at = before + 1, now_iso()
            item.changed_by = actors.of(auth.Caller(role=auth.TOKEN))  # the person, by the link
            actions.append(db.Action("put", item, ProfessionalItem.version == before))
        try:
            db.transact(actions)
        except db.Cancelled as cancelled:
            if any(action.tag == "link" and code == "ConditionalCheckFailed"
                   for action, code, _ in cancelled.failed):
                raise BadRequest("This link was used already; ask for a new one.") from None
            raise
        return item

    item = db.retrying(attempt, what="confirm address")
    return item, auth.issue_access_token(item)


def request_access_link(body: Any) -> None:
    """``POST /access-links``: the same work for every well-formed address, registered or not
    (the mail worker looks it up), so neither the answer nor its timing tells which it is."""
    email = _only_field(body, "email", validation.normalise_email)
    mail.access_link_requested(email)


def _only_field(body: Any, name: str, clean: Callable[[str], str]) -> str:
    """The one string field of a small body, cleaned; a validation_error naming what is wrong."""
    if not isinstance(body, dict):
        raise ValidationFailed({"body": ["Must be a JSON object."]}, "Expected a JSON object.")
    errors = {str(k): ["Unknown field."] for k in body if k != name}
    raw = body.get(name)
    try:
        if not isinstance(raw, str) or not raw.strip():
            raise ValueError("Required: a non-empty string.")
        value = clean(raw)
    except ValueError as exc:
        errors[name] = [str(exc)]
    if errors:
        raise ValidationFailed(errors)
    return value
