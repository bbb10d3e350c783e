"""Create, read, update and delete one professional, unique by e-mail and phone.

Uniqueness rests on guard items written in the same transaction as the professional, with
conditions; the e-mail/phone indexes are only for look-ups (they are eventually consistent).
"""
from __future__ import annotations

import uuid
from typing import Any, Callable

from chalicelib import confirmation, consent, db, idempotency, mail, resumes, validation
from chalicelib.auth import ANONYMOUS, PARTNER, STAFF, TOKEN, Caller, can_see
from chalicelib.clock import new_id, now_iso
from chalicelib.errors import Conflict, Forbidden, NotFound, Unavailable, ValidationFailed
from chalicelib.history import actors
from chalicelib.logs import log
from chalicelib.models import GuardItem, ProfessionalItem, guard_pk, professional_pk
from chalicelib.settings import get_settings

UNIQUE_FIELDS = ("email", "phone")
OPTIONAL_FIELDS = ("email", "phone", "company_name", "job_title")
SELF_SERVICE_FIELDS = ("full_name", "phone", "company_name", "job_title", "email")


def to_resource(item: ProfessionalItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "full_name": item.full_name,
        "email": item.email,
        "phone": item.phone,
        "company_name": item.company_name,
        "job_title": item.job_title,
        "source": item.source,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "resume": item.resume,
        "email_verified": bool(item.email_verified),
        "consent": item.consent,
    }


def new_item(fields: dict[str, str | None], *, source: str, caller: Caller,
             professional_id: str | None = None) -> ProfessionalItem:
    professional_id = professional_id or new_id()
    now = now_iso()
    item = ProfessionalItem(
        pk=professional_pk(professional_id), id=professional_id, source=source,
        created_at=now, updated_at=now, list_key=f"{now}#{professional_id}", version=1,
        partner=caller.name if caller.role == PARTNER else None,
        partner_key_id=caller.key_id if caller.role == PARTNER else None)
    for name, value in fields.items():
        if name != "source":
            setattr(item, name, value)
    return item


def copy_item(item: ProfessionalItem) -> ProfessionalItem:
    return ProfessionalItem.from_raw_data(item.serialize())


def source_for_create(body: Any, caller: Caller) -> str | None:
    """The source a create will use, or None when the body's own (validated) value decides.

    Anonymous callers may only sign up as ``direct``: another valid source is a 403 (checked
    before validation, as the contract orders role checks first); partners are always ``partner``.
    """
    asked = body.get("source") if isinstance(body, dict) else None
    if caller.role in (ANONYMOUS, TOKEN):
        if asked in validation.SOURCES and asked != "direct":
            raise Forbidden("Anonymous sign-ups can only have the source 'direct'.")
        return "direct"
    if caller.role == PARTNER:
        return "partner"
    return None


def create(body: Any, caller: Caller, *, idempotency_record: str | None = None) -> ProfessionalItem:
    """A new professional. Under an Idempotency-Key its id is derived from the key's record, so
    that a retry after a crash (the record written, the response never kept) finds the record
    its first attempt wrote and answers with it instead of creating it again."""
    forced_source = source_for_create(body, caller)
    if caller.role == PARTNER and isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "source"}
    fields, descriptor, consent_record = _clean_create(body, caller)
    item = new_item(fields, source=forced_source or fields.get("source") or "internal",
                    caller=caller, professional_id=idempotency_record and derived_id(idempotency_record))
    item.idempotency_record = idempotency_record
    item.changed_by = actors.of(caller)
    confirmation.mark_new(item, consent_record, anonymous=caller.role in (ANONYMOUS, TOKEN))
    if descriptor:
        resumes.begin_attempt(item, descriptor)
    actions = [db.Action("put", item, ProfessionalItem.pk.does_not_exist(), tag="self")]
    actions += [db.Action("put", GuardItem(pk=guard_pk(f, getattr(item, f)), owner_id=item.id),
                          GuardItem.pk.does_not_exist(), tag=f, return_old=True)
                for f in UNIQUE_FIELDS if getattr(item, f)]
    try:
        db.retrying(lambda: _transact(actions, caller), what="create")
    except (Conflict, db.StoreUnavailable) as exc:
        earlier = idempotency_record and db.get(professional_pk(item.id))
        if isinstance(earlier, ProfessionalItem) and earlier.idempotency_record == idempotency_record:
            return earlier
        if caller.role in (ANONYMOUS, TOKEN) and isinstance(exc, Conflict):
            confirmation.signup_refused(exc, item)
        raise
    if caller.role in (ANONYMOUS, TOKEN):
        mail.confirm_address(item.id, item.email)
    return item


def derived_id(idempotency_record: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"idempotency:{idempotency_record}").hex


def _clean_create(body: Any, caller: Caller) -> tuple[dict[str, str | None],
                                                    dict[str, Any] | None, dict[str, str] | None]:
    """The fields, the optional resume descriptor and the consent of a create body, every error
    at once. An anonymous sign-up needs ``"consent": true`` and an email (the address it is
    confirmed through)."""
    raw_descriptor = raw_consent = None
    if isinstance(body, dict) and ("resume" in body or "consent" in body):
        body = dict(body)
        raw_descriptor = body.pop("resume", None)
        raw_consent = body.pop("consent", None)
    anonymous = caller.role in (ANONYMOUS, TOKEN)
    errors: dict[str, list[str]] = {}
    fields: dict[str, str | None] = {}
    descriptor = consent_record = None
    try:
        fields = validation.clean(body, mode=validation.CREATE,
                                  default_region=get_settings().default_phone_region)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    given = body.get("email") if isinstance(body, dict) else None
    if anonymous and isinstance(body, dict) and not (isinstance(given, str) and given.strip()) \
            and "email" not in errors:
        errors["email"] = ["Required to sign up: we send a link to confirm it."]
    if raw_descriptor is not None:
        try:
            descriptor = resumes.parse_descriptor(raw_descriptor)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if isinstance(body, dict):
        try:
            consent_record = consent.record(raw_consent, required=anonymous)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    return fields, descriptor, consent_record


def get(professional_id: str, caller: Caller | None = None) -> ProfessionalItem:
    """The professional, or 404; to a partner, anyone else's record is missing alike (the
    same read, then the same answer)."""
    item = db.get(professional_pk(professional_id))
    if not isinstance(item, ProfessionalItem) or not can_see(caller, item):
        raise NotFound(f"No professional with id '{professional_id}'.")
    return item


def patch(professional_id: str, body: Any, caller: Caller) -> ProfessionalItem:
    fields = _clean_patch(body, caller)

    def attempt() -> ProfessionalItem:
        old = get(professional_id, caller)
        new = copy_item(old)
        for name, value in fields.items():
            setattr(new, name, value)
        confirmation.email_changed(old, new)
        if new.email is None and new.phone is None:
            raise ValidationFailed({f: ["A professional needs an email or a phone."]
                                    for f in UNIQUE_FIELDS if f in fields})
        if all(getattr(old, name) == value for name, value in fields.items()):
            return old
        new.updated_at = now_iso()
        new.version = old.version + 1
        new.changed_by = actors.of(caller)
        _transact([db.Action("put", new, ProfessionalItem.version == old.version),
                   *guard_moves(old, new)], caller)
        written.append(old)
        return new

    written: list[ProfessionalItem] = []
    item = db.retrying(attempt, what="update")
    if written and written[-1].email != item.email:
        email_moved(written[-1])
        if caller.role == TOKEN:
            mail.confirm_address(item.id, item.email)  # the person's own new address: prove it
    return item


def email_moved(before: ProfessionalItem) -> None:
    """A record's email changed (by anyone): a verified previous address hears of it, so the
    owner of a mailbox learns when their record is moved away from it."""
    if before.email and before.email_verified:
        mail.address_changed(before.email)


def _clean_patch(body: Any, caller: Caller) -> dict[str, str | None]:
    """A PATCH body's fields; a partner may not set ``source`` (its records are ``partner``), the
    person with an access token only their own details, and never clear their email."""
    errors: dict[str, list[str]] = {}
    if caller.role == PARTNER and isinstance(body, dict) and "source" in body:
        body = {k: v for k, v in body.items() if k != "source"}
        errors["source"] = ["A partner cannot change the source."]
    if caller.role == TOKEN and isinstance(body, dict):
        errors.update({str(k): ["You cannot change this field."] for k in body
                       if k not in SELF_SERVICE_FIELDS})
        body = {k: v for k, v in body.items() if k in SELF_SERVICE_FIELDS}
        if "email" in body and not (isinstance(body["email"], str) and body["email"].strip()):
            errors["email"] = ["Cannot be cleared: it is how you reach your record."]
            body.pop("email")
    try:
        fields = validation.clean(body, mode=validation.PATCH,
                                  default_region=get_settings().default_phone_region)
    except ValidationFailed as exc:
        if not errors:
            raise
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    return fields


def guard_moves(old: ProfessionalItem | None, new: ProfessionalItem | None) -> list[db.Action]:
    """Guard writes that take a professional from old to new (either may be None)."""
    actions = []
    for field in UNIQUE_FIELDS:
        before = getattr(old, field) if old else None
        after = getattr(new, field) if new else None
        if before == after:
            continue
        if before:
            actions.append(db.Action("delete", GuardItem(pk=guard_pk(field, before)),
                                     GuardItem.owner_id == old.id))
        if after:
            actions.append(db.Action("put", GuardItem(pk=guard_pk(field, after), owner_id=new.id),
                                     GuardItem.pk.does_not_exist(), tag=field, return_old=True))
    return actions


def delete(professional_id: str, caller: Caller | None = None, *,
           only_if: Callable[[ProfessionalItem], bool] | None = None,
           by: dict[str, Any] | None = None) -> ProfessionalItem | None:
    """Erase the professional: the record, their resume files, their e-mail and phone (freed);
    the search entries follow through the table's stream, and so does its history, told who
    deleted (``by``, else the caller) by a marker written in the delete's own transaction.
    ``only_if`` (the purge) erases only while the record, read afresh, still passes it, and
    returns None otherwise."""
    actor = by or actors.of(caller)
    unread = [get(professional_id, caller)]
    if only_if is not None and not only_if(unread[0]):
        return None
    files = resumes.file_keys(unread[0])
    resumes.delete_keys(files)  # first: if S3 fails (503), the record is there for a retry

    def attempt() -> ProfessionalItem | None:
        item = unread.pop() if unread else get(professional_id, caller)  # a retry reads afresh
        if only_if is not None and not only_if(item):
            return None  # confirmed in between (a race of milliseconds at a 30-day deadline)
        db.transact([db.Action("delete", item, ProfessionalItem.version == item.version),
                     *guard_moves(item, None)],
                    raw=[actors.delete_marker(item.id, actor, now_iso())])
        return item

    item = db.retrying(attempt, what="delete")
    if item is None:
        return None
    try:
        idempotency.forget(item)  # its kept 201 holds the person's data
    except Exception:  # the record is gone; the kept response expires within 24 hours anyway
        log.exception("could not forget the kept response", id=item.id)
    late = resumes.file_keys(item) - files  # a resume that became ready in between
    if late:
        try:
            resumes.delete_keys(late)
        except Unavailable:  # the record is gone; a 503 now would only make a retry 404
            log.exception("could not delete resume files", id=item.id)
    return item


def find_by(field: str, value: str) -> ProfessionalItem | None:
    """Look-up through the e-mail or phone index (0 or 1 item)."""
    index = ProfessionalItem.by_email if field == "email" else ProfessionalItem.by_phone
    found = db.query(index, value, limit=1)
    return found[0] if found else None


def conflict_entry(field: str, owner_id: str | None, caller: Caller) -> dict[str, str]:
    entry = {"field": field}
    if caller.role == STAFF and owner_id:
        entry["id"] = owner_id
    return entry


def _transact(actions: list[db.Action], caller: Caller) -> None:
    """The write; a guard that is taken is a 409 naming the field, any other cancellation (a
    concurrent writer) goes back to db.retrying."""
    try:
        db.transact(actions)
    except db.Cancelled as cancelled:
        _raise_if_taken(cancelled, caller)
        raise


def _raise_if_taken(cancelled: db.Cancelled, caller: Caller) -> None:
    conflicts = []
    for action, code, raw in cancelled.failed:
        if code == "ConditionalCheckFailed" and action.tag in UNIQUE_FIELDS:
            owner = raw.get("owner_id", {}).get("S") if raw else None
            conflicts.append(conflict_entry(action.tag, owner, caller))
    if conflicts:
        raise Conflict(conflicts)
