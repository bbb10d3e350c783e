"""A search ``q`` read as an identifier (contract 8.3, "Identifiers as typed"): the phone numbers
or the email address that the whole of ``q`` could be, in the forms the professionals table
stores, so the query looks each up through its GSI (``chalicelib.professionals.find_by``) and
puts the professional it finds above every tier. Pure: no AWS call, no settings read.

Decisions:

- Phone-like: the trimmed ``q`` holds only digits (of any script, as storage reads them:
  ``٤٠٤٨٣١٦١٩٥`` is ``4048316195``), whitespace, dashes (``-`` and the Unicode hyphens and
  dashes), dots and brackets (``()`` and ``[]``), with at most one ``+``, before the first digit
  (so ``(+44) 20 7946 0958`` is one); 7 to 20 digits in all. Letters (``1-800-FLOWERS``),
  slashes, commas, an extension and anything else make it no phone.
- The readings come from ``chalicelib.validation.normalise_phone``, the function that stores
  phones, each given the digits only (a ``+`` kept): a reading is a valid number
  (``phonenumbers.is_valid_number``) in exactly the stored E.164 spelling.
- Order: ``+`` or ``00`` first -> the one international reading (``0044 20 7946 0958`` is
  ``+44 20 7946 0958``; a ``(0)`` after the country code is dropped, as phonenumbers does).
  A single leading ``0`` -> the default region, then each held region (no country code starts
  with 0). Any other first digit -> the default region (``(404) 831-6195`` in US), then the
  digits as international (``442079460958``), then each held region (countries without a trunk
  prefix, and trunk prefixes other than 0: Russia's ``8``). Same number twice: kept once, where
  it first came. The default region's own international prefix works as it does in storage
  (``011 44 20 7946 0958`` in US is ``+442079460958``).
- Held regions are taken in the order given (the caller should pass a stable order, sorted for
  instance); unknown codes are skipped. A number's region is its own (``region_of``): numbers
  that share a country code (+1: US, CA, ...) are told apart by phonenumbers' metadata.
  Non-geographic numbers (``+800``, region ``001``) have no national format, so no region.
- Email: the whole trimmed ``q`` is one address when ``chalicelib.validation.normalise_email``
  accepts it (no whitespace inside); the reading is that canonical form (NFC, lower-cased,
  U-label domain), the value the ``by_email`` index holds.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from chalicelib import validation

MIN_DIGITS = 7
# An E.164 number has at most 15 digits; a trunk or carrier prefix, or "00", adds a few.
MAX_DIGITS = 20
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212.()\[\]]+")
_PHONE = re.compile(r"\+?\d+")
_NO_REGION = "ZZ"  # phonenumbers' unknown region: a "+" number needs none


def reads_as_phone(q: str) -> bool:
    """Whether the whole of ``q`` has the shape of a phone number (readings or not)."""
    compact = _SEPARATORS.sub("", q.strip())
    return bool(_PHONE.fullmatch(compact)) and MIN_DIGITS <= len(compact.lstrip("+")) <= MAX_DIGITS


def phone_readings(q: str, default_region: str, held_regions: Iterable[str]) -> list[str]:
    """The E.164 numbers the whole of ``q`` could be, in the order to try them (the first one a
    professional holds wins), or [] when ``q`` does not read as a phone number."""
    compact = _SEPARATORS.sub("", q.strip())
    if not _PHONE.fullmatch(compact):
        return []
    digits = "".join(str(int(c)) for c in compact.lstrip("+"))  # any script's digits, as ASCII
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return []
    if compact.startswith("+") or digits.startswith("00"):
        international = digits[2:] if not compact.startswith("+") else digits
        return _valid([("+" + international, _NO_REGION)])
    attempts = [(digits, default_region)]
    if not digits.startswith("0"):
        attempts.append(("+" + digits, _NO_REGION))
    attempts += [(digits, region) for region in held_regions if region]
    return _valid(attempts)


def email_reading(q: str) -> str | None:
    """The canonical (stored) form of ``q`` when the whole of it is one email address, else
    None: the value to look up with ``find_by("email", ...)``."""
    text = q.strip()
    if "@" not in text or any(c.isspace() for c in text):
        return None
    try:
        return validation.normalise_email(text)
    except ValueError:
        return None


def region_of(e164: str) -> str | None:
    """The region (ISO 3166 alpha-2, upper case) of a stored E.164 phone, or None for a
    non-geographic or unreadable number."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(number)
    if region in (None, phonenumbers.UNKNOWN_REGION, phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY):
        return None
    return region


def _valid(attempts: list[tuple[str, str]]) -> list[str]:
    """Each attempt's valid E.164 reading, once each, in order."""
    out: dict[str, None] = {}
    for text, region in attempts:
        try:
            out.setdefault(validation.normalise_phone(text, region.upper()))
        except ValueError:  # not a number in that region, or not a valid one
            continue
    return list(out)
