"""Who acts, and via what: the one attribute (``changed_by``) every write of a professional
carries, so that the stream's new image names its actor with no request of its own.

A delete's stream record has only the old image: the delete writes instead a small marker
(``delete_marker``) into the history table, in the delete's own transaction, which the
consumer finds when it handles the REMOVE.
"""
from __future__ import annotations

import os
import time
from typing import Any

from chalicelib.auth import TOKEN, Caller

API, BULK, IMPORT, SELF_SERVICE, RESUME, PURGE = (
    "api", "bulk", "import", "self_service", "resume", "purge")
VIAS = (API, BULK, IMPORT, SELF_SERVICE, RESUME, PURGE)
RESUME_PROCESSOR = {"kind": "system", "name": "resume-processor", "via": RESUME}
PURGER = {"kind": "system", "name": "purge", "via": PURGE}
UNKNOWN = {"kind": "system", "name": None, "via": API}  # a write from before actors were kept

KEPT_SECONDS = 2 * 366 * 24 * 3600  # entries (and markers) live 2 years: the table's TTL
# Markers live under their own key prefix: the API's grant on the history table is limited
# to it (dynamodb:LeadingKeys), so the API cannot write an entry, only say who deleted.
MARKER_PREFIX, MARKER_SK = "DEL#", "-"


def table_name() -> str:
    """Read when called (Chalice sets a stage's variables only while a handler runs)."""
    return os.environ.get("HISTORY_TABLE_NAME") or \
        f"{os.environ.get('TABLE_NAME', 'professionals')}-history"


def of(caller: Caller | None, via: str | None = None) -> dict[str, Any]:
    """``{"kind", "name", "via"}`` of a caller: a person's own token acts via self-service,
    anyone else through the API, unless the part that writes says otherwise (bulk, import)."""
    if caller is None:
        return dict(UNKNOWN)
    return {**caller.actor, "via": via or (SELF_SERVICE if caller.role == TOKEN else API)}


def expires_at() -> int:
    return int(time.time()) + KEPT_SECONDS


def delete_marker(professional_id: str, actor: dict[str, Any], at: str) -> dict[str, Any]:
    """The TransactWriteItems Put of a delete's marker (raw DynamoDB shape): who deleted, when.
    Unconditional: the same id may be deleted again (a record re-created under its idempotency
    key's derived id), and the newest delete is the one the consumer is about to read."""
    return {"Put": {"TableName": table_name(), "Item": {
        **marker_key(professional_id),
        "actor": {"S": _json({"kind": actor.get("kind"), "name": actor.get("name")})},
        "via": {"S": str(actor.get("via") or API)}, "at": {"S": at},
        "expires_at": {"N": str(expires_at())}}}}


def marker_key(professional_id: str) -> dict[str, Any]:
    return {"pk": {"S": MARKER_PREFIX + professional_id}, "sk": {"S": MARKER_SK}}


def _json(value: Any) -> str:
    import json
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
