"""The privacy notice the SPA shows (/privacy) is the one sign-ups record as accepted: the SPA's
PRIVACY_VERSION (frontend/src/config/privacy.ts) equals chalicelib.consent.PRIVACY_VERSION."""
from __future__ import annotations

import re
from pathlib import Path

from chalicelib import consent

SPA_CONSTANT = Path(__file__).resolve().parents[1] / "frontend" / "src" / "config" / "privacy.ts"


def spa_privacy_version() -> str:
    found = re.findall(r"^export const PRIVACY_VERSION = '([^']+)';$", SPA_CONSTANT.read_text(),
                       re.MULTILINE)
    assert len(found) == 1, f"one PRIVACY_VERSION string constant expected in {SPA_CONSTANT}"
    return found[0]


def test_the_spa_shows_the_version_that_consent_records():
    assert spa_privacy_version() == consent.PRIVACY_VERSION

