"""The history on the running local stack: a change shows within 5 s with the staff key as its
actor (the [stats] stream worker records it); a deletion leaves the history without values, and
the record's history then answers 404 to a staff key and a viewer, and to the stack's admin
what is left (names, no values)."""
from __future__ import annotations

import json
import time

import boto3
import pytest

from tests.cognito_helpers import bearer, stack_cognito
from tests.e2e.conftest import unique_email, wait_until

pytestmark = pytest.mark.e2e


def history(stack, http, pid: str, who: str = "staff"):
    return http.get(f"{stack.api}/professionals/{pid}/history",
                    headers={"X-Api-Key": stack.keys[who]})


def test_a_change_shows_within_5_s_and_a_deletion_drops_the_values(stack, http):
    staff = {"X-Api-Key": stack.keys["staff"]}
    created = http.post(f"{stack.api}/professionals", headers=staff,
                        json={"full_name": "Hedy Lamarr", "email": unique_email("history"),
                              "job_title": "Actress"})
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    changed = http.patch(f"{stack.api}/professionals/{pid}", headers=staff,
                         json={"job_title": "Inventor"})
    assert changed.status_code == 200, changed.text
    started = time.monotonic()

    def two_entries():
        response = history(stack, http, pid)
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        return items if len(items) == 2 else None
    items = wait_until(two_entries, timeout=5.0, interval=0.2)
    assert items, f"no history within 5 s:\n{stack.log_tail()}"
    assert time.monotonic() - started <= 5.5
    updated, created_entry = items
    assert updated["action"] == "updated" and created_entry["action"] == "created"
    assert updated["actor"] == {"kind": "key", "name": "local-staff"}
    assert updated["via"] == "api"
    assert updated["changes"] == {"job_title": {"from": "Actress", "to": "Inventor"}}
    assert history(stack, http, pid, "partner").status_code == 404  # not its record

    assert http.delete(f"{stack.api}/professionals/{pid}", headers=staff).status_code == 204
    assert history(stack, http, pid).status_code == 404  # gone: only admins read it now
    ddb = boto3.client("dynamodb", endpoint_url=stack.state["endpoints"]["dynamodb"],
                       region_name=stack.env["AWS_DEFAULT_REGION"],
                       aws_access_key_id="test", aws_secret_access_key="test")
    table = stack.env.get("HISTORY_TABLE_NAME") or f"{stack.env['TABLE_NAME']}-history"

    def erased():
        found = ddb.query(TableName=table, KeyConditionExpression="pk = :pk",
                          ExpressionAttributeValues={":pk": {"S": pid}})["Items"]
        entries = [i for i in found if i["sk"]["S"].startswith("E#")]
        if [e["action"]["S"] for e in entries][-1:] != ["deleted"]:
            return None
        return entries
    entries = wait_until(erased, timeout=5.0, interval=0.2)
    assert entries, f"the deletion was not recorded within 5 s:\n{stack.log_tail()}"
    assert [e["action"]["S"] for e in entries] == ["created", "updated", "deleted"]
    for entry in entries:
        changes = json.loads(entry["changes"]["S"])
        assert changes and all(c == {"from": None, "to": None} for c in changes.values()), entry
    deleted = entries[-1]
    assert json.loads(deleted["actor"]["S"]) == {"kind": "key", "name": "local-staff"}
    # The stack's admin (Cognito, signed in) reads what is left; a viewer gets the 404.
    pool = stack_cognito(stack)
    as_admin = http.get(f"{stack.api}/professionals/{pid}/history",
                        headers=bearer(pool.admin_token()))
    assert as_admin.status_code == 200, as_admin.text
    items = as_admin.json()["items"]
    assert [i["action"] for i in items] == ["deleted", "updated", "created"]
    assert items[1]["changes"] == {"job_title": {"from": None, "to": None}}
    viewer = pool.token(unique_email("viewer"), "viewer")
    assert http.get(f"{stack.api}/professionals/{pid}/history",
                    headers=bearer(viewer)).status_code == 404
