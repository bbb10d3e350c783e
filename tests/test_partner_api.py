"""Contract 7.2: a partner lists, reads, changes and deletes what its key created, and nothing else.

On moto, through the Chalice test client. DynamoDB requests are recorded at botocore's
``_make_api_call`` (every client, whichever PynamoDB connection sends them) to show that a
partner's page is one Query of ``by_partner`` and that another's record costs the same reads as
a missing one.
"""
from __future__ import annotations

import itertools
from contextlib import contextmanager

import botocore.client
import pytest

from chalicelib.errors import NotFound
from tests.invariants import assert_invariants
from tests.test_concurrency_ddblocal import ddb_table  # noqa: F401  (a fresh table there)
from tests.test_professionals_api import assert_error

DESCRIPTOR = {"filename": "cv.pdf", "content_type": "application/pdf", "size_bytes": 2000}


PHONES = itertools.count(100)  # +1 415 555 0100 and on: valid, fictional, never reused


def make(api, who, n, *, prefix="p"):
    """n professionals created by ``who``, oldest first, each with an e-mail and a phone."""
    ids = []
    for i in range(n):
        response = api.call("POST", "/professionals", who=who,
                            body={"full_name": f"{prefix} {i}", "email": f"{prefix}{i}@example.com",
                                  "phone": f"+1415555{next(PHONES) % 10000:04d}"})
        assert response.status_code == 201, response.json
        ids.append(response.json["id"])
    return ids


def walk(api, who, query=""):
    """Every page of a list, as (ids per page, cursors seen)."""
    pages, cursor = [], None
    while True:
        extra = f"&cursor={cursor}" if cursor else ""
        response = api.call("GET", f"/professionals?{query}{extra}", who=who)
        assert response.status_code == 200, response.json
        pages.append([p["id"] for p in response.json["items"]])
        cursor = response.json["next_cursor"]
        if cursor is None:
            return pages


@contextmanager
def dynamodb_calls(monkeypatch):
    """(operation, IndexName) of every DynamoDB request sent inside the block."""
    calls: list[tuple[str, str | None]] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(client, operation, params):
        if client.meta.service_model.service_name == "dynamodb":
            calls.append((operation, params.get("IndexName")))
        return original(client, operation, params)

    with monkeypatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
        yield calls


@pytest.fixture
def three_owners(api):
    """acme's 5, globex's 2 and staff's 3, interleaved in time."""
    acme, globex, staff = [], [], []
    for round_ in range(5):
        acme += make(api, "partner", 1, prefix=f"acme{round_}x")
        if round_ < 2:
            globex += make(api, "other_partner", 1, prefix=f"globex{round_}x")
        if round_ < 3:
            staff += make(api, "staff", 1, prefix=f"staff{round_}x")
    return {"acme": acme, "globex": globex, "staff": staff}


# -- GET /professionals ------------------------------------------------------------------------

def test_a_partner_lists_only_its_own_newest_first_in_pages(api, three_owners):
    acme, globex = three_owners["acme"], three_owners["globex"]
    pages = walk(api, "partner", "limit=2")
    assert pages == [acme[::-1][0:2], acme[::-1][2:4], acme[::-1][4:]]
    assert walk(api, "other_partner") == [globex[::-1]]
    item = api.call("GET", "/professionals", who="partner").json["items"][0]
    assert item["source"] == "partner" and "resume_text" not in item
    assert len(sum(walk(api, "staff", "limit=100"), [])) == 10  # staff still see everyone


def test_a_rotated_key_with_the_same_name_sees_the_same_records(api, three_owners):
    from chalicelib import auth
    new_key, _ = auth.create_key("partner", "acme", key="par_rotated_acme_key")
    response = api.call("GET", "/professionals", who=None, headers={"X-Api-Key": new_key})
    assert [p["id"] for p in response.json["items"]] == three_owners["acme"][::-1]


def test_source_filters_a_partners_records_even_after_staff_relabelled_some(api, three_owners):
    acme = three_owners["acme"]
    for pid in (acme[0], acme[3]):  # staff may relabel; the record stays acme's
        assert api.call("PATCH", f"/professionals/{pid}", body={"source": "internal"}).json[
            "source"] == "internal"
    assert sum(walk(api, "partner", "source=internal"), []) == [acme[3], acme[0]]
    assert sum(walk(api, "partner", "source=partner"), []) == [acme[4], acme[2], acme[1]]
    assert walk(api, "partner", "source=direct") == [[]]
    # A filtered page reads limit + 1 records: pages may be short, never wrong or out of order.
    pages = walk(api, "partner", "source=internal&limit=1")
    assert sum(pages, []) == [acme[3], acme[0]]
    assert all(len(page) <= 1 for page in pages)
    assert sum(walk(api, "partner", "source=partner&limit=2"), []) == [acme[4], acme[2], acme[1]]


def test_look_ups_find_only_the_partners_own(api, three_owners):
    own = api.call("GET", f"/professionals/{three_owners['acme'][0]}", who="partner").json
    theirs = api.call("GET", f"/professionals/{three_owners['globex'][0]}").json
    staffs = api.call("GET", f"/professionals/{three_owners['staff'][0]}").json
    found = api.call("GET", f"/professionals?email={own['email'].upper()}", who="partner").json
    assert [p["id"] for p in found["items"]] == [own["id"]] and found["next_cursor"] is None
    phone = own["phone"].replace("+1", "")
    assert [p["id"] for p in api.call("GET", f"/professionals?phone={phone}",
                                      who="partner").json["items"]] == [own["id"]]
    assert api.call("GET", f"/professionals?email={own['email']}&source=direct",
                    who="partner").json["items"] == []
    for other in (theirs, staffs):
        for query in (f"email={other['email']}", f"phone=%2B{other['phone'][1:]}"):
            response = api.call("GET", f"/professionals?{query}", who="partner")
            assert response.status_code == 200 and response.json == {"items": [],
                                                                      "next_cursor": None}


def test_a_cursor_is_bound_to_its_caller(api, three_owners):
    staff_cursor = api.call("GET", "/professionals?limit=1").json["next_cursor"]
    acme_cursor = api.call("GET", "/professionals?limit=1", who="partner").json["next_cursor"]
    globex_cursor = api.call("GET", "/professionals?limit=1", who="other_partner").json[
        "next_cursor"]
    assert staff_cursor and acme_cursor and globex_cursor
    for who, cursor in (("partner", staff_cursor), ("partner", globex_cursor),
                        ("other_partner", acme_cursor), ("staff", acme_cursor)):
        assert_error(api.call("GET", f"/professionals?limit=1&cursor={cursor}", who=who),
                     400, "bad_request")
    assert_error(api.call("GET", f"/professionals?source=partner&cursor={acme_cursor}",
                          who="partner"), 400, "bad_request")
    assert api.call("GET", f"/professionals?limit=1&cursor={acme_cursor}",
                    who="partner").status_code == 200


def test_search_is_403_for_a_partner_before_any_parsing(api):
    for query in ("q=ada", "q=", "q=a&email=x@example.com", "q=ada&limit=0&colour=red"):
        assert_error(api.call("GET", f"/professionals?{query}", who="partner"), 403, "forbidden")
    assert_error(api.call("GET", "/professionals?limit=0", who="partner"), 400, "bad_request")
    assert_error(api.call("GET", "/professionals?colour=red", who="partner"), 400, "bad_request")


def test_a_partner_page_is_one_query_of_its_index_whatever_the_table_holds(
        api, monkeypatch):
    make(api, "partner", 3, prefix="mine")
    for who in ("staff", "other_partner"):  # 300 records that are not acme's
        rows = [{"full_name": f"{who} {i}", "email": f"{who}{i}@example.com"} for i in range(150)]
        assert api.call("POST", "/professionals/bulk", who=who, body=rows).status_code == 207
    for query in ("limit=1", "limit=100", "source=partner", "source=internal", ""):
        first = api.call("GET", f"/professionals?{query}", who="partner").json
        cursor = f"&cursor={first['next_cursor']}" if first["next_cursor"] else ""
        for suffix in ("", cursor):
            with dynamodb_calls(monkeypatch) as calls:
                response = api.call("GET", f"/professionals?{query}{suffix}", who="partner")
            assert response.status_code == 200, response.json
            # The key's look-up, then one Query of by_partner: no Scan, no other index.
            assert calls == [("GetItem", None), ("Query", "by_partner")], (query, suffix, calls)


# -- the {id} routes ---------------------------------------------------------------------------

def test_a_partner_reads_changes_and_deletes_its_own(api):
    pid = make(api, "partner", 1, prefix="own")[0]
    got = api.call("GET", f"/professionals/{pid}", who="partner")
    assert got.status_code == 200 and got.json["resume_text"] is None
    patched = api.call("PATCH", f"/professionals/{pid}", who="partner",
                       body={"job_title": "Lead", "company_name": ""})
    assert patched.status_code == 200, patched.json
    assert patched.json["job_title"] == "Lead" and patched.json["source"] == "partner"
    upload = api.call("POST", f"/professionals/{pid}/resume", who="partner", body=DESCRIPTOR)
    assert upload.status_code == 201, upload.json
    assert upload.json["resume"]["status"] == "awaiting_upload" and upload.json["resume_upload"]
    # Downloading stays staff-only (docs/api.md (Partners) does not open it to partners).
    assert_error(api.call("GET", f"/professionals/{pid}/resume", who="partner"), 403, "forbidden")
    assert api.call("DELETE", f"/professionals/{pid}", who="partner").status_code == 204
    assert_error(api.call("GET", f"/professionals/{pid}"), 404, "not_found")
    assert_invariants()


def _every_id_route(api, pid):
    return {
        "GET": api.call("GET", f"/professionals/{pid}", who="partner"),
        "PATCH": api.call("PATCH", f"/professionals/{pid}", who="partner",
                          body={"job_title": "Hacked"}),
        "DELETE": api.call("DELETE", f"/professionals/{pid}", who="partner"),
        "POST resume": api.call("POST", f"/professionals/{pid}/resume", who="partner",
                                body=DESCRIPTOR),
    }


def test_anyone_elses_record_is_a_404_exactly_like_a_missing_one(api, three_owners, monkeypatch):
    missing = "0" * len(three_owners["staff"][0])
    anonymous = api.call("POST", "/professionals", who=None,
                         body={"full_name": "Anon", "email": "anon@example.com",
                               "consent": True}).json["id"]
    before = {pid: api.call("GET", f"/professionals/{pid}").json
              for pid in (three_owners["globex"][0], three_owners["staff"][0], anonymous)}
    with dynamodb_calls(monkeypatch) as calls:
        expected = {route: (r.status_code, r.body.replace(missing.encode(), b"<id>"))
                    for route, r in _every_id_route(api, missing).items()}
    missing_calls = list(calls)
    assert {status for status, _ in expected.values()} == {404}
    for pid in before:
        with dynamodb_calls(monkeypatch) as calls:
            got = {route: (r.status_code, r.body.replace(pid.encode(), b"<id>"))
                   for route, r in _every_id_route(api, pid).items()}
        assert got == expected, pid  # same status, same body (but the id it names)
        assert calls == missing_calls, pid  # same requests: the read, then the same answer
        assert api.call("GET", f"/professionals/{pid}").json == before[pid]  # untouched
    assert_invariants()


def test_a_partners_patch_may_not_carry_source(api, three_owners):
    pid = three_owners["acme"][0]
    for source in ("partner", "internal", None, "bogus"):
        response = api.call("PATCH", f"/professionals/{pid}", who="partner",
                            body={"source": source, "job_title": "x"})
        assert_error(response, 400, "validation_error")
        assert set(response.json["error"]["details"]["fields"]) == {"source"}
    both = api.call("PATCH", f"/professionals/{pid}", who="partner",
                    body={"source": "direct", "email": "nope", "nickname": "x"})
    assert set(both.json["error"]["details"]["fields"]) == {"source", "email", "nickname"}
    # Validation (400) comes before existence (404), for anyone's record alike.
    other = api.call("PATCH", f"/professionals/{three_owners['globex'][0]}", who="partner",
                     body={"source": "partner"})
    assert_error(other, 400, "validation_error")
    assert api.call("GET", f"/professionals/{pid}").json["job_title"] is None
    # Staff may still set it.
    assert api.call("PATCH", f"/professionals/{pid}", body={"source": "direct"}).status_code == 200


def test_other_credentials_on_the_partner_routes(api, three_owners):
    pid = three_owners["acme"][0]
    token = api.call("POST", "/professionals", who=None,
                     body={"full_name": "T", "email": "t@example.com",
                           "consent": True}).json["access_token"]
    assert_error(api.call("GET", "/professionals", who=None), 401, "unauthorized")
    assert_error(api.call("GET", "/professionals", who=f"Bearer {token}"), 403, "forbidden")
    for method in ("GET", "PATCH", "DELETE"):
        assert_error(api.call(method, f"/professionals/{pid}", who=None,
                              body={"job_title": "x"}), 401, "unauthorized")
    assert_error(api.call("DELETE", f"/professionals/{pid}", who=f"Bearer {token}"),
                 403, "forbidden")


# -- DynamoDB Local: real Limit-then-filter semantics ------------------------------------------

@pytest.mark.ddblocal
def test_partner_pages_on_dynamodb_local(ddb_table, monkeypatch):
    """DynamoDB applies Limit before the filter: a filtered partner page can be short or empty
    while the cursor goes on, and the walk still yields exactly the matches, newest first."""
    from chalicelib import listing, professionals
    from chalicelib.auth import Caller
    acme = Caller(role="partner", name="acme", key_id="k1")
    globex = Caller(role="partner", name="globex", key_id="k2")
    staff = Caller(role="staff", name="ops", key_id="k3")
    ids = []
    for i in range(5):
        ids.append(professionals.create({"full_name": f"A{i}", "email": f"a{i}@example.com"},
                                        acme).id)
        professionals.create({"full_name": f"G{i}", "email": f"g{i}@example.com"}, globex)
        professionals.create({"full_name": f"S{i}", "email": f"s{i}@example.com"}, staff)
    for pid in (ids[0], ids[3]):
        professionals.patch(pid, {"source": "internal"}, staff)

    def walk_local(params):
        pages, cursor = [], None
        while True:
            with dynamodb_calls(monkeypatch) as calls:
                page = listing.list_professionals({**params, **({"cursor": cursor} if cursor
                                                                 else {})}, acme)
            assert calls == [("Query", "by_partner")], calls
            pages.append([p["id"] for p in page["items"]])
            cursor = page["next_cursor"]
            if cursor is None:
                return pages

    assert walk_local({"limit": "2"}) == [[ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]]
    # Limit 2 a Query: A4 A3 -> [A3]; A2 A1 -> [] (more may follow); A0 -> [A0], the end.
    assert walk_local({"limit": "1", "source": "internal"}) == [[ids[3]], [], [ids[0]]]
    assert sum(walk_local({"limit": "2", "source": "partner"}), []) == [ids[4], ids[2], ids[1]]
    assert listing.list_professionals({"email": "g1@example.com"}, acme)["items"] == []
    with pytest.raises(NotFound):
        professionals.get(ids[1], globex)
