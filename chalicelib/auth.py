"""Who is calling: API keys (stored hashed, with a role) and per-professional access tokens."""
from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from chalicelib import db, logs, signing, staff_users
from chalicelib.clock import now_iso
from chalicelib.errors import BadRequest, Forbidden, Unauthorized
from chalicelib.models import ApiKeyItem, ProfessionalItem, api_key_pk, professional_pk
from chalicelib.staff_users import ADMIN, EDITOR, VIEWER  # noqa: F401  staff users' groups (8.2)

ANONYMOUS, PARTNER, STAFF, TOKEN = "anonymous", "partner", "staff", "token"
ROLES = (PARTNER, STAFF)
TOKEN_TTL_SECONDS = 24 * 3600
EMAIL_TOKEN_TTL_SECONDS = 7 * 24 * 3600
_TOKEN_PURPOSE = "access-token"
_EMAIL_TOKEN_PURPOSE = "email-token"  # its own key: neither token passes as the other
DEAD_LINK = "The link is not valid or has expired; ask for a new one."


@dataclass(frozen=True)
class Caller:
    role: str
    name: str | None = None
    key_id: str | None = None
    professional_id: str | None = None
    # A signed-in staff user's Cognito group (VIEWER, EDITOR or ADMIN); None for any key, token
    # or anonymous caller. A staff API key acts as EDITOR (contract 8.2).
    group: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role == STAFF

    @property
    def actor(self) -> dict[str, str | None]:
        """Who made a change, as history names it (contract 8.2's ``actor``)."""
        if self.role == TOKEN:
            return {"kind": "person", "name": None}
        if self.role == ANONYMOUS:
            return {"kind": "anonymous", "name": None}
        if self.group is not None:
            return {"kind": "staff", "name": self.name}  # name: the user's email
        return {"kind": "key", "name": self.name}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def identify(headers: dict[str, str]) -> Caller:
    """The caller behind a request's headers; 401 for an unknown key or a bad token."""
    key = headers.get("x-api-key")
    if key is not None:
        item = db.get(api_key_pk(hash_key(key.strip())))
        if isinstance(item, ApiKeyItem):  # a revoked key too: its id shows who still uses it
            logs.set_caller(item.role, item.key_id)
        if not isinstance(item, ApiKeyItem) or item.revoked_at:
            raise Unauthorized("The API key is not valid.")
        return Caller(role=item.role, name=item.name, key_id=item.key_id)
    authorization = headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Authorization must be 'Bearer <access_token>'.")
        if staff_users.looks_like_jwt(token.strip()):
            return _staff_user(token.strip())
        payload = _open(token.strip(), _TOKEN_PURPOSE)
        if payload is None:
            raise Unauthorized("The access token is not valid or has expired.")
        logs.set_caller(TOKEN)
        # Bound to the person, not to the address: once they are erased it opens nothing, nor
        # does it open a record made later under the same id, nor outlive a new generation.
        held = db.fields(professional_pk(payload["sub"]), "created_at", "credential_generation")
        if held is None:
            raise Unauthorized("The access token's professional no longer exists.")
        if not _same_credentials(payload, held.get("created_at", {}).get("S"),
                                 int(held.get("credential_generation", {}).get("N", 0))):
            raise Unauthorized("The access token was revoked; ask for a new link.")
        return Caller(role=TOKEN, professional_id=payload["sub"])
    logs.set_caller(ANONYMOUS)
    return Caller(role=ANONYMOUS)


def _staff_user(token: str) -> Caller:
    """A Cognito access token (contract 8.2): a STAFF caller named by the user's email."""
    user = staff_users.user_of(token)
    # key_id: the user, for the logs and as the user's own Idempotency-Key scope.
    logs.set_caller(STAFF, f"user:{user.sub}")
    if user.group is None:
        # Signed in but given no role: nothing of the staff's is open to them, and no route
        # may take them for a key (a STAFF caller without a group is a staff API key).
        raise Forbidden("Your staff account is in no group; ask an admin to add you to one.")
    return Caller(role=STAFF, name=user.email, key_id=f"user:{user.sub}", group=user.group)


def require(caller: Caller, *roles: str, professional_id: str | None = None,
            write: bool = False) -> None:
    """401 for anonymous callers where a credential is needed, 403 for the wrong credential.

    A TOKEN caller passes only when TOKEN is allowed and the token is bound to professional_id.
    ``write``: the route changes something, which a viewer may not (``require_write``).
    """
    if caller.role in roles and (caller.role != TOKEN or caller.professional_id == professional_id):
        if write:
            require_write(caller)
        return
    if caller.role == ANONYMOUS:
        raise Unauthorized("This operation needs an X-Api-Key header.")
    if caller.role == TOKEN and TOKEN in roles:
        raise Forbidden("This access token belongs to another professional.")
    raise Forbidden("Your credentials do not allow this operation.")


def require_write(caller: Caller) -> None:
    """403 for a staff user of the ``viewer`` group: the one place a write route asks it."""
    if caller.group == VIEWER:
        raise Forbidden("A viewer may read but not change anything.")


def can_see(caller: Caller | None, item: ProfessionalItem) -> bool:
    """A partner sees only what its keys (by name) created; to it anything else is missing.
    Other roles were settled by ``require`` (a token is bound to its one record)."""
    return caller is None or caller.role != PARTNER or item.partner == caller.name


@dataclass(frozen=True)
class EmailToken:
    """What a mailed link's token says: whose record, which address (a keyed digest), which of
    the record's credentials, and its own id (a link opens one session)."""

    professional_id: str
    address: str
    created_at: str | None
    generation: int
    token_id: str
    expires: int

    def opens(self, item: ProfessionalItem) -> bool:
        """Whether the token still belongs to ``item`` as it is now."""
        return bool(item.email) and address_digest(item.email) == self.address \
            and _same_credentials({"c": self.created_at, "g": self.generation},
                                  item.created_at, generation(item))


def generation(item: ProfessionalItem) -> int:
    return int(item.credential_generation or 0)


def _credentials(item: ProfessionalItem) -> dict[str, Any]:
    """The token claims that bind it to this record's creation and credential generation."""
    return {"sub": item.id, "c": item.created_at, "g": generation(item)}


def _same_credentials(payload: dict[str, Any], created_at: str | None, held: int) -> bool:
    return payload.get("c") == created_at and payload.get("g") == held


def can_sign() -> None:
    """503 (``unavailable``) unless the signing key can be had now: called before a write whose
    answer carries a token, so that a failure to sign leaves nothing half done."""
    signing.sign({}, _TOKEN_PURPOSE)


def issue_access_token(item: ProfessionalItem) -> str:
    return signing.sign({**_credentials(item), "exp": int(time.time()) + TOKEN_TTL_SECONDS},
                        _TOKEN_PURPOSE)


def issue_email_token(item: ProfessionalItem, email: str | None = None) -> str:
    """The mailed link's token: bound to the record (as ``issue_access_token``), to the address
    it was sent to (``item.email`` unless given), and single-use through its id ``j``.

    The token carries a keyed digest of the address, not the address: the link lands in browser
    histories and access logs, and its payload is only base64."""
    return signing.sign({**_credentials(item), "ah": address_digest(email or item.email),
                         "j": secrets.token_urlsafe(12),
                         "exp": int(time.time()) + EMAIL_TOKEN_TTL_SECONDS}, _EMAIL_TOKEN_PURPOSE)


def open_email_token(token: str) -> EmailToken:
    """The claims of an email token; 400 for a forged, damaged, expired or other kind of token.
    Whether it still opens its record: ``EmailToken.opens``."""
    payload = _open(token, _EMAIL_TOKEN_PURPOSE) if isinstance(token, str) else None
    if payload is None or not isinstance(payload.get("ah"), str) \
            or not isinstance(payload.get("j"), str) or not isinstance(payload.get("g"), int):
        raise BadRequest(DEAD_LINK)
    return EmailToken(professional_id=payload["sub"], address=payload["ah"],
                      created_at=payload.get("c"), generation=payload["g"],
                      token_id=payload["j"], expires=payload["exp"])


def address_digest(email: str) -> str:
    return signing.digest(email, _EMAIL_TOKEN_PURPOSE)


def _open(token: str, purpose: str) -> dict | None:
    """The payload of an unexpired token of this purpose, or None."""
    payload = signing.verify(token, purpose)
    if not payload or not isinstance(payload.get("sub"), str) \
            or not isinstance(payload.get("exp"), int) or payload["exp"] < time.time():
        return None
    return payload


def create_key(role: str, name: str, key: str | None = None) -> tuple[str, ApiKeyItem]:
    """Store a new key (or the given one) and return it; only its hash is kept."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    key = key or f"{role[:3]}_{secrets.token_urlsafe(32)}"
    db.bind()
    item = ApiKeyItem(pk=api_key_pk(hash_key(key)), key_id=uuid.uuid4().hex[:12], name=name,
                      role=role, created_at=now_iso())
    existing = db.get(item.pk)
    if isinstance(existing, ApiKeyItem) and not existing.revoked_at:
        return key, existing  # idempotent, e.g. a fixed local key stored again
    item.save()
    return key, item


def list_keys() -> list[ApiKeyItem]:
    # An admin command over a handful of keys: a filtered scan is fine here, never in the API.
    db.bind()
    return sorted(ApiKeyItem.scan(), key=lambda k: k.created_at)


def revoke_key(key_id: str) -> bool:
    for item in list_keys():
        if item.key_id == key_id and not item.revoked_at:
            item.update(actions=[ApiKeyItem.revoked_at.set(now_iso())])
            return True
    return False
