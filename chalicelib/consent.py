"""Consent to the privacy notice, recorded on anonymous sign-ups (docs/api.md, Signing up).

``PRIVACY_VERSION`` names the notice the SPA shows at ``/privacy``; a sign-up's ``consent``
records which version the person accepted and when. Change it whenever the notice changes (the
SPA's page carries the same version; a test holds them equal).
"""
from __future__ import annotations

from typing import Any

from chalicelib.clock import now_iso
from chalicelib.errors import ValidationFailed

PRIVACY_VERSION = "2026-12-02"


def record(value: Any, *, required: bool) -> dict[str, str] | None:
    """The ``consent`` to store for a create body's ``consent`` value.

    ``true`` records the current notice's version and the moment; partners and staff may also
    send ``false`` or null (nothing recorded). Anything else, or anything but ``true`` from an
    anonymous sign-up, is a validation_error on ``consent``.
    """
    if value is True:
        return {"version": PRIVACY_VERSION, "accepted_at": now_iso()}
    if required:
        raise ValidationFailed({"consent": ["Must be true: the privacy notice must be accepted "
                                            "to sign up."]})
    if value is None or value is False:
        return None
    raise ValidationFailed({"consent": ["Must be true, false or null."]})
