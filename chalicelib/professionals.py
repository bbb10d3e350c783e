"""Create, read, update and delete one professional, unique by e-mail and phone.

Uniqueness rests on guard items written in the same transaction as the professional, with
conditions; the e-mail/phone indexes are only for look-ups (they are eventually consistent).
"""
from __future__ import annotations

from typing import Any

from chalicelib import db, resumes, validation
from chalicelib.auth import ANONYMOUS, PARTNER, STAFF, TOKEN, Caller, can_see
from chalicelib.clock import new_id, now_iso
from chalicelib.errors import Conflict, Forbidden, NotFound, Unavailable, ValidationFailed
from chalicelib.logs import log
from chalicelib.models import GuardItem, ProfessionalItem, guard_pk, professional_pk
from chalicelib.settings import get_settings

UNIQUE_FIELDS = ("email", "phone")
OPTIONAL_FIELDS = ("email", "phone", "company_name", "job_title")


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
    }


def new_item(fields: dict[str, str | None], *, source: str, caller: Caller) -> ProfessionalItem:
    professional_id = new_id()
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


def create(body: Any, caller: Caller) -> ProfessionalItem:
    forced_source = source_for_create(body, caller)
    if caller.role == PARTNER and isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "source"}
    fields, descriptor = _clean_create(body)
    item = new_item(fields, source=forced_source or fields.get("source") or "internal",
                    caller=caller)
    if descriptor:
        resumes.begin_attempt(item, descriptor)
    actions = [db.Action("put", item, ProfessionalItem.pk.does_not_exist())]
    actions += [db.Action("put", GuardItem(pk=guard_pk(f, getattr(item, f)), owner_id=item.id),
                          GuardItem.pk.does_not_exist(), tag=f, return_old=True)
                for f in UNIQUE_FIELDS if getattr(item, f)]
    db.retrying(lambda: _transact(actions, caller), what="create")
    return item


def _clean_create(body: Any) -> tuple[dict[str, str | None], dict[str, Any] | None]:
    """The fields and the optional resume descriptor of a create body, every error at once."""
    raw_descriptor = None
    if isinstance(body, dict) and "resume" in body:
        body = dict(body)
        raw_descriptor = body.pop("resume")
    errors: dict[str, list[str]] = {}
    fields: dict[str, str | None] = {}
    descriptor = None
    try:
        fields = validation.clean(body, mode=validation.CREATE,
                                  default_region=get_settings().default_phone_region)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if raw_descriptor is not None:
        try:
            descriptor = resumes.parse_descriptor(raw_descriptor)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    return fields, descriptor


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
        if new.email is None and new.phone is None:
            raise ValidationFailed({f: ["A professional needs an email or a phone."]
                                    for f in UNIQUE_FIELDS if f in fields})
        if all(getattr(old, name) == value for name, value in fields.items()):
            return old
        new.updated_at = now_iso()
        new.version = old.version + 1
        _transact([db.Action("put", new, ProfessionalItem.version == old.version),
                   *guard_moves(old, new)], caller)
        return new

    return db.retrying(attempt, what="update")


def _clean_patch(body: Any, caller: Caller) -> dict[str, str | None]:
    """A PATCH body's fields; a partner may not set ``source`` (its records are ``partner``)."""
    errors: dict[str, list[str]] = {}
    if caller.role == PARTNER and isinstance(body, dict) and "source" in body:
        body = {k: v for k, v in body.items() if k != "source"}
        errors["source"] = ["A partner cannot change the source."]
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


def delete(professional_id: str, caller: Caller | None = None) -> ProfessionalItem:
    """Delete the professional and their resume files, and free their e-mail and phone."""
    unread = [get(professional_id, caller)]
    files = resumes.file_keys(unread[0])
    resumes.delete_keys(files)  # first: if S3 fails (503), the record is there for a retry

    def attempt() -> ProfessionalItem:
        item = unread.pop() if unread else get(professional_id, caller)  # a retry reads afresh
        db.transact([db.Action("delete", item, ProfessionalItem.version == item.version),
                     *guard_moves(item, None)])
        return item

    item = db.retrying(attempt, what="delete")
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
