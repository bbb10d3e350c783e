"""The API Gateway REQUEST authorizer: which usage-plan key a request is metered under.

It never denies. Authentication and roles stay in the API (``chalicelib.auth``), identical
locally and deployed; the authorizer only names, for API Gateway's usage plans
(``apiKeySource: AUTHORIZER``), the API key to count the request against:

* a valid partner key -> that key's own API Gateway key, ``USAGE_KEY_PARTNER_PREFIX`` + its
  ``key_id`` (registered in the partner usage plan by ``python -m infra.usage_keys sync``):
  each partner key is throttled on its own;
* a valid staff key -> ``USAGE_KEY_STAFF`` (the staff plan, shared by staff keys);
* anything else (no key, an access token, an unknown or revoked key, which the API then answers
  with 401, or a table that cannot be read) -> ``USAGE_KEY_PUBLIC`` (the public plan).

The three variables are set by the deployment template (infra/template/).
"""
from __future__ import annotations

import os
from typing import Any

from chalicelib import auth, logs
from chalicelib.logs import log


def usage_key(headers: dict[str, str] | None) -> str:
    public = os.environ["USAGE_KEY_PUBLIC"]
    key = next((v for k, v in (headers or {}).items() if k.lower() == "x-api-key"), None)
    if not key:
        return public
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
