"""Contract 8.1, abuse bounded: bodies nested deeper than 64 levels are 400 before the parser can
recurse (every JSON route, bulk included), and resume uploads are at most 10 a day per
professional for bearer-token and partner callers (429 rate_limited with Retry-After).

On moto in-process through chalice.test.Client and the local gateway; time moves by patching
``chalicelib.clock.now`` (tokens expire on ``time.time``, so they stay valid).
"""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib import clock, db, payloads
from chalicelib.errors import BadRequest
from chalicelib.models import ProfessionalItem, professional_pk
from tests.test_professionals_api import assert_error

PERSON = {"full_name": "Ada Lovelace", "email": "ada@example.com", "consent": True}
DESCRIPTOR = {"filename": "cv.pdf", "content_type": "application/pdf", "size_bytes": 1000}
DAY = 24 * 3600


def nested(levels: int) -> bytes:
    """An object whose full_name is nested so that the whole body is ``levels`` deep."""
    return b'{"full_name": ' + b"[" * (levels - 1) + b"]" * (levels - 1) + b"}"


def arrays(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def stored(professional_id: str) -> ProfessionalItem:
    item = db.get(professional_pk(professional_id))
    assert isinstance(item, ProfessionalItem)
    return item


@pytest.fixture
def person(api):
    """An anonymous sign-up (which is not a resume upload attempt): its resource and token."""
    response = api.call("POST", "/professionals", who=None, body=PERSON)
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def routes(api, person):
    """Every route that reads JSON: (method, path, who), each reached past auth and role."""
    pid = person["id"]
    return [("POST", "/professionals", None), ("POST", "/professionals", "staff"),
            ("PATCH", f"/professionals/{pid}", "staff"),
            ("PATCH", f"/professionals/{pid}", f"Bearer {person['access_token']}"),
            ("POST", f"/professionals/{pid}/resume", "staff"),
            ("POST", "/sessions", None), ("POST", "/access-links", None),
            ("POST", "/professionals/bulk", "staff")]


def refused_as_too_deep(response) -> None:
    assert_error(response, 400, "bad_request")
    assert "nested deeper than 64 levels" in response.json["error"]["message"]


# -- deep JSON ------------------------------------------------------------------------------------

def test_a_body_nested_thousands_of_levels_is_400_not_500(api, routes):
    for levels in (65, 3000, 100_000):
        for method, path, who in routes:
            response = api.call(method, path, who=who, raw=nested(levels))
            refused_as_too_deep(response)
            if path.endswith("/bulk"):
                refused_as_too_deep(api.call(method, path, who=who, raw=arrays(levels)))
    listed = api.call("GET", "/professionals").json["items"]
    assert [item["id"] for item in listed] == [routes[2][1].split("/")[-1]]  # nothing written


def test_one_megabyte_of_open_brackets_is_400_and_fast(api, routes):
    assert payloads.MAX_JSON_BYTES == 1024 * 1024  # exactly 1 MiB is at the limit, not over it
    for raw in (b"[" * payloads.MAX_JSON_BYTES, b"{" * payloads.MAX_JSON_BYTES,
                b'{"a":' * (payloads.MAX_JSON_BYTES // 5)):
        for method, path, who in routes:
            started = time.monotonic()
            response = api.call(method, path, who=who, raw=raw)
            assert time.monotonic() - started < 2
            refused_as_too_deep(response)
    bulk = b"[" * payloads.MAX_BULK_BYTES  # bulk's own (larger) limit
    refused_as_too_deep(api.call("POST", "/professionals/bulk", who="staff", raw=bulk))


def test_exactly_64_levels_is_parsed(api, routes):
    for method, path, who in routes:
        response = api.call(method, path, who=who, raw=nested(64))
        # Parsed: what follows is validation (full_name must be a string; bulk wants rows).
        assert response.status_code in (400, 202, 207), response.json
        if response.status_code == 400:
            assert "nested" not in response.json["error"]["message"], response.json
    rows = api.call("POST", "/professionals/bulk", who="staff", raw=b"[" + nested(63) + b"]")
    assert rows.status_code == 207 and rows.json["summary"]["failed"] == 1
    too_deep = api.call("POST", "/professionals/bulk", who="staff", raw=b"[" + nested(64) + b"]")
    refused_as_too_deep(too_deep)
    assert payloads.parse_json(arrays(64)) == json.loads(arrays(64))


def test_brackets_inside_strings_do_not_count(api):
    noisy = "[[{{" * 20 + '"[' * 20 + "\\" + "]]}}" * 10  # json.dumps escapes the quotes, the backslash
    body = {**PERSON, "full_name": noisy, "job_title": "\\", "company_name": '{"[' * 50}
    response = api.call("POST", "/professionals", who=None, body=body)
    assert response.status_code == 201, response.json
    assert response.json["full_name"] == noisy and response.json["job_title"] == "\\"
    # A string ending in an escaped backslash ends there: what follows is counted again.
    assert payloads.parse_json(b'["\\\\", ' + arrays(63) + b"]")[0] == "\\"  # 64 levels
    with pytest.raises(BadRequest) as refused:
        payloads.parse_json(b'["\\\\", ' + arrays(64) + b"]")
    assert "nested deeper than 64 levels" in str(refused.value)
    # An escaped quote does not end the string: its brackets are still text.
    assert payloads.parse_json(b'["\\"' + b"[" * 100 + b'"]') == ['"' + "[" * 100]


def depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


TRICKY_TEXT = st.text(alphabet='[]{}"\\/ a\u00e9\u2028\U0001f600', max_size=8)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY_TEXT, inner, max_size=3),
    max_leaves=12)


@settings(max_examples=300, deadline=None, database=None)
@given(value=JSON_VALUES, wrappers=st.lists(st.booleans(), min_size=55, max_size=70),
       ascii_only=st.booleans(), encoding=st.sampled_from(["utf-8", "utf-16", "utf-32-be"]))
def test_the_depth_check_agrees_with_the_parsed_depth(value, wrappers, ascii_only, encoding):
    """Any JSON (strings full of brackets, quotes and backslashes, escaped or not, in any
    encoding json.loads takes) is refused exactly when it is nested deeper than 64 levels."""
    for as_object in wrappers:
        value = {"[{\\": value} if as_object else [value, "]}\""]
    raw = json.dumps(value, ensure_ascii=ascii_only).encode(encoding)
    if depth(value) > payloads.MAX_DEPTH:
        with pytest.raises(BadRequest, match="nested deeper than 64 levels"):
            payloads.parse_json(raw)
    else:
        assert payloads.parse_json(raw) == value


@pytest.mark.parametrize("raw", [
    b'"' + b'\\"' * 200_000,  # an unterminated string of escaped quotes
    b'"' + b'\\"' * 200_000 + b"\\",  # the same ending in a lone backslash
    b"[" * 100 + b'"' * 100_000,
    "[\"\u00e9\"]".encode("utf-16"),  # another encoding json accepts: parsed alike
])
def test_odd_bodies_are_answered_quickly_and_never_500(api, raw):
    started = time.monotonic()
    response = api.call("POST", "/professionals", who=None, raw=raw)
    assert time.monotonic() - started < 2
    assert response.status_code == 400, response.json


def test_deep_utf16_bodies_are_refused_too():
    with pytest.raises(BadRequest) as refused:
        payloads.parse_json(arrays(65).decode().encode("utf-16-le"))
    assert "nested deeper than 64 levels" in str(refused.value)
    assert payloads.parse_json(arrays(64).decode().encode("utf-32")) == json.loads(arrays(64))


def test_a_parser_recursion_error_is_a_bad_request(monkeypatch):
    """The backstop: whatever the parser throws on a body is the client's 400."""
    def deep(_text):
        raise RecursionError("maximum recursion depth exceeded")
    monkeypatch.setattr(payloads.json, "loads", deep)
    with pytest.raises(BadRequest) as refused:
        payloads.parse_json(b"[]")
    assert refused.value.code == "bad_request" and "nested too deeply" in refused.value.message


# -- resume upload limit --------------------------------------------------------------------------

def start(api, pid: str, who: str):
    return api.call("POST", f"/professionals/{pid}/resume", who=who, body=DESCRIPTOR)


def exhaust(api, pid: str, who: str, n: int = 10) -> None:
    for i in range(n):
        response = start(api, pid, who)
        assert response.status_code == 201, (i, response.json)


def assert_refused_with_nothing_written(api, pid: str, who: str) -> int:
    before = stored(pid)
    response = start(api, pid, who)
    assert_error(response, 429, "rate_limited")
    retry = response.headers.get("Retry-After")
    assert retry is not None and retry.isdigit() and 1 <= int(retry) <= DAY, retry
    after = stored(pid)
    assert (after.version, after.updated_at, after.resume_upload, after.upload_attempts) == (
        before.version, before.updated_at, before.resume_upload, before.upload_attempts)
    return int(retry)


def test_a_token_holder_gets_ten_uploads_a_day_then_429(api, person):
    token = f"Bearer {person['access_token']}"
    exhaust(api, person["id"], token)
    assert_refused_with_nothing_written(api, person["id"], token)
    assert len(stored(person["id"]).upload_attempts) == 10  # the refused one is not counted
    resource = api.call("GET", f"/professionals/{person['id']}", who=token).json
    assert "upload_attempts" not in resource and resource["resume"]["status"] == "awaiting_upload"


def test_a_partner_on_its_own_record_gets_ten_a_day(api):
    pid = api.call("POST", "/professionals", who="partner",
                   body={"full_name": "Grace Hopper", "email": "grace@example.com"}).json["id"]
    exhaust(api, pid, "partner")
    assert_refused_with_nothing_written(api, pid, "partner")
    assert start(api, pid, "staff").status_code == 201  # staff are not limited


def test_staff_are_neither_limited_nor_counted(api, person):
    token = f"Bearer {person['access_token']}"
    exhaust(api, person["id"], "staff", 15)
    assert not stored(person["id"]).upload_attempts
    exhaust(api, person["id"], token, 10)  # the holder still has its ten
    assert_refused_with_nothing_written(api, person["id"], token)
    exhaust(api, person["id"], "staff", 2)


def test_the_window_slides(api, person, monkeypatch):
    token = f"Bearer {person['access_token']}"
    start_at = clock.now()
    for hour in range(10):  # one attempt an hour from start_at
        monkeypatch.setattr(clock, "now", lambda h=hour: start_at + timedelta(hours=h))
        assert start(api, person["id"], token).status_code == 201
    late = start_at + timedelta(hours=23, minutes=30)
    monkeypatch.setattr(clock, "now", lambda: late)
    assert assert_refused_with_nothing_written(api, person["id"], token) == 30 * 60
    # 24 hours after the first attempt it no longer counts: one more, then refused again
    # until the second leaves (an hour later).
    monkeypatch.setattr(clock, "now", lambda: start_at + timedelta(hours=24))
    assert start(api, person["id"], token).status_code == 201
    attempts = stored(person["id"]).upload_attempts
    assert len(attempts) == 10 and clock.parse_iso(min(attempts)) > start_at  # pruned
    assert assert_refused_with_nothing_written(api, person["id"], token) == 3600
    monkeypatch.setattr(clock, "now", lambda: start_at + timedelta(hours=34))
    exhaust(api, person["id"], token, 9)  # only the attempt at hour 24 is left in the window
    assert assert_refused_with_nothing_written(api, person["id"], token) == 14 * 3600
