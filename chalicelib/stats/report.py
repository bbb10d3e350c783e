"""GET /stats: a range of days, every day present (zeros included), read in one Query."""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Mapping

from chalicelib.errors import BadRequest, ValidationFailed
from chalicelib.stats import counters

MAX_DAYS = 366
DEFAULT_DAYS = 30
PARAMETERS = ("from", "to")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def read(params: Mapping[str, str] | None, today: date | None = None) -> dict[str, Any]:
    """``{"days": [...]}`` for ``from``..``to`` (UTC dates, both included; by default the 30
    days ending today)."""
    first, last = parse_range(params or {}, today or date.fromisoformat(counters.today()))
    stored = counters.read_days(first, last)
    return {"days": [counters.to_day(d.isoformat(), stored.get(d.isoformat()))
                     for d in counters.days_between(first, last)]}


def parse_range(params: Mapping[str, str], today: date) -> tuple[date, date]:
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise BadRequest(f"Unknown query parameter: {', '.join(unknown)}.",
                         {"parameters": unknown,
                          "fields": {name: ["Unknown query parameter."] for name in unknown}})
    fields: dict[str, list[str]] = {}
    parsed = {name: _date(params[name], name, fields) for name in PARAMETERS if name in params}
    if fields:
        raise ValidationFailed(fields)
    # One end alone: the 30 days from it, or up to it.
    span = timedelta(days=DEFAULT_DAYS - 1)
    last = parsed.get("to") or (parsed["from"] + span if "from" in parsed else today)
    first = parsed.get("from") or last - span
    if first > last:
        raise ValidationFailed({"from": ["Must be on or before 'to'."]})
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed({"to": [f"The range may span at most {MAX_DAYS} days."]})
    return first, last


def _date(text: str, name: str, fields: dict[str, list[str]]) -> date | None:
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        fields[name] = ["Must be a date, YYYY-MM-DD."]
        return None
