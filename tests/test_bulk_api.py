"""POST /professionals/bulk: upsert semantics, CSV, dry runs, partners, limits."""
from __future__ import annotations

from tests.invariants import assert_invariants
from tests.test_professionals_api import assert_error


def bulk(api, rows, who="staff", query=""):
    return api.call("POST", f"/professionals/bulk{query}", who=who, body=rows)


def csv_bulk(api, text, who="staff"):
    return api.call("POST", "/professionals/bulk", who=who, raw=text.encode("utf-8"),
                    headers={"Content-Type": "text/csv"})


def statuses(response):
    return [r["status"] for r in response.json["results"]]


def test_mixed_batch_follows_the_contract(api):
    seeded = bulk(api, [
        {"full_name": "Ada", "email": "ada@example.com", "phone": "+14155550101"},
        {"full_name": "Grace", "email": "grace@example.com", "phone": "+14155550102"},
        {"full_name": "Linus", "email": "linus@example.com"},
        {"full_name": "Pat", "phone": "+14155550103"},
    ]).json["results"]
    ada, grace, linus, pat = (r["id"] for r in seeded)
    response = bulk(api, [
        {"full_name": "New Person", "email": "new@example.com"},                   # 0 created
        {"email": "ADA@example.com", "job_title": "Countess"},                     # 1 by email
        {"email": "grace.h@example.com", "phone": "(415) 555-0102"},               # 2 another's phone
        {"full_name": "Bad", "email": "not-an-email"},                             # 3 invalid
        {"email": "ada@example.com", "phone": "+1 415 555 0102"},                  # 4 two people
        {"email": "linus@example.com", "job_title": "Kernel"},                     # 5 same person
        {"email": "linus@example.com", "job_title": "Kernel", "company_name": ""}, # 6 unchanged
        {"phone": "+14155550199"},                                                 # 7 no name
        {"email": "ada@example.com", "job_title": "Countess"},                     # 8 unchanged
        {"phone": "(415) 555-0102", "job_title": "Admiral"},                       # 9 by phone
        {"email": "pat@example.com", "phone": "+1 415 555 0103"},                  # 10 gets an email
    ])
    assert response.status_code == 207
    body = response.json
    assert statuses(response) == ["created", "updated", "failed", "failed", "failed", "updated",
                                  "unchanged", "failed", "unchanged", "updated", "updated"]
    ids = [r["id"] for r in body["results"]]
    assert ids[1] == ada and ids[5:7] == [linus, linus] and ids[8] == ada
    assert ids[9:] == [grace, pat]
    assert ids[2] is ids[3] is ids[4] is ids[7] is None
    # 8.5: a phone whose holder has another email is not a match: the row is another person.
    assert body["results"][2]["error"]["code"] == "conflict"
    assert body["results"][2]["error"]["details"]["conflicts"] == [{"field": "phone", "id": grace}]
    # 8.5: every update says what it changed; no other result carries changes.
    changes = {r["index"]: r.get("changes") for r in body["results"]}
    assert changes[1] == {"job_title": {"from": None, "to": "Countess"}}
    assert changes[5] == {"job_title": {"from": None, "to": "Kernel"}}
    assert changes[9] == {"job_title": {"from": None, "to": "Admiral"}}
    assert changes[10] == {"email": {"from": None, "to": "pat@example.com"}}
    assert all("changes" not in r for r in body["results"] if r["status"] != "updated")
    assert body["results"][3]["error"]["code"] == "validation_error"
    assert body["results"][4]["error"]["code"] == "conflict"
    assert body["results"][4]["error"]["details"]["conflicts"] == [
        {"field": "email", "id": ada}, {"field": "phone", "id": grace}]
    assert body["results"][7]["error"]["details"]["fields"] == {
        "full_name": ["Required to create a professional."]}
    assert body["summary"] == {"created": 1, "updated": 4, "unchanged": 2, "failed": 4}
    assert [r["index"] for r in body["results"]] == list(range(11))
    grace_now = api.call("GET", f"/professionals/{grace}").json
    assert (grace_now["email"], grace_now["job_title"]) == ("grace@example.com", "Admiral")
    assert api.call("GET", f"/professionals/{ada}").json["job_title"] == "Countess"
    assert api.call("GET", f"/professionals/{pat}").json["email"] == "pat@example.com"
    assert_invariants()


def test_rows_for_one_person_fold_in_order(api):
    response = bulk(api, [
        {"full_name": "Kim", "email": "kim@example.com"},
        {"email": "kim@example.com", "phone": "+14155550111"},
        {"phone": "+14155550111", "job_title": "Engineer"},
        {"phone": "+14155550111", "email": "kim2@example.com"},
        {"full_name": "Other", "email": "kim2@example.com"},
    ])
    assert statuses(response) == ["created", "updated", "updated", "failed", "created"]
    results = response.json["results"]
    first, other = results[0]["id"], results[4]["id"]
    assert first != other and [r["id"] for r in results[1:3]] == [first, first]
    assert results[2]["changes"] == {"job_title": {"from": None, "to": "Engineer"}}
    person = api.call("GET", f"/professionals/{first}").json
    assert (person["email"], person["phone"], person["job_title"]) == (
        "kim@example.com", "+14155550111", "Engineer")
    assert_invariants()


def test_dry_run_reports_without_writing(api):
    existing = bulk(api, [{"full_name": "Ada", "email": "ada@example.com"}]).json["results"][0]["id"]
    response = bulk(api, [{"full_name": "New", "email": "new@example.com"},
                          {"email": "ada@example.com", "job_title": "x"}], query="?dry_run=true")
    assert statuses(response) == ["created", "updated"]
    assert [r["id"] for r in response.json["results"]] == [None, existing]
    listed = api.call("GET", "/professionals").json["items"]
    assert [p["email"] for p in listed] == ["ada@example.com"] and listed[0]["job_title"] is None
    assert_error(bulk(api, [], query="?dry_run=maybe"), 400, "bad_request")


def test_csv_with_bom_header_case_and_quotes(api):
    text = ("\ufeff Full_Name ,EMAIL,phone,company_name\r\n"
            '"Lovelace, Ada",ada@example.com,,"Engines ""Ltd"""\r\n'
            "Grace,,+1 415 555 0102,\r\n"
            "Too,many,cells,here,extra\r\n")
    response = csv_bulk(api, text)
    assert response.status_code == 207
    assert statuses(response) == ["created", "created", "failed"]
    ada = api.call("GET", f"/professionals/{response.json['results'][0]['id']}").json
    assert (ada["full_name"], ada["phone"], ada["company_name"]) == (
        "Lovelace, Ada", None, 'Engines "Ltd"')


def test_csv_unusable_bodies_are_400(api):
    assert_error(csv_bulk(api, "full_name,email,shoe_size\nA,a@example.com,9\n"), 400,
                 "bad_request")
    assert_error(csv_bulk(api, ""), 400, "bad_request")
    assert_error(api.call("POST", "/professionals/bulk", raw=b"\xff\xfe",
                          headers={"Content-Type": "text/csv"}), 400, "bad_request")
    assert_error(bulk(api, {"rows": []}), 400, "bad_request")
    assert_error(api.call("POST", "/professionals/bulk", raw=b"[{", who="staff"), 400,
                 "bad_request")
    assert_error(api.call("POST", "/professionals/bulk", raw=b"x",
                          headers={"Content-Type": "text/plain"}), 415, "unsupported_media_type")


def test_more_than_1000_rows_is_413(api):
    rows = [{"full_name": "X", "email": f"x{i}@example.com"} for i in range(1001)]
    assert_error(bulk(api, rows), 413, "payload_too_large")


def test_bulk_needs_a_partner_or_staff_key(api):
    assert_error(bulk(api, [], who=None), 401, "unauthorized")
    token = api.call("POST", "/professionals", who=None,
                     body={"full_name": "A", "email": "a@example.com",
                           "consent": True}).json["access_token"]
    assert_error(bulk(api, [], who=f"Bearer {token}"), 403, "forbidden")


def test_partner_rows_are_partner_owned_and_cannot_touch_others(api):
    staff_made = bulk(api, [{"full_name": "Staff", "email": "s@example.com"}]).json
    response = bulk(api, [
        {"full_name": "P", "email": "p@example.com", "source": "internal"},
        {"email": "p@example.com", "job_title": "Mine"},
        {"email": "s@example.com", "job_title": "Not mine"},
    ], who="partner")
    assert statuses(response) == ["created", "updated", "failed"]
    failed = response.json["results"][2]
    assert failed["id"] is None and failed["error"]["code"] == "conflict"
    assert failed["error"]["details"]["conflicts"] == [{"field": "email"}]
    mine = api.call("GET", f"/professionals/{response.json['results'][0]['id']}").json
    assert mine["source"] == "partner" and mine["job_title"] == "Mine"
    other = bulk(api, [{"email": "p@example.com", "job_title": "Theirs"}], who="other_partner")
    assert statuses(other) == ["failed"]
    staff_id = staff_made["results"][0]["id"]
    assert api.call("GET", f"/professionals/{staff_id}").json["job_title"] is None


def test_staff_rows_may_set_source(api):
    response = bulk(api, [{"full_name": "A", "email": "a@example.com", "source": "direct"},
                          {"full_name": "B", "email": "b@example.com"},
                          {"email": "a@example.com", "job_title": "t"}])
    a, b, _ = (api.call("GET", f"/professionals/{r['id']}").json for r in response.json["results"])
    assert (a["source"], b["source"]) == ("direct", "internal")


def test_non_object_rows_fail_alone(api):
    response = bulk(api, ["nope", {"full_name": "A", "email": "a@example.com", "age": 3},
                          {"full_name": "B", "email": "b@example.com"}])
    assert statuses(response) == ["failed", "failed", "created"]
    assert response.json["results"][1]["error"]["details"]["fields"] == {"age": ["Unknown field."]}
