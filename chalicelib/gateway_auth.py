"""The API Gateway REQUEST authorizer: which usage-plan key a request is metered under.

It never denies. Authentication and roles stay in the API (``chalicelib.auth``), identical
locally and deployed; the authorizer only names, for API Gateway's usage plans
(``apiKeySource: AUTHORIZER``), the API key to count the request against:

* a valid partner key -> that key's own API Gateway key, ``USAGE_KEY_PARTNER_PREFIX`` + its
  ``key_id`` (registered in the partner usage plan by ``python -m infra.usage_keys sync``):
  each partner key is throttled on its own;
* a valid staff key -> ``USAGE_KEY_STAFF`` (the staff plan, shared by staff keys);
* a staff user's Cognito access token that passes the API's own check (chalicelib.staff_users:
  signature, issuer, client, expiry) and names a group -> ``USAGE_KEY_STAFF`` as well: the people
  on the staff and their automation share one plan;
* anything else (no key, a person's access token, a forged or expired Cognito token, an unknown
  or revoked key, which the API then answers with 401, or a table or JWKS that cannot be read)
  -> ``USAGE_KEY_PUBLIC`` (the public plan).

The three variables are set by the deployment template (infra/template/).
"""
from __future__ import annotations

import os
from typing import Any

from chalicelib import auth, logs, staff_users
from chalicelib.logs import log


def usage_key(headers: dict[str, str] | None) -> str:
    public = os.environ["USAGE_KEY_PUBLIC"]
    key = next((v for k, v in (headers or {}).items() if k.lower() == "x-api-key"), None)
    if not key:
        return _bearer_plan(headers or {}, public)
    try:
        caller = auth.identify({"x-api-key": key})
    except Exception as exc:  # 401 for the API to give; or the table is unreachable
        log.info("authorizer: metered as public", reason=type(exc).__name__)
        return public
    if caller.role == auth.PARTNER and caller.key_id:
        return os.environ["USAGE_KEY_PARTNER_PREFIX"] + caller.key_id
    if caller.role == auth.STAFF:
        return os.environ["USAGE_KEY_STAFF"]
    return public


def _bearer_plan(headers: dict[str, str], public: str) -> str:
    """Only a verified staff user in a group reaches the staff plan; a person's token, or any
    token that fails the check, is public traffic (the API answers it with 401 or 403)."""
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "") or ""
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not staff_users.looks_like_jwt(token):
        return public
    try:
        user = staff_users.user_of(token)
    except Exception as exc:  # 401/403/503 for the API to give
        log.info("authorizer: metered as public", reason=type(exc).__name__)
        return public
    return os.environ["USAGE_KEY_STAFF"] if user.group else public


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    """The REQUEST authorizer's answer: allow this method, metered under ``usage_key``."""
    logs.start_request((event.get("requestContext") or {}).get("requestId"))
    key = usage_key(event.get("headers"))
    return {
        "principalId": "caller",
        "policyDocument": {"Version": "2012-10-17", "Statement": [{
            "Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]},
        "usageIdentifierKey": key,
        # For API Gateway's access log ($context.authorizer.key_id): the key's id, never the key.
        "context": {"key_id": logs.caller()["key_id"] or ""},
    }
