"""Field rules shared by create, PATCH and bulk rows: trimming, e-mail and phone normalisation."""
from __future__ import annotations

import unicodedata
from typing import Any

from chalicelib import unicode_scripts
from chalicelib.errors import BadRequest

SOURCES = ("direct", "partner", "internal")
WRITABLE_FIELDS = ("full_name", "email", "phone", "company_name", "job_title", "source")
MAX_TEXT = 200
MAX_EMAIL = 254
_MAX_EMAIL_INPUT = 4 * MAX_EMAIL  # an NFD spelling is longer than its NFC form
MAX_PHONE_INPUT = 40

CREATE, PATCH, BULK = "create", "patch", "bulk"


def normalise_email(value: str) -> str:
    """The one stored form of an e-mail address (contract 8.1), or ValueError with a sentence.

    Unicode NFC, lower-cased, the domain in its Unicode (U-label) form: an address typed
    decomposed (NFD), in capitals or with its domain in ASCII (``xn--``) is the same string. The
    domain is the one email-validator computes through IDNA 2008 (the idna package; it also
    lower-cases and NFC-normalises it); the local part is lower-cased here. A local part, or a
    domain label, whose letters mix scripts (Latin with Cyrillic, say) is refused.
    """
    from email_validator import EmailNotValidError, validate_email

    stripped = value.strip()
    if len(stripped) > _MAX_EMAIL_INPUT:  # before any Unicode work on a huge string
        raise ValueError(f"Must be at most {MAX_EMAIL} characters.")
    text = unicodedata.normalize("NFC", stripped)  # NFD spellings are measured as NFC ones
    if len(text) > MAX_EMAIL:
        raise ValueError(f"Must be at most {MAX_EMAIL} characters.")
    try:
        # Syntax only: a deliverability check does DNS look-ups (slow, and fails offline).
        checked = validate_email(text, check_deliverability=False)
        # email-validator keeps the local part's case (RFC 5321 leaves it to the mailbox's
        # host; this product compares addresses case-insensitively). lower() can leave a
        # string that is not NFC for rare letters, hence NFC again after it.
        local = unicodedata.normalize("NFC", checked.local_part.lower())
        canonical = f"{local}@{checked.domain}"
        if canonical != checked.normalized:
            validate_email(canonical, check_deliverability=False)  # still valid once lowered
    except EmailNotValidError as exc:
        raise ValueError(f"Not a valid e-mail address: {exc}") from None
    _refuse_mixed_scripts(local, checked.domain)
    if len(canonical) > MAX_EMAIL:
        raise ValueError(f"Must be at most {MAX_EMAIL} characters.")
    return canonical


def _refuse_mixed_scripts(local: str, domain: str) -> None:
    """Look-alike addresses (``pаypal`` with a Cyrillic ``а``) mix scripts within one part."""
    parts = [("part before the @-sign", local)]
    parts += [(f"domain label '{label}'", label) for label in domain.split(".")]
    for where, text in parts:
        if unicode_scripts.mixes_scripts(text):
            names = " and ".join(sorted(s.title() for s in unicode_scripts.scripts(text)))
            raise ValueError(f"The {where} mixes letters of different scripts ({names}), as "
                             "look-alike addresses do; write each part in one script.")


def normalise_phone(value: str, default_region: str) -> str:
    """Return the E.164 form of a phone number, reading national numbers in default_region."""
    import phonenumbers

    text = value.strip()
    if len(text) > MAX_PHONE_INPUT:
        raise ValueError(f"Must be at most {MAX_PHONE_INPUT} characters.")
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise ValueError("Not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("Not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean(body: Any, *, mode: str, default_region: str) -> dict[str, str | None]:
    """Validate one create body, PATCH body or bulk row and return its normalised fields.

    Fields absent from the input are absent from the result. A null (or, outside bulk, an empty
    string) is None, meaning "clear"; in bulk rows both mean "keep", so they are dropped.
    Raises ValidationFailed naming every bad field at once.
    """
    from chalicelib.errors import ValidationFailed

    if not isinstance(body, dict):
        raise ValidationFailed({"body": ["Must be a JSON object."]}, "Expected a JSON object.")
    errors: dict[str, list[str]] = {}
    out: dict[str, str | None] = {}
    for name, raw in body.items():
        if name not in WRITABLE_FIELDS:
            errors[str(name)] = ["Unknown field."]
            continue
        if raw is not None and not isinstance(raw, str):
            errors[name] = ["Must be a string or null."]
            continue
        value = raw.strip() if isinstance(raw, str) else None
        if not value:
            if mode == BULK:
                continue
            value = None
        try:
            out[name] = _normalise(name, value, default_region) if value is not None else None
        except ValueError as exc:
            errors[name] = [str(exc)]
    if mode == CREATE:
        if out.get("full_name") is None and "full_name" not in errors:
            errors["full_name"] = ["Required."]
        if out.get("email") is None and out.get("phone") is None and not (
                {"email", "phone"} & errors.keys()):
            errors["email"] = errors["phone"] = ["Provide an email or a phone."]
    elif mode == PATCH:
        for required in ("full_name", "source"):  # every professional keeps one of each
            if required in out and out[required] is None:
                errors[required] = ["Cannot be cleared."]
    if errors:
        raise ValidationFailed(errors)
    return out


def _normalise(name: str, value: str, default_region: str) -> str:
    if name == "email":
        return normalise_email(value)
    if name == "phone":
        return normalise_phone(value, default_region)
    if name == "source":
        if value not in SOURCES:
            raise ValueError(f"Must be one of: {', '.join(SOURCES)}.")
        return value
    if len(value) > MAX_TEXT:
        raise ValueError(f"Must be at most {MAX_TEXT} characters.")
    return value


def page_limit(raw: str | None, default: int, maximum: int) -> int:
    """A page's ``limit`` query parameter: ``default`` when absent, else 1..maximum (a 400)."""
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise BadRequest(f"limit must be a whole number from 1 to {maximum}.",
                         {"fields": {"limit": [f"From 1 to {maximum}."]}})
    return int(raw)
