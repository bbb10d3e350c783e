"""The list: newest first, by source or across all sources, with signed cursors; with ``q``,
a search (chalicelib.search.query, staff only).

Each page costs at most one Query per source it covers, whatever the table's size: the
``by_source`` index is sorted by ``created_at#id``, and a cursor is the last key served. A
partner's page is one Query of ``by_partner`` (its own records, same order); a cursor is bound
to the filter and to the caller (staff, or that partner).
"""
from __future__ import annotations

import heapq
import time
from typing import Any

from datetime import datetime, timezone

from chalicelib import clock, db, metrics, signing, validation
from chalicelib.auth import PARTNER, Caller, can_see
from chalicelib.errors import BadRequest, Forbidden
from chalicelib.models import PartnerIndex, ProfessionalItem, SourceIndex
from chalicelib.professionals import find_by, to_resource
from chalicelib.search import analyzer, identifiers, query, semantic
from chalicelib.search.layout import Filters
from chalicelib.settings import get_settings

SEARCH_FILTERS = ("has_resume", "email_verified", "created_from", "created_to")
QUERY_PARAMS = ("source", "limit", "cursor", "email", "phone", "q", "mode") + SEARCH_FILTERS
DEFAULT_LIMIT, MAX_LIMIT = 25, 100
_PURPOSE = "list-cursor"


def list_professionals(params: dict[str, str], caller: Caller) -> dict[str, Any]:
    if ("q" in params or "mode" in params) and not caller.is_staff:  # role before parsing
        raise Forbidden("Search is for staff keys only.")
    unknown = sorted(set(params) - set(QUERY_PARAMS))
    if unknown:
        raise BadRequest(f"Unknown query parameter: {', '.join(unknown)}.",
                         {"parameters": unknown})
    limit = validation.page_limit(params.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    source = params.get("source")
    if source is not None and source not in validation.SOURCES:
        raise BadRequest(f"source must be one of: {', '.join(validation.SOURCES)}.",
                         {"fields": {"source": ["Unknown source."]}})
    mode = _mode(params)
    if "q" in params:
        if "email" in params or "phone" in params:
            raise BadRequest("q cannot be combined with an email or phone look-up.",
                             {"fields": {"q": ["Search, or look up by email or phone, not both."]}})
        if mode != semantic.KEYWORD:  # 8.4: by meaning
            return semantic.search(semantic.parse_q(params["q"]), mode,
                                   where=_search_filters(params, source), limit=limit,
                                   cursor=params.get("cursor"))
        started = time.monotonic()
        found = query.search(query.parse_q(_canonical_q(params["q"])),
                             where=_search_filters(params, source), limit=limit,
                             cursor=params.get("cursor"), q=params["q"])
        # The search alone (API Gateway's Latency of GET /professionals mixes in the lists).
        metrics.duration("SearchLatency", round((time.monotonic() - started) * 1000, 1))
        return found
    unfit = [f for f in SEARCH_FILTERS if f in params]
    if unfit:
        raise BadRequest(f"{', '.join(unfit)} filter a search: use them with q.",
                         {"fields": {f: ["Only with q."] for f in unfit}})
    if "email" in params or "phone" in params:
        if "cursor" in params:
            raise BadRequest("A cursor cannot be used with an email or phone look-up.")
        return {"items": _look_up(params, source, caller), "next_cursor": None}
    if caller.role == PARTNER:
        return _partner_page(caller.name, source, limit, params.get("cursor"))
    filters = {"source": source}
    after = (signing.open_cursor(params["cursor"], _PURPOSE, filters, str)
             if "cursor" in params else None)
    sources = [source] if source else list(validation.SOURCES)
    fetched = []
    for s in sources:
        condition = SourceIndex.list_key < after if after else None
        fetched.append(db.query(ProfessionalItem.by_source, s, range_key_condition=condition,
                                scan_index_forward=False, limit=limit + 1))
    merged = list(heapq.merge(*fetched, key=lambda item: item.list_key, reverse=True))
    page = merged[:limit]
    next_cursor = None
    if len(merged) > limit:
        next_cursor = signing.cursor(filters, page[-1].list_key, _PURPOSE)
    return {"items": [to_resource(item) for item in page], "next_cursor": next_cursor}


def _mode(params: dict[str, str]) -> str:
    """``mode`` (8.4): keyword (the default), semantic or hybrid; only with ``q``."""
    mode = params.get("mode", semantic.KEYWORD)
    if mode not in semantic.MODES:
        raise BadRequest(f"mode must be one of: {', '.join(semantic.MODES)}.",
                         {"fields": {"mode": [f"One of: {', '.join(semantic.MODES)}."]}})
    if "q" not in params and "mode" in params:
        raise BadRequest("mode chooses how q is searched: use it with q.",
                         {"fields": {"mode": ["Only with q."]}})
    return mode


def _partner_page(partner: str, source: str | None, limit: int,
                  cursor: str | None) -> dict[str, Any]:
    """One Query of the partner's own index. ``source`` is a filter on it: a partner's records
    are ``partner`` unless staff changed that, so a filtered page is full but for those, and
    may then hold fewer than ``limit`` items while ``next_cursor`` goes on (decisions.md)."""
    filters = {"source": source, "partner": partner}
    after = signing.open_cursor(cursor, _PURPOSE, filters, str) if cursor else None
    items, last_read = db.query_page(
        ProfessionalItem.by_partner, partner, limit=limit + 1, scan_index_forward=False,
        range_key_condition=PartnerIndex.list_key < after if after else None,
        filter_condition=ProfessionalItem.source == source if source else None)
    page, resume_at = items[:limit], None
    if len(items) > limit:
        resume_at = page[-1].list_key
    elif last_read:  # read limit + 1 records, some filtered out: more may follow
        resume_at = last_read["list_key"]["S"]
    next_cursor = signing.cursor(filters, resume_at, _PURPOSE) if resume_at else None
    return {"items": [to_resource(item) for item in page], "next_cursor": next_cursor}


def _search_filters(params: dict[str, str], source: str | None) -> Filters:
    """A search's filters (8.3), or a 400 naming each bad one."""
    problems: dict[str, list[str]] = {}
    flags: dict[str, bool | None] = {}
    for name in ("has_resume", "email_verified"):
        raw = params.get(name)
        flags[name] = None if raw is None else {"true": True, "false": False}.get(raw)
        if raw is not None and flags[name] is None:
            problems[name] = ["true or false."]
    times: dict[str, str | None] = {}
    for name in ("created_from", "created_to"):
        raw = params.get(name)
        times[name] = None
        if raw is not None:
            try:
                times[name] = _timestamp(raw)
            except ValueError:
                problems[name] = ["A timestamp (ISO 8601, e.g. 2026-12-01T00:00:00Z) or a date."]
    if problems:
        raise BadRequest(f"Bad search filter: {', '.join(problems)}.", {"fields": problems})
    return Filters(source=source, **flags, **times)


def _timestamp(raw: str) -> str:
    """A timestamp or date as the list keys spell moments (UTC; a time without a zone is UTC)."""
    moment = datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return clock.iso(moment)


def _canonical_q(q: str) -> str:
    """A q that is one whole email address, in its stored spelling: the index holds the
    canonical form's words, which an A-label domain (``xn--bcher-kva``) does not share with its
    U-label (``bücher``). Anything else, an invalid address included, is searched as typed."""
    if len(q.strip()) > analyzer.MAX_QUERY_CHARS:
        return q  # too long to search: parse_q says so
    return identifiers.email_reading(q) or q


def _look_up(params: dict[str, str], source: str | None,
             caller: Caller) -> list[dict[str, Any]]:
    region = get_settings().default_phone_region
    wanted, problems = {}, {}
    for name, normalise in (("email", validation.normalise_email),
                            ("phone", lambda v: validation.normalise_phone(v, region))):
        if name in params:
            try:
                wanted[name] = normalise(params[name])
            except ValueError as exc:
                problems[name] = [str(exc)]
    if problems:
        raise BadRequest(f"The {' and '.join(problems)} to look up is not valid.",
                         {"fields": problems})
    field, value = next(iter(wanted.items()))
    item = find_by(field, value)
    if item is None or any(getattr(item, f) != v for f, v in wanted.items()):
        return []
    if (source and item.source != source) or not can_see(caller, item):
        return []
    return [to_resource(item)]
