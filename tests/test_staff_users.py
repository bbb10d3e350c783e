"""Staff accounts (contract 8.2): Cognito access tokens checked by the API itself.

Attacks first: forged, expired, foreign and misused tokens are a 401 and write nothing; a viewer
writes nothing; a user in no group opens nothing. Then the groups at work, and the person's own
access tokens, which must go on working exactly as before. Tokens are real: moto's Cognito
issues them, and the forged ones are signed here with moto's own key or with one made here.
"""
from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

from chalicelib import auth, staff_users

ROW = {"full_name": "Grace Hopper", "email": "grace@example.com"}


def moto_private_key():
    """The key moto's Cognito signs every pool's tokens with (kid ``dummy``)."""
    return jwt.algorithms.RSAAlgorithm.from_jwk(
        json.dumps(load_resource("cognitoidp/resources/jwks-private.json")))


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def forged(cognito, key=None, headers=None, algorithm="RS256", **changes) -> str:
    """A real editor's access token with ``changes`` to its claims, signed again."""
    claims = {**claims_of(cognito.token("forger@example.com", "editor")), **changes}
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key if key is not None else moto_private_key(), algorithm=algorithm,
                      headers={"kid": "dummy", **(headers or {})})


def count(api) -> int:
    return len(api.call("GET", "/professionals?limit=100").json["items"])


def assert_401(response):
    assert response.status_code == 401, response.json
    assert response.json["error"]["code"] == "unauthorized"


# --- attacks -------------------------------------------------------------------------------------

def test_a_token_signed_with_another_key_under_the_pools_kid_is_401(api, cognito):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = forged(cognito, key=stranger)
    assert_401(api.call("POST", "/professionals", who=f"Bearer {token}", body=ROW))
    assert count(api) == 0


@pytest.mark.parametrize("changes", [
    {"exp": int(time.time()) - 5},                                              # expired
    {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"},     # another pool
    {"client_id": "another-app-client"},                                        # another client
    {"token_use": "id"},                                                        # not an access token
    {"exp": None},                                                              # never expires
    {"sub": None},
], ids=["expired", "wrong-issuer", "wrong-client", "token-use-id", "no-exp", "no-sub"])
def test_a_token_with_the_right_signature_and_wrong_claims_is_401(api, cognito, changes):
    token = forged(cognito, **changes)
    assert_401(api.call("POST", "/professionals", who=f"Bearer {token}", body=ROW))
    assert count(api) == 0


def test_an_id_token_from_the_pool_is_not_an_access_token(api, cognito):
    password = "Id-token-pass-1234"
    cognito.token("idtoken@example.com", "admin", password=password)
    id_token = cognito.sign_in("idtoken@example.com", password)["IdToken"]
    assert claims_of(id_token)["token_use"] == "id"
    assert_401(api.call("GET", "/professionals", who=f"Bearer {id_token}"))


def test_alg_none_is_401(api, cognito):
    claims = claims_of(cognito.token("none@example.com", "admin"))

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    for alg in ("none", "None", "NONE"):
        token = f"{part({'alg': alg, 'kid': 'dummy', 'typ': 'JWT'})}.{part(claims)}."
        assert_401(api.call("GET", "/professionals", who=f"Bearer {token}"))


def test_hs256_signed_with_the_pools_public_key_is_401(api, cognito):
    import urllib.request
    from cryptography.hazmat.primitives import serialization
    with urllib.request.urlopen(f"{cognito.endpoint}/{cognito.user_pool_id}"
                                "/.well-known/jwks.json") as response:
        public = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(json.load(response)["keys"][0]))
    pem = public.public_bytes(serialization.Encoding.PEM,
                              serialization.PublicFormat.SubjectPublicKeyInfo)
    claims = claims_of(cognito.token("hs@example.com", "admin"))
    # PyJWT itself refuses a PEM as an HMAC secret, so sign by hand as an attacker would.
    import hashlib
    import hmac

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head = part(json.dumps({"alg": "HS256", "kid": "dummy", "typ": "JWT"}).encode())
    body = part(json.dumps(claims).encode())
    mac = hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert_401(api.call("GET", "/professionals", who=f"Bearer {head}.{body}.{part(mac)}"))


@pytest.mark.parametrize("token", ["a.b.c", "..", "eyJhbGciOiJSUzI1NiJ9.e30.", "x" * 5000 + ".y.z"])
def test_garbage_shaped_like_a_jwt_is_401(api, cognito, token):
    assert_401(api.call("GET", "/professionals", who=f"Bearer {token}"))


def test_a_token_of_another_pool_is_401(api, cognito):
    from tests.cognito_helpers import create_pool, staff_user
    other_pool, other_client = create_pool(cognito.client(), name="someone-elses")
    token = staff_user(cognito.client(), other_pool, other_client, "x@example.com", "admin")
    assert_401(api.call("GET", "/professionals", who=f"Bearer {token}"))


def test_a_user_in_no_group_is_403_everywhere(api, cognito):
    token = cognito.token("nogroup@example.com", None)
    for method, path in (("GET", "/professionals"), ("GET", "/stats"),
                         ("POST", "/professionals/bulk"), ("GET", "/imports")):
        response = api.call(method, path, who=f"Bearer {token}", body=[ROW])
        assert response.status_code == 403, (method, path, response.json)
        assert response.json["error"]["code"] == "forbidden"
    # Not taken for an anonymous caller either: it would be a sign-up.
    assert api.call("POST", "/professionals", who=f"Bearer {token}",
                    body={**ROW, "consent": True}).status_code == 403
    assert count(api) == 0


def write_routes(pid: str) -> list[tuple[str, str, object]]:
    resume = {"filename": "cv.pdf", "content_type": "application/pdf", "size_bytes": 1000}
    return [
        ("POST", "/professionals", {**ROW, "email": "new@example.com"}),
        ("POST", "/professionals/bulk", [{**ROW, "email": "bulk@example.com"}]),
        ("POST", "/professionals/bulk?dry_run=true", [{**ROW, "email": "dry@example.com"}]),
        ("PATCH", f"/professionals/{pid}", {"job_title": "Admiral"}),
        ("DELETE", f"/professionals/{pid}", None),
        ("POST", f"/professionals/{pid}/resume", resume),
        ("POST", "/imports", {"filename": "people.csv", "content_type": "text/csv",
                              "size_bytes": 100}),
    ]


def test_a_viewer_is_403_on_every_write_route_and_nothing_changes(api, cognito):
    pid = api.call("POST", "/professionals", body=ROW).json["id"]
    before = api.call("GET", f"/professionals/{pid}").json
    token = cognito.token("viewer@example.com", "viewer")
    for method, path, body in write_routes(pid):
        response = api.call(method, path, who=f"Bearer {token}", body=body)
        assert response.status_code == 403, (method, path, response.json)
        assert response.json["error"]["code"] == "forbidden"
    assert api.call("GET", f"/professionals/{pid}").json == before
    assert count(api) == 1
    assert api.call("GET", "/imports").json["items"] == []


def test_jwks_unreachable_is_503_not_500(api, cognito, monkeypatch):
    token = cognito.token("cold@example.com", "editor")
    monkeypatch.setenv("COGNITO_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    staff_users.forget()
    response = api.call("GET", "/professionals", who=f"Bearer {token}")
    assert response.status_code == 503, response.json
    assert response.json["error"]["code"] == "unavailable"


def test_a_disabled_users_token_is_refused_by_a_container_that_has_not_seen_it(api, cognito):
    token = cognito.token("leaver@example.com", "editor")
    client = cognito.client()
    client.admin_disable_user(UserPoolId=cognito.user_pool_id, Username="leaver@example.com")
    client.admin_user_global_sign_out(UserPoolId=cognito.user_pool_id,
                                      Username="leaver@example.com")
    assert_401(api.call("GET", "/professionals", who=f"Bearer {token}"))


# --- the groups at work --------------------------------------------------------------------------

@pytest.mark.parametrize("group", ["viewer", "editor", "admin"])
def test_every_group_reads(api, cognito, group):
    api.call("POST", "/professionals", body=ROW)
    token = cognito.token(f"{group}@example.com", group)
    response = api.call("GET", "/professionals", who=f"Bearer {token}")
    assert response.status_code == 200, response.json
    assert [p["email"] for p in response.json["items"]] == [ROW["email"]]
    pid = response.json["items"][0]["id"]
    assert api.call("GET", f"/professionals/{pid}", who=f"Bearer {token}").status_code == 200
    assert api.call("GET", "/stats", who=f"Bearer {token}").status_code == 200


@pytest.mark.parametrize("group", ["editor", "admin"])
def test_editors_and_admins_write_as_staff(api, cognito, group):
    token = cognito.token(f"{group}-w@example.com", group)
    created = api.call("POST", "/professionals", who=f"Bearer {token}", body=ROW)
    assert created.status_code == 201, created.json
    assert created.json["source"] == "internal"  # staff's default
    assert "access_token" not in created.json
    pid = created.json["id"]
    assert api.call("PATCH", f"/professionals/{pid}", who=f"Bearer {token}",
                    body={"job_title": "Admiral"}).json["job_title"] == "Admiral"
    assert api.call("DELETE", f"/professionals/{pid}", who=f"Bearer {token}").status_code == 204


def test_the_strongest_of_several_groups_counts(cognito):
    client = cognito.client()
    token = cognito.token("both@example.com", "viewer")
    client.admin_add_user_to_group(UserPoolId=cognito.user_pool_id, Username="both@example.com",
                                   GroupName="admin")
    assert claims_of(token)["cognito:groups"] == ["viewer"]
    token = cognito.sign_in("both@example.com", _reset_password(cognito, "both@example.com"))[
        "AccessToken"]
    caller = auth.identify({"authorization": f"Bearer {token}"})
    assert (caller.role, caller.group, caller.name) == (auth.STAFF, auth.ADMIN, "both@example.com")
    assert caller.actor == {"kind": "staff", "name": "both@example.com"}
    assert staff_users.strongest(["editor", "viewer", "nonsense"]) == "editor"
    assert staff_users.strongest("admin") is None  # a claim of the wrong shape counts for nothing
    assert staff_users.strongest([{"admin": 1}, ["admin"], "viewer"]) == "viewer"


def _reset_password(cognito, email: str) -> str:
    password = "Reset-pass-12345"
    cognito.client().admin_set_user_password(UserPoolId=cognito.user_pool_id, Username=email,
                                             Password=password, Permanent=True)
    return password


def test_a_staff_key_still_acts_as_an_editor(api, cognito):
    caller = auth.identify({"x-api-key": api.keys["staff"]})
    assert caller.group is None and caller.actor["kind"] == "key"
    auth.require(caller, auth.STAFF, write=True)  # no 403
    assert api.call("POST", "/professionals", body=ROW).status_code == 201


def test_each_user_is_an_idempotency_scope_of_their_own(api, cognito):
    one = cognito.token("one@example.com", "editor")
    two = cognito.token("two@example.com", "editor")
    first = api.call("POST", "/professionals", who=f"Bearer {one}", body=ROW,
                     headers={"Idempotency-Key": "same-key"})
    assert first.status_code == 201
    replay = api.call("POST", "/professionals", who=f"Bearer {one}", body=ROW,
                      headers={"Idempotency-Key": "same-key"})
    assert replay.headers.get("Idempotent-Replayed") == "true"
    other = api.call("POST", "/professionals", who=f"Bearer {two}", body=ROW,
                     headers={"Idempotency-Key": "same-key"})
    assert other.status_code == 409  # ran (not a replay of one's answer): the email is taken
    assert "Idempotent-Replayed" not in other.headers


# --- the person's own tokens are unchanged --------------------------------------------------------

def test_self_service_access_tokens_work_as_before_beside_a_pool(api, cognito):
    created = api.call("POST", "/professionals", who=None, body={**ROW, "consent": True})
    assert created.status_code == 201
    token, pid = created.json["access_token"], created.json["id"]
    assert not staff_users.looks_like_jwt(token)
    mine = api.call("GET", f"/professionals/{pid}", who=f"Bearer {token}")
    assert mine.status_code == 200
    assert api.call("GET", "/professionals", who=f"Bearer {token}").status_code == 403
    assert_401(api.call("GET", f"/professionals/{pid}", who=f"Bearer {token}x"))


# --- where staff sign in -------------------------------------------------------------------------

def test_auth_config_names_the_pool_and_the_emulators_endpoint(api, cognito):
    response = api.call("GET", "/auth/config", who=None)
    assert response.status_code == 200
    assert response.json == {"region": "us-east-1", "user_pool_id": cognito.user_pool_id,
                             "client_id": cognito.client_id, "endpoint": cognito.endpoint}


def test_auth_config_without_a_pool_is_404_and_has_no_endpoint_on_aws(api, monkeypatch):
    monkeypatch.delenv("COGNITO_USER_POOL_ID", raising=False)
    assert api.call("GET", "/auth/config", who=None).status_code == 404
    monkeypatch.setenv("COGNITO_USER_POOL_ID", "eu-west-1_Abc")
    monkeypatch.setenv("COGNITO_CLIENT_ID", "client123")
    monkeypatch.setenv("COGNITO_REGION", "eu-west-1")
    monkeypatch.delenv("COGNITO_ENDPOINT", raising=False)
    assert api.call("GET", "/auth/config", who=None).json == {
        "region": "eu-west-1", "user_pool_id": "eu-west-1_Abc", "client_id": "client123"}


# --- python -m infra staff -----------------------------------------------------------------------

def test_the_staff_command_adds_regroups_lists_and_disables(cognito, capsys):
    from infra.__main__ import main
    assert main(["staff", "add", "New.Person@Example.com", "--group", "viewer"]) == 0
    added = json.loads(capsys.readouterr().out)
    assert added["email"] == "new.person@example.com" and added["temporary_password"]
    assert main(["staff", "group", "new.person@example.com", "admin"]) == 0
    capsys.readouterr()
    assert main(["staff", "list"]) == 0
    users = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert users == [{"email": "new.person@example.com", "status": "FORCE_CHANGE_PASSWORD",
                      "enabled": True, "groups": ["admin"]}]
    assert main(["staff", "disable", "new.person@example.com"]) == 0
    assert json.loads(capsys.readouterr().out)["enabled"] is False
    assert main(["staff", "list"]) == 0
    assert json.loads(capsys.readouterr().out)["enabled"] is False


def test_the_staff_command_without_a_pool_says_so(store, monkeypatch, capsys):
    from infra.__main__ import main
    monkeypatch.delenv("COGNITO_USER_POOL_ID", raising=False)
    assert main(["staff", "list"]) == 2
    assert "COGNITO_USER_POOL_ID" in capsys.readouterr().err


# --- every route against every group (table-driven) ----------------------------------------------

PUBLIC_ROUTES = {("GET", "/health"), ("POST", "/sessions"), ("POST", "/access-links"),
                 ("GET", "/auth/config"), ("GET", "/openapi.json"), ("GET", "/docs"),
                 ("GET", "/docs/assets/{name}")}
# (method, route, writes?): every route that reads credentials.
STAFF_ROUTES = [
    ("GET", "/professionals", False),
    ("GET", "/professionals/{professional_id}", False),
    ("GET", "/professionals/{professional_id}/history", False),
    ("GET", "/professionals/{professional_id}/similar", False),
    ("GET", "/professionals/{professional_id}/resume", False),
    ("GET", "/imports", False),
    ("GET", "/imports/{import_id}", False),
    ("GET", "/imports/{import_id}/errors", False),
    ("GET", "/stats", False),
    ("POST", "/professionals", True),
    ("POST", "/professionals/bulk", True),
    ("PATCH", "/professionals/{professional_id}", True),
    ("POST", "/professionals/{professional_id}/resume", True),
    ("POST", "/imports", True),
    ("DELETE", "/professionals/{professional_id}", True),  # last: it removes the record
]


def test_the_table_names_every_route_of_the_app():
    from app import app
    routes = {(method, path) for path, methods in app.routes.items() for method in methods}
    assert routes == PUBLIC_ROUTES | {(m, p) for m, p, _ in STAFF_ROUTES}


def _request(method: str, route: str, pid: str, n: int) -> tuple[str, object]:
    path = route.replace("{professional_id}", pid).replace("{import_id}", "0" * 32)
    bodies = {
        ("POST", "/professionals"): {"full_name": "Row", "email": f"row{n}@example.com"},
        ("POST", "/professionals/bulk"): [{"full_name": "Bulk", "email": f"bulk{n}@example.com"}],
        ("PATCH", "/professionals/{professional_id}"): {"job_title": f"Title {n}"},
        ("POST", "/professionals/{professional_id}/resume"): {
            "filename": "cv.pdf", "content_type": "application/pdf", "size_bytes": 1000},
        ("POST", "/imports"): {"filename": "people.csv", "content_type": "text/csv",
                               "size_bytes": 100},
    }
    return path, bodies.get((method, route))


@pytest.mark.parametrize("group", ["viewer", "editor", "admin", None],
                         ids=["viewer", "editor", "admin", "no-group"])
def test_every_route_against_every_group(api, cognito, group):
    pid = api.call("POST", "/professionals", body=ROW).json["id"]
    token = cognito.token(f"table-{group}@example.com", group)
    for n, (method, route, writes) in enumerate(STAFF_ROUTES):
        path, body = _request(method, route, pid, n)
        status = api.call(method, path, who=f"Bearer {token}", body=body).status_code
        refused = group is None or (group == "viewer" and writes)
        if refused:
            assert status == 403, (group, method, route, status)
        else:  # past the credential and role checks (a 404 for an unknown import is fine)
            assert status not in (401, 403) and status < 500, (group, method, route, status)


def test_the_local_admin_is_generated_once_and_kept_with_the_keys(tmp_path):
    from infra.local.datadir import DEFAULT_ADMIN_EMAIL, DataDir
    email, password = DataDir(tmp_path).staff_admin(None, None)
    assert email == DEFAULT_ADMIN_EMAIL == "admin@professionals.local"
    assert len(password) >= 12 and any(c.isdigit() for c in password)
    assert DataDir(tmp_path).staff_admin(None, None) == (email, password)  # a restart
    assert DataDir(tmp_path).staff_admin("boss@example.com", "Given-pass-123") == (
        "boss@example.com", "Given-pass-123")
    kept = json.loads((tmp_path / "keys.json").read_text())
    assert (kept["admin_email"], kept["admin_password"]) == ("boss@example.com", "Given-pass-123")
    assert ((tmp_path / "keys.json").stat().st_mode & 0o777) == 0o600


def test_the_pools_region_is_read_from_its_id_when_not_given(monkeypatch):
    from chalicelib.settings import get_settings
    monkeypatch.delenv("COGNITO_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("COGNITO_USER_POOL_ID", "eu-west-1_AbCdEf")
    settings = get_settings()
    assert settings.cognito_region == "eu-west-1"
    assert settings.cognito_issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf"
    assert settings.cognito_jwks_url == settings.cognito_issuer + "/.well-known/jwks.json"
    monkeypatch.setenv("COGNITO_ENDPOINT", "http://127.0.0.1:5000/")
    assert get_settings().cognito_jwks_url == \
        "http://127.0.0.1:5000/eu-west-1_AbCdEf/.well-known/jwks.json"
