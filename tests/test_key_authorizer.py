"""The API Gateway REQUEST authorizer (deployed only): it names the usage-plan key of each
request and never denies; the API itself answers 401/403 as it does locally."""
from __future__ import annotations

import pytest

from chalicelib import db, gateway_auth

PUBLIC, STAFF = "s-usage-plan-key-public", "s-usage-plan-key-staff"
PREFIX = "s-usage-plan-key-partner-"
METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/api/POST/professionals"


@pytest.fixture(autouse=True)
def usage_env(monkeypatch):
    monkeypatch.setenv("USAGE_KEY_PUBLIC", PUBLIC)
    monkeypatch.setenv("USAGE_KEY_STAFF", STAFF)
    monkeypatch.setenv("USAGE_KEY_PARTNER_PREFIX", PREFIX)


def event(headers):
    return {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": headers,
            "requestContext": {"requestId": "req-1"}}


def test_each_partner_key_is_metered_under_its_own_usage_key(api):
    from chalicelib import auth
    partner_key_id = next(k.key_id for k in auth.list_keys() if k.name == "acme")
    assert gateway_auth.usage_key({"X-Api-Key": api.keys["partner"]}) == PREFIX + partner_key_id
    other = gateway_auth.usage_key({"x-api-key": api.keys["other_partner"]})
    assert other.startswith(PREFIX) and other != PREFIX + partner_key_id


def test_staff_share_the_staff_key_and_everyone_else_the_public_one(api):
    assert gateway_auth.usage_key({"X-API-KEY": api.keys["staff"]}) == STAFF
    assert gateway_auth.usage_key({}) == PUBLIC
    assert gateway_auth.usage_key(None) == PUBLIC
    assert gateway_auth.usage_key({"X-Api-Key": "unknown"}) == PUBLIC
    assert gateway_auth.usage_key({"Authorization": "Bearer whatever"}) == PUBLIC


def test_a_revoked_partner_key_is_public_traffic(api):
    from chalicelib import auth
    key_id = next(k.key_id for k in auth.list_keys() if k.name == "globex")
    auth.revoke_key(key_id)
    assert gateway_auth.usage_key({"X-Api-Key": api.keys["other_partner"]}) == PUBLIC


def test_an_unreachable_table_meters_as_public_rather_than_failing(api, monkeypatch):
    def down(pk):
        raise db.StoreUnavailable("down")
    monkeypatch.setattr(db, "get", down)
    assert gateway_auth.usage_key({"X-Api-Key": api.keys["partner"]}) == PUBLIC


def test_the_lambda_function_allows_the_method_with_the_usage_key(api):
    answer = api.client.lambda_.invoke("key_authorizer",
                                       event({"X-Api-Key": api.keys["staff"]})).payload
    assert answer["usageIdentifierKey"] == STAFF
    assert answer["policyDocument"] == {"Version": "2012-10-17", "Statement": [{
        "Action": "execute-api:Invoke", "Effect": "Allow", "Resource": METHOD_ARN}]}
    anonymous = api.client.lambda_.invoke("key_authorizer", event({})).payload
    assert anonymous["usageIdentifierKey"] == PUBLIC
    assert anonymous["policyDocument"]["Statement"][0]["Effect"] == "Allow"


def test_a_verified_staff_user_is_metered_under_the_staff_plan(api, cognito):
    token = cognito.token("metered@example.com", "viewer")
    assert gateway_auth.usage_key({"Authorization": f"Bearer {token}"}) == STAFF
    answer = api.client.lambda_.invoke("key_authorizer",
                                       event({"authorization": f"Bearer {token}"})).payload
    assert answer["usageIdentifierKey"] == STAFF


def test_unverified_or_groupless_cognito_tokens_are_public_traffic(api, cognito):
    import jwt as pyjwt
    from cryptography.hazmat.primitives.asymmetric import rsa
    token = cognito.token("forged@example.com", "admin")
    claims = pyjwt.decode(token, options={"verify_signature": False})
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = pyjwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "dummy"})
    assert gateway_auth.usage_key({"Authorization": f"Bearer {forged}"}) == PUBLIC
    groupless = cognito.token("nobody@example.com", None)
    assert gateway_auth.usage_key({"Authorization": f"Bearer {groupless}"}) == PUBLIC
    assert gateway_auth.usage_key({"Authorization": "Bearer a.b.c"}) == PUBLIC
    # A person's self-service token (two parts) never reaches the staff plan.
    assert gateway_auth.usage_key({"Authorization": "Bearer abc.def"}) == PUBLIC
