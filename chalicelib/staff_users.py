"""Staff users (contract 8.2): a Cognito access token -> who is calling, and in which group.

The API checks the token itself (docs/decisions.md says why not an API Gateway authorizer):
PyJWT verifies the RS256 signature against the pool's JWKS (fetched once per container and
kept; an unknown ``kid`` refetches it, at most once per cooldown), then the issuer, the app
client (``client_id``), ``token_use == "access"`` and the expiry. Every failure is one 401.

An access token names the user by ``sub`` only (the pool's usernames are emails, so Cognito
puts the generated username there, not the address). The first time a container sees a token,
it asks Cognito whose it is (``GetUser`` with the token itself: no IAM, and it also refuses a
token whose user was disabled or signed out globally); the answer is kept for the token's life.
"""
from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from jwt import PyJWKClient
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError, PyJWTError

from chalicelib.errors import NotFound, Unauthorized, Unavailable
from chalicelib.settings import get_settings

VIEWER, EDITOR, ADMIN = "viewer", "editor", "admin"
# A user in several groups acts with the strongest of them.
STRENGTH = {VIEWER: 1, EDITOR: 2, ADMIN: 3}
_ALGORITHM = "RS256"  # what Cognito signs with; anything else (none, HS256, ...) is refused
_JWKS_LIFESPAN = 6 * 3600  # Cognito rotates rarely; an unknown kid refetches sooner anyway
_JWKS_TIMEOUT = 3.0  # a cold start waits at most this for the keys, then answers 503
_INVALID = "The access token is not valid or has expired."


@dataclass(frozen=True)
class StaffUser:
    sub: str
    email: str
    group: str | None  # None: signed in, but in none of the three groups


def configured() -> bool:
    settings = get_settings()
    return bool(settings.cognito_user_pool_id and settings.cognito_client_id)


def public_config() -> dict[str, str]:
    """``GET /auth/config``: what the SPA needs to sign staff in (nothing secret: a public
    client has no secret). ``endpoint`` only for an emulator's Cognito."""
    settings = get_settings()
    if not configured():
        raise NotFound("This stage has no staff user pool; staff use API keys.")
    config = {"region": settings.cognito_region, "user_pool_id": settings.cognito_user_pool_id,
              "client_id": settings.cognito_client_id}
    if settings.cognito_endpoint:
        config["endpoint"] = settings.cognito_endpoint
    return config


def looks_like_jwt(token: str) -> bool:
    """A JWT has three dot-separated parts; the API's own self-service tokens
    (chalicelib.signing) have two, so neither can be taken for the other."""
    return token.count(".") == 2


def strongest(groups: Any) -> str | None:
    known = [g for g in groups if isinstance(g, str) and g in STRENGTH] \
        if isinstance(groups, list) else []
    return max(known, key=STRENGTH.__getitem__) if known else None


def user_of(token: str) -> StaffUser:
    """The verified staff user behind an access token; 401 for any token that does not pass,
    503 when the pool's keys or Cognito cannot be reached."""
    settings = get_settings()
    if not configured():
        raise Unauthorized("This API has no staff user pool; use an API key.")
    claims = _verifier(settings.cognito_issuer, settings.cognito_client_id,
                       settings.cognito_jwks_url).claims(token)
    return StaffUser(sub=claims["sub"], email=_email(token, claims),
                     group=strongest(claims.get("cognito:groups")))


class Verifier:
    """One pool and app client: its JWKS cache and the checks on every token's claims."""

    def __init__(self, issuer: str, client_id: str, jwks_url: str) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.jwks = PyJWKClient(jwks_url, cache_jwk_set=True, lifespan=_JWKS_LIFESPAN,
                                timeout=_JWKS_TIMEOUT)

    def claims(self, token: str) -> dict[str, Any]:
        try:
            # Refuse other algorithms before any key is looked at: "none" and HS256 signed with
            # the public key must never reach a verifier.
            if jwt.get_unverified_header(token).get("alg") != _ALGORITHM:
                raise Unauthorized(_INVALID)
            key = self.jwks.get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=[_ALGORITHM], issuer=self.issuer,
                                options={"require": ["exp", "iat", "iss", "sub"],
                                         "verify_aud": False},  # access tokens carry no aud
                                leeway=0)
        except PyJWKClientConnectionError as exc:
            raise Unavailable("The staff sign-in keys cannot be fetched; please retry.") from exc
        except (PyJWKClientError, PyJWTError, ValueError, TypeError) as exc:
            raise Unauthorized(_INVALID) from exc
        if claims.get("token_use") != "access" or claims.get("client_id") != self.client_id \
                or not isinstance(claims.get("sub"), str):
            raise Unauthorized(_INVALID)
        return claims


@functools.lru_cache(maxsize=4)
def _verifier(issuer: str, client_id: str, jwks_url: str) -> Verifier:
    return Verifier(issuer, client_id, jwks_url)


# token id (jti) -> (email, the token's expiry); a container sees a few users an hour.
_emails: dict[str, tuple[str, int]] = {}
_emails_lock = threading.Lock()
_EMAILS_MAX = 1000


def _email(token: str, claims: dict[str, Any]) -> str:
    jti, exp = str(claims.get("jti") or claims["sub"] + str(claims["iat"])), int(claims["exp"])
    now = time.time()
    with _emails_lock:
        kept = _emails.get(jti)
    if kept is not None and kept[1] > now:
        return kept[0]
    email = _ask_cognito(token)
    with _emails_lock:
        if len(_emails) >= _EMAILS_MAX:
            for old in [k for k, (_, e) in _emails.items() if e <= now] or list(_emails):
                del _emails[old]
        _emails[jti] = (email, exp)
    return email


def _ask_cognito(token: str) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib import clients
    try:
        answer = clients.cognito_idp().get_user(AccessToken=token)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NotAuthorizedException",
                                                         "UserNotFoundException"):
            raise Unauthorized("The staff account is disabled or signed out.") from exc
        raise Unavailable("Cognito cannot be reached; please retry.") from exc
    except BotoCoreError as exc:
        raise Unavailable("Cognito cannot be reached; please retry.") from exc
    attributes = {a["Name"]: a["Value"] for a in answer.get("UserAttributes", [])}
    return attributes.get("email") or answer["Username"]


def forget() -> None:
    """Drop the cached verifiers and users (tests swap the pool under them)."""
    _verifier.cache_clear()
    with _emails_lock:
        _emails.clear()
