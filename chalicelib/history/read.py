"""``GET /professionals/{id}/history``: a person's entries, newest first, one Query a page.

Who may read: staff users of any group and staff keys; a partner, for the records it created
(anyone else's is a 404, as on every other route). Once the record is gone (deleted, erased,
purged), only an ``admin`` reads what is left of its history (names, no values); to anyone
else it is a 404, as is an id that never was. The record's existence and creator are read
first (one GetItem of two attributes), then one Query of the history table.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib import clients, db, signing, validation
from chalicelib.auth import ADMIN, PARTNER, Caller
from chalicelib.errors import BadRequest, NotFound
from chalicelib.history import actors, entries
from chalicelib.models import professional_pk

QUERY_PARAMS = ("limit", "cursor")
DEFAULT_LIMIT, MAX_LIMIT = 25, 100
_PURPOSE = "history-cursor"


def history(professional_id: str, params: dict[str, str], caller: Caller) -> dict[str, Any]:
    unknown = sorted(set(params) - set(QUERY_PARAMS))
    if unknown:
        raise BadRequest(f"Unknown query parameter: {', '.join(unknown)}.",
                         {"parameters": unknown})
    limit = validation.page_limit(params.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    scope = {"id": professional_id}
    after = None
    if "cursor" in params:
        after = signing.open_cursor(params["cursor"], _PURPOSE, scope, str)
        if not after.startswith(entries.ENTRY_PREFIX):
            raise BadRequest("The cursor is not valid.")
    missing = NotFound(f"No professional with id '{professional_id}'.")
    held = db.fields(professional_pk(professional_id), "partner")
    if held is None:
        if caller.group != ADMIN:
            raise missing  # gone, or never was: only an admin reads a deleted record's history
    elif caller.role == PARTNER and held.get("partner", {}).get("S") != caller.name:
        raise missing
    kwargs: dict[str, Any] = {
        "TableName": actors.table_name(), "ScanIndexForward": False, "Limit": limit + 1,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :entry)",
        "ExpressionAttributeValues": {":pk": {"S": professional_id},
                                      ":entry": {"S": entries.ENTRY_PREFIX}}}
    if after is not None:
        kwargs["ExclusiveStartKey"] = {"pk": {"S": professional_id}, "sk": {"S": after}}
    with db.unavailable_on_error("Query"):
        found = clients.dynamodb().query(**kwargs).get("Items", [])
    if held is None and not found and after is None:
        raise missing
    page = found[:limit]
    next_cursor = signing.cursor(scope, page[-1]["sk"]["S"], _PURPOSE) \
        if len(found) > limit else None
    return {"items": [to_item(raw) for raw in page], "next_cursor": next_cursor}


def to_item(raw: dict[str, Any]) -> dict[str, Any]:
    return {"at": raw["at"]["S"], "action": raw["action"]["S"],
            "actor": json.loads(raw["actor"]["S"]), "via": raw["via"]["S"],
            "changes": json.loads(raw["changes"]["S"])}
