"""Single-record routes: create, read, update, delete, and the error envelope around them."""
from __future__ import annotations

import re

from tests.invariants import assert_invariants

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ADA = {"full_name": "  Ada Lovelace ", "email": " Ada@Example.COM ", "phone": "(415) 555-0123",
       "company_name": "Analytical Engines", "job_title": "Engineer", "consent": True}


def create(api, body=None, who=None, **overrides):
    return api.call("POST", "/professionals", who=who, body={**(body or ADA), **overrides})


def assert_error(response, status, code):
    assert response.status_code == status, response.json
    assert set(response.json) == {"error"}
    assert response.json["error"]["code"] == code
    assert isinstance(response.json["error"]["message"], str) and response.json["error"]["message"]
    assert isinstance(response.json["error"]["details"], dict)


def test_health_is_ok(api):
    response = api.call("GET", "/health", who=None)
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_anonymous_create_normalises_and_returns_an_access_token(api):
    response = create(api)
    assert response.status_code == 201
    body = response.json
    assert body["full_name"] == "Ada Lovelace"
    assert body["email"] == "ada@example.com"
    assert body["phone"] == "+14155550123"
    assert body["source"] == "direct"
    assert body["resume"] is None
    assert TIMESTAMP.match(body["created_at"]) and body["created_at"] == body["updated_at"]
    assert body["access_token"]
    assert_invariants()


def test_duplicate_email_in_other_case_is_a_conflict_naming_the_field(api):
    first = create(api).json
    response = create(api, email="ADA@example.com", phone=None)
    assert_error(response, 409, "conflict")
    assert response.json["error"]["details"]["conflicts"] == [{"field": "email"}]
    staff = create(api, who="staff", email="ada@EXAMPLE.com", phone=None)
    assert staff.json["error"]["details"]["conflicts"] == [{"field": "email", "id": first["id"]}]


def test_duplicate_phone_in_another_format_is_a_conflict(api):
    first = create(api).json
    response = create(api, who="staff", email="other@example.com", phone="+1 415 555 0123")
    assert_error(response, 409, "conflict")
    assert response.json["error"]["details"]["conflicts"] == [{"field": "phone", "id": first["id"]}]
    both = create(api, who="staff")
    assert {c["field"] for c in both.json["error"]["details"]["conflicts"]} == {"email", "phone"}
    assert_invariants()


def test_sources_follow_the_caller(api):
    assert create(api, source="partner").status_code == 403
    assert_error(create(api, source="nonsense"), 400, "validation_error")
    assert create(api, email="p@example.com", phone=None, who="partner",
                  source="internal").json["source"] == "partner"
    assert create(api, email="s@example.com", phone=None, who="staff").json["source"] == "internal"
    assert create(api, email="d@example.com", phone=None, who="staff",
                  source="direct").json["source"] == "direct"
    staff_created = create(api, email="t@example.com", phone=None, who="staff").json
    assert "access_token" not in staff_created


def test_validation_names_every_bad_field(api):
    response = api.call("POST", "/professionals", who=None,
                        body={"full_name": "", "email": "not-an-email", "phone": "12",
                              "nickname": "x", "company_name": "c" * 201, "consent": True})
    assert_error(response, 400, "validation_error")
    assert set(response.json["error"]["details"]["fields"]) == {
        "full_name", "email", "phone", "nickname", "company_name"}
    neither = api.call("POST", "/professionals", who="staff", body={"full_name": "No Contact"})
    assert set(neither.json["error"]["details"]["fields"]) == {"email", "phone"}
    wrong_type = api.call("POST", "/professionals", who=None,
                          body={"full_name": 5, "email": "a@b.co", "consent": True})
    assert wrong_type.json["error"]["details"]["fields"] == {"full_name": ["Must be a string or null."]}
    assert_error(api.call("POST", "/professionals", who=None, body=["x"]), 400, "validation_error")


def test_empty_optional_strings_mean_null(api):
    body = create(api, company_name="", job_title="  ").json
    assert body["company_name"] is None and body["job_title"] is None


def test_malformed_bodies_get_the_envelope(api):
    assert_error(api.call("POST", "/professionals", who=None, raw=b"{nope"), 400, "bad_request")
    assert_error(api.call("POST", "/professionals", who=None, raw=b""), 400, "bad_request")
    assert_error(api.call("POST", "/professionals", who=None, raw=b"full_name=x",
                          headers={"Content-Type": "application/x-www-form-urlencoded"}),
                 415, "unsupported_media_type")
    huge = b'{"full_name": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    assert_error(api.call("POST", "/professionals", who=None, raw=huge), 413, "payload_too_large")
    assert_error(api.call("POST", "/professionals?debug=1", who=None, body=ADA), 400, "bad_request")


def test_routes_and_methods_errors_use_the_envelope(api):
    assert_error(api.call("GET", "/nowhere", who=None), 404, "not_found")
    response = api.call("PUT", "/professionals", who=None, body=ADA)
    assert_error(response, 405, "method_not_allowed")
    # OPTIONS too, as deployed (ANY method -> the app), not Chalice local's automatic 200
    response = api.call("OPTIONS", "/professionals/bulk", who=None)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"


def test_keys_and_tokens_are_checked_before_anything_else(api):
    created = create(api).json
    pid, token = created["id"], created["access_token"]
    other = create(api, email="grace@example.com", phone="+442071838750").json
    assert_error(api.call("GET", f"/professionals/{pid}", who=None), 401, "unauthorized")
    assert_error(api.call("GET", "/professionals/x", who=None, headers={"X-Api-Key": "wrong"}),
                 401, "unauthorized")
    assert_error(api.call("GET", f"/professionals/{pid}", who="Bearer forged.token"), 401,
                 "unauthorized")
    # Not the partner's record: missing, to it (docs/api.md (Partners); tests/test_partner_api.py).
    assert_error(api.call("GET", f"/professionals/{pid}", who="partner"), 404, "not_found")
    assert_error(api.call("GET", f"/professionals/{other['id']}", who=f"Bearer {token}"), 403,
                 "forbidden")
    assert_error(api.call("GET", "/professionals", who=f"Bearer {token}"), 403, "forbidden")
    assert_error(api.call("PATCH", f"/professionals/{other['id']}", who=f"Bearer {token}",
                          body={"job_title": "x"}), 403, "forbidden")
    own = api.call("GET", f"/professionals/{pid}", who=f"Bearer {token}")
    assert own.status_code == 200 and own.json["resume_text"] is None
    assert "access_token" not in own.json


def test_revoked_key_is_refused(api):
    from chalicelib import auth
    key, item = auth.create_key("staff", "temp")
    assert api.call("GET", "/professionals", who=None, headers={"X-Api-Key": key}).status_code == 200
    assert auth.revoke_key(item.key_id)
    assert_error(api.call("GET", "/professionals", who=None, headers={"X-Api-Key": key}), 401,
                 "unauthorized")


def test_get_unknown_id_is_404(api):
    assert_error(api.call("GET", "/professionals/missing"), 404, "not_found")


def test_patch_moves_the_email_guard_and_frees_the_old_value(api):
    pid = create(api).json["id"]
    response = api.call("PATCH", f"/professionals/{pid}", body={"email": "ADA2@example.com",
                                                                "company_name": None})
    assert response.status_code == 200
    assert response.json["email"] == "ada2@example.com" and response.json["company_name"] is None
    assert response.json["updated_at"] >= response.json["created_at"]
    assert create(api, phone="+442071838750").status_code == 201  # the old e-mail is free again
    assert_invariants()


def test_patch_rules(api):
    pid = create(api).json["id"]
    other = create(api, email="grace@example.com", phone="+442071838750").json["id"]
    assert_error(api.call("PATCH", f"/professionals/{pid}", body={"full_name": None}), 400,
                 "validation_error")
    for cleared in (None, "", "  "):  # found by schemathesis: was a 500 from PynamoDB
        response = api.call("PATCH", f"/professionals/{pid}", body={"source": cleared})
        assert_error(response, 400, "validation_error")
        assert response.json["error"]["details"]["fields"] == {"source": ["Cannot be cleared."]}
    assert_error(api.call("PATCH", f"/professionals/{pid}", body={"id": "x"}), 400,
                 "validation_error")
    assert api.call("PATCH", f"/professionals/{pid}", body={"phone": None}).status_code == 200
    assert_error(api.call("PATCH", f"/professionals/{pid}", body={"email": None}), 400,
                 "validation_error")
    clash = api.call("PATCH", f"/professionals/{pid}", body={"email": "GRACE@example.com"})
    assert_error(clash, 409, "conflict")
    assert clash.json["error"]["details"]["conflicts"] == [{"field": "email", "id": other}]
    assert_error(api.call("PATCH", "/professionals/missing", body={"job_title": "x"}), 404,
                 "not_found")
    assert_error(api.call("PATCH", f"/professionals/{pid}", raw=b"[", who="staff"), 400,
                 "bad_request")
    assert_invariants()


def test_patch_with_no_change_keeps_updated_at(api):
    created = create(api, who="staff").json
    same = api.call("PATCH", f"/professionals/{created['id']}", body={"job_title": "Engineer"})
    assert same.json["updated_at"] == created["updated_at"]


def test_delete_frees_email_and_phone(api):
    pid = create(api).json["id"]
    assert api.call("DELETE", f"/professionals/{pid}").status_code == 204
    assert_error(api.call("GET", f"/professionals/{pid}"), 404, "not_found")
    assert_error(api.call("DELETE", f"/professionals/{pid}"), 404, "not_found")
    assert create(api).status_code == 201
    assert_invariants()


def test_unexpected_errors_are_a_clean_500_with_a_request_id(api, monkeypatch):
    from chalicelib import professionals

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")
    monkeypatch.setattr(professionals, "get", boom)
    response = api.call("GET", "/professionals/x")
    assert_error(response, 500, "internal_error")
    request_id = response.json["error"]["details"]["request_id"]
    assert request_id and request_id in response.json["error"]["message"]
    assert "secret internals" not in response.body.decode()
    assert response.headers["X-Request-Id"] == request_id


def test_docs_are_served_by_the_api(api):
    spec = api.call("GET", "/openapi.json", who=None)
    assert spec.status_code == 200 and spec.json["openapi"].startswith("3.")
    page = api.call("GET", "/docs", who=None, headers={"Accept": "text/html"})
    assert page.status_code == 200 and b"swagger" in page.body.lower()
    script = api.client.http.request("GET", "/docs/assets/swagger-ui-bundle.js", headers={})
    assert script.status_code == 200 and len(script.body) > 100_000
    assert_error(api.call("GET", "/docs/assets/..%2Fapp.py", who=None), 404, "not_found")


def test_health_is_503_when_the_table_is_unreachable(api):
    from chalicelib.models import ProfessionalItem
    ProfessionalItem.delete_table()
    assert_error(api.call("GET", "/health", who=None), 503, "unavailable")


def test_health_waits_for_the_local_ready_marker(api, monkeypatch):
    from chalicelib import db
    monkeypatch.setenv("HEALTH_REQUIRES_READY_MARKER", "1")
    assert_error(api.call("GET", "/health", who=None), 503, "unavailable")
    db.mark_ready()
    assert api.call("GET", "/health", who=None).status_code == 200
