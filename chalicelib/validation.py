"""Field rules shared by create, PATCH and bulk rows: trimming, e-mail and phone normalisation."""
from __future__ import annotations

from typing import Any

SOURCES = ("direct", "partner", "internal")
WRITABLE_FIELDS = ("full_name", "email", "phone", "company_name", "job_title", "source")
MAX_TEXT = 200
MAX_EMAIL = 254
MAX_PHONE_INPUT = 40

CREATE, PATCH, BULK = "create", "patch", "bulk"


def normalise_email(value: str) -> str:
    """Return the stored form of an e-mail address, or raise ValueError with a sentence."""
    from email_validator import EmailNotValidError, validate_email

    text = value.strip().lower()
    if len(text) > MAX_EMAIL:
        raise ValueError(f"Must be at most {MAX_EMAIL} characters.")
    try:
        # Syntax only: a deliverability check does DNS look-ups (slow, and fails offline).
        validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"Not a valid e-mail address: {exc}") from None
    return text


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
