"""Time and identifiers in the contract's formats."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone


def iso(moment: datetime) -> str:
    """A moment in UTC as YYYY-MM-DDTHH:MM:SS.sssZ."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """The moment an ``iso()`` string names."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def now() -> datetime:
    return datetime.now(timezone.utc)


def now_iso() -> str:
    return iso(now())


def new_id() -> str:
    return uuid.uuid4().hex
