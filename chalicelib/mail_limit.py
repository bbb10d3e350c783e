"""The per-address mail limit: one address receives at most ``LIMIT`` mails in any ``WINDOW``
(a sliding window), whatever the kind of mail.

One item per address in the idempotency table, ``mailcap#<sha256 hex of the canonical address>``
(the address itself is not stored), holds the send times (epoch milliseconds) still in the
window, a ``version`` and the table's TTL attribute ``expiration`` (the newest send + 1 hour).
A slot is taken optimistically: read, drop the times older than the window, refuse when
``LIMIT`` remain, else write the list with the new time on the condition that the item is still
the version read. Concurrent workers that lose the condition read again, so no 6th send is ever
admitted. Only GetItem, PutItem and DeleteItem on ``mailcap#`` ids (what the template grants).
"""
from __future__ import annotations

import hashlib
import random
import time
import unicodedata
from typing import Any

from chalicelib import clients
from chalicelib.logs import log
from chalicelib.settings import get_settings

LIMIT = 5
WINDOW_SECONDS = 3600
PREFIX = "mailcap#"
# Each lost condition means another worker took or refused a slot, so with N racing workers a
# slot is settled within N rounds; this many is far more than a mail batch (10) can need.
ATTEMPTS = 25


class Contended(RuntimeError):
    """Too many lost conditional writes in a row: the message fails and SQS delivers it again."""


def _now() -> float:
    """The clock the window is read on (tests move it)."""
    return time.time()


def key(address: str) -> str:
    return PREFIX + hashlib.sha256(_canonical(address).encode()).hexdigest()


def take(address: str) -> int | None:
    """Take a slot for one mail to ``address``: its send time (the token ``give_back`` wants),
    or None when the address had ``LIMIT`` mails in the last ``WINDOW_SECONDS``."""
    item_id = key(address)
    for _ in range(ATTEMPTS):
        now = int(_now() * 1000)
        times, version = _read(item_id)
        times = [t for t in times if t > now - WINDOW_SECONDS * 1000]
        if len(times) >= LIMIT:
            return None
        if _write(item_id, sorted([*times, now]), version):
            return now
        time.sleep(random.uniform(0, 0.02))  # let the winner's write land before reading again
    raise Contended("mail limit: too many concurrent senders for one address")


def give_back(address: str, slot: int) -> None:
    """Best effort: forget a slot whose mail SES did not take, so a retried delivery can use
    it. On failure the slot stays counted (the address gets fewer mails, never more)."""
    item_id = key(address)
    try:
        for _ in range(ATTEMPTS):
            times, version = _read(item_id)
            if slot not in times:
                return
            times.remove(slot)
            if _write(item_id, times, version):
                return
        log.warning("mail limit: slot not given back (contended)")
    except Exception:  # noqa: BLE001 - the send's own error is what the caller reports
        log.warning("mail limit: slot not given back", exc_info=True)


def _read(item_id: str) -> tuple[list[int], int | None]:
    """The send times held and the item's version (None: no item)."""
    found = _client().get_item(TableName=_table(), Key={"id": {"S": item_id}},
                               ConsistentRead=True).get("Item")
    if not found:
        return [], None
    return ([int(v["N"]) for v in found.get("sent", {}).get("L", [])],
            int(found.get("version", {}).get("N", "0")))


def _write(item_id: str, times: list[int], version: int | None) -> bool:
    """Replace the item if it is still ``version``; False when another writer came first."""
    client, table = _client(), _table()
    if version is None:
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(id)"}
    else:
        condition = {"ConditionExpression": "#v = :v",
                     "ExpressionAttributeNames": {"#v": "version"},
                     "ExpressionAttributeValues": {":v": {"N": str(version)}}}
    try:
        if times:
            client.put_item(TableName=table, Item={
                "id": {"S": item_id}, "sent": {"L": [{"N": str(t)} for t in times]},
                "version": {"N": str((version or 0) + 1)},
                "expiration": {"N": str(-(-max(times) // 1000) + WINDOW_SECONDS)}}, **condition)
        elif version is not None:
            client.delete_item(TableName=table, Key={"id": {"S": item_id}}, **condition)
    except client.exceptions.ConditionalCheckFailedException:
        return False
    return True


def _canonical(address: str) -> str:
    """The stored form of the address (every spelling of one mailbox counts as one); the NFC,
    lower-cased text when it is not one the API would store."""
    from chalicelib import validation
    try:
        return validation.normalise_email(address)
    except Exception:  # noqa: BLE001 - whatever the validator refuses is still an address to count
        return unicodedata.normalize("NFC", address.strip()).lower()


def _client() -> Any:
    return clients.dynamodb()


def _table() -> str:
    return get_settings().idempotency_table_name
