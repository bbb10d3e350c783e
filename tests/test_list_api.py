"""GET /professionals: newest first, filters, signed cursors, look-ups."""
from __future__ import annotations

from tests.test_professionals_api import assert_error


def seed(api, count=7):
    ids = []
    for i in range(count):
        source = ("direct", "partner", "internal")[i % 3]
        response = api.call("POST", "/professionals", body={
            "full_name": f"Person {i}", "email": f"p{i}@example.com", "source": source})
        ids.append(response.json["id"])
    return ids


def test_pages_walk_every_item_newest_first(api):
    ids = seed(api)
    seen, cursor = [], None
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = api.call("GET", f"/professionals{query}").json
        assert len(page["items"]) <= 3
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    assert "resume_text" not in api.call("GET", "/professionals").json["items"][0]


def test_source_filter_and_its_cursor(api):
    ids = seed(api)
    partner_ids = [pid for i, pid in enumerate(ids) if i % 3 == 1]
    first = api.call("GET", "/professionals?source=partner&limit=1").json
    assert [p["id"] for p in first["items"]] == [partner_ids[-1]]
    second = api.call("GET", f"/professionals?source=partner&limit=1&cursor={first['next_cursor']}")
    assert [p["id"] for p in second.json["items"]] == [partner_ids[-2]]
    assert second.json["next_cursor"] is None
    reused = api.call("GET", f"/professionals?source=direct&cursor={first['next_cursor']}")
    assert_error(reused, 400, "bad_request")
    unfiltered = api.call("GET", f"/professionals?cursor={first['next_cursor']}")
    assert_error(unfiltered, 400, "bad_request")


def test_forged_and_tampered_cursors_are_400(api):
    seed(api, 3)
    cursor = api.call("GET", "/professionals?limit=1").json["next_cursor"]
    body, mac = cursor.split(".")
    tampered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac
    for bad in (tampered, "garbage", cursor + "x", "e30.e30"):
        assert_error(api.call("GET", f"/professionals?cursor={bad}"), 400, "bad_request")


def test_query_parameter_errors(api):
    for query in ("?limit=0", "?limit=101", "?limit=ten", "?source=web", "?colour=red",
                  "?email=not-an-email", "?email=a@example.com&cursor=x"):
        assert_error(api.call("GET", f"/professionals{query}"), 400, "bad_request")


def test_look_up_by_email_or_phone_in_any_format(api):
    created = api.call("POST", "/professionals", body={
        "full_name": "Ada", "email": "ada@example.com", "phone": "+14155550123"}).json
    by_email = api.call("GET", "/professionals?email=%20ADA@Example.com").json
    assert [p["id"] for p in by_email["items"]] == [created["id"]]
    assert by_email["next_cursor"] is None
    by_phone = api.call("GET", "/professionals?phone=(415)%20555-0123").json
    assert [p["id"] for p in by_phone["items"]] == [created["id"]]
    assert api.call("GET", "/professionals?email=nobody@example.com").json["items"] == []
    assert api.call("GET", "/professionals?email=ada@example.com&source=partner").json[
        "items"] == []


def test_list_needs_a_key(api):
    assert_error(api.call("GET", "/professionals", who=None), 401, "unauthorized")
    # A partner's list is its own records (tests/test_partner_api.py); here, none.
    assert api.call("GET", "/professionals", who="partner").json == {"items": [],
                                                                     "next_cursor": None}
