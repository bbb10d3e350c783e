"""The operator commands, run against moto: keys and the invariant check."""
from __future__ import annotations

import json

from chalicelib import auth
from infra.__main__ import main
from infra.verify import find_violations


def test_keys_create_list_revoke(store, capsys):
    assert main(["keys", "create", "--role", "partner", "--name", "acme"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["role"] == "partner" and created["key"]
    assert auth.identify({"x-api-key": created["key"]}).name == "acme"
    assert main(["keys", "list"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [k["key_id"] for k in listed] == [created["key_id"]]
    assert created["key"] not in json.dumps(listed)
    assert main(["keys", "revoke", created["key_id"]]) == 0
    assert main(["keys", "revoke", created["key_id"]]) == 1


def test_verify_reports_a_broken_guard(store, capsys):
    from chalicelib.models import GuardItem
    assert main(["verify"]) == 0
    GuardItem(pk="EMAIL#ghost@example.com", owner_id="nobody").save()
    assert main(["verify"]) == 1
    assert "missing professional" in capsys.readouterr().out
    assert len(find_violations()) == 1
