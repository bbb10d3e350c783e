"""Time and identifiers in the contract's formats."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone


def now_iso() -> str:
    """UTC now as YYYY-MM-DDTHH:MM:SS.sssZ."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def new_id() -> str:
    return uuid.uuid4().hex
