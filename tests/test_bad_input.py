"""A catalogue of bad input: each gets the contract's status and envelope, and loses nothing."""
from __future__ import annotations

import json

import pytest

from tests.invariants import assert_invariants
from tests.test_bulk_api import bulk, csv_bulk, statuses
from tests.test_professionals_api import assert_error


@pytest.mark.parametrize("raw", [b"{", b"nul", b'{"full_name": "A",}', b"\xff\xfe{}", b"[1,2"])
def test_malformed_json_is_bad_request(api, raw):
    assert_error(api.call("POST", "/professionals", who=None, raw=raw), 400, "bad_request")


@pytest.mark.parametrize("body, field", [
    ({"full_name": ["A"], "email": "a@example.com"}, "full_name"),
    ({"full_name": "A", "email": 42}, "email"),
    ({"full_name": "A", "phone": {"n": 1}}, "phone"),
    ({"full_name": "A", "email": "a@example.com", "source": True}, "source"),
])
def test_wrong_types_name_the_field(api, body, field):
    response = api.call("POST", "/professionals", who="staff", body=body)
    assert_error(response, 400, "validation_error")
    assert field in response.json["error"]["details"]["fields"]


def test_ten_megabyte_strings_are_refused_without_echoing_them(api):
    huge = "x" * (10 * 1024 * 1024)
    response = api.call("POST", "/professionals", who=None, body={"full_name": huge})
    assert response.status_code == 413 and len(response.body) < 2000
    long_name = api.call("POST", "/professionals", who=None,
                         body={"full_name": "x" * 100_000, "email": "a@example.com"})
    assert_error(long_name, 400, "validation_error")
    assert len(long_name.body) < 2000
    assert api.call("GET", "/professionals").json["items"] == []


def test_csv_with_semicolons_is_an_unknown_column(api):
    response = csv_bulk(api, "full_name;email\nAda;ada@example.com\n")
    assert_error(response, 400, "bad_request")
    assert response.json["error"]["details"]["columns"] == ["full_name;email"]


def test_csv_formulas_are_stored_as_text_not_evaluated(api):
    response = csv_bulk(api, 'full_name,email,company_name\n"=cmd|\' /C calc\'!A0",f@example.com,'
                             '"=HYPERLINK(""http://x"")"\n')
    assert statuses(response) == ["created"]
    person = api.call("GET", f"/professionals/{response.json['results'][0]['id']}").json
    assert person["full_name"].startswith("=cmd|") and person["company_name"].startswith("=HYPER")


def test_csv_mixed_line_endings_and_unicode(api):
    text = "full_name,email\r\nZoë Ångström,zoe@example.com\nJosé Núñez,jose@example.com\r\n" \
           "李小龍,li@example.com\n"
    response = csv_bulk(api, text)
    assert statuses(response) == ["created", "created", "created"]
    names = {p["full_name"] for p in api.call("GET", "/professionals").json["items"]}
    assert names == {"Zoë Ångström", "José Núñez", "李小龍"}


def test_emails_differing_only_in_case_are_one_person(api):
    response = bulk(api, [{"full_name": "A", "email": "Mixed@Example.com"},
                          {"email": "mixed@EXAMPLE.COM", "job_title": "x"}])
    assert statuses(response) == ["created", "updated"]
    assert response.json["results"][0]["id"] == response.json["results"][1]["id"]


def test_phones_in_five_formats_are_one_phone(api):
    formats = ["+1 415 555 0123", "(415) 555-0123", "415.555.0123", "14155550123",
               "+1-415-555-0123"]
    rows = [{"full_name": "P", "phone": formats[0]}] + [
        {"phone": f, "job_title": f"t{i}"} for i, f in enumerate(formats[1:])]
    response = bulk(api, rows)
    assert statuses(response) == ["created"] + ["updated"] * 4
    assert len({r["id"] for r in response.json["results"]}) == 1
    listed = api.call("GET", "/professionals?phone=415%20555%200123").json["items"]
    assert [p["phone"] for p in listed] == ["+14155550123"]
    assert_invariants()


def test_keys_missing_invalid_and_wrong_role(api):
    assert_error(api.call("POST", "/professionals/bulk", who=None, body=[]), 401, "unauthorized")
    assert_error(api.call("POST", "/professionals/bulk", who=None, body=[],
                          headers={"X-Api-Key": "not-a-key"}), 401, "unauthorized")
    # The resume download is staff only; a partner's DELETE of a missing record is a 404.
    assert_error(api.call("GET", "/professionals/x/resume", who="partner"), 403, "forbidden")
    assert_error(api.call("DELETE", "/professionals/x", who="partner"), 404, "not_found")
    assert_error(api.call("GET", "/professionals", who=None,
                          headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401, "unauthorized")


def test_nothing_half_written_after_a_rejected_create(api):
    api.call("POST", "/professionals", who="staff",
             body={"full_name": "A", "email": "a@example.com", "phone": "+14155550123"})
    clash = api.call("POST", "/professionals", who="staff",
                     body={"full_name": "B", "email": "b@example.com", "phone": "(415) 555-0123"})
    assert_error(clash, 409, "conflict")
    assert api.call("GET", "/professionals?email=b@example.com").json["items"] == []
    free = api.call("POST", "/professionals", who="staff",
                    body={"full_name": "B", "email": "b@example.com"})
    assert free.status_code == 201  # the failed create left no guard for b@example.com
    assert_invariants()


def test_error_bodies_are_json_envelopes_never_traces(api):
    for method, path, raw in [("POST", "/professionals", b"{"), ("GET", "/nope", b""),
                              ("PUT", "/professionals/x", b"{}")]:
        response = api.call(method, path, raw=raw, who="staff")
        body = json.loads(response.body)
        assert set(body) == {"error"} and "Traceback" not in response.body.decode()
