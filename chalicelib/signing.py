"""HMAC-signed opaque strings: access tokens and list cursors.

Each purpose derives its own key, so a cursor can never pass as an access token or the reverse.
The secret they derive from is read at run time from Secrets Manager (chalicelib.signing_secret).
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
from typing import Any

from chalicelib import signing_secret
from chalicelib.errors import BadRequest


@functools.lru_cache(maxsize=64)
def _derive(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def _key(purpose: str) -> bytes:
    # Cached per secret value: a rotated secret derives new keys, an unchanged one none.
    return _derive(signing_secret.value(), purpose)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(payload: dict[str, Any], purpose: str) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(_key(purpose), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def digest(value: str, purpose: str) -> str:
    """A keyed digest of ``value`` (128 bits): it can be compared, not read back or guessed
    from a list of candidates without the secret."""
    return _b64(hmac.new(_key(purpose), b"value:" + value.encode(), hashlib.sha256).digest()[:16])


def verify(token: str, purpose: str) -> dict[str, Any] | None:
    """The payload of a string made by sign() for this purpose, or None if forged or damaged."""
    try:
        body, mac = token.split(".")
        expected = hmac.new(_key(purpose), body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            return None
        payload = json.loads(_unb64(body))
    except (ValueError, TypeError, UnicodeError):
        return None
    return payload if isinstance(payload, dict) else None


def cursor(scope: dict[str, Any], position: Any, purpose: str) -> str:
    """A page cursor: where the next page starts, bound to the request it belongs to."""
    return sign({"f": scope, "k": position}, purpose)


def open_cursor(token: str, purpose: str, scope: dict[str, Any], kind: type) -> Any:
    """The position in a cursor made by cursor() for this ``scope``; a 400 otherwise."""
    payload = verify(token, purpose)
    if payload is None or not isinstance(payload.get("k"), kind):
        raise BadRequest("The cursor is not valid.")
    if payload.get("f") != scope:
        raise BadRequest("The cursor belongs to another request; start again without it.")
    return payload["k"]
