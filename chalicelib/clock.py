"""Time and identifiers in the contract's formats."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone


def iso(moment: datetime) -> str:
    """A moment in UTC as YYYY-MM-DDTHH:MM:SS.sssZ."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso(datetime.now(timezone.utc))


def new_id() -> str:
    return uuid.uuid4().hex
