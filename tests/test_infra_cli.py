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


def test_without_credentials_the_command_says_how_to_reach_the_local_stack(table_env, monkeypatch,
                                                                             capsys):
    """The README's `keys list` run in a shell that was not pointed at the stack: a hint and
    exit 2, not a traceback."""
    from chalicelib import clients, db
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    db._bound["table"] = None
    clients.reset()
    try:
        assert main(["keys", "list"]) == 2
    finally:
        db._bound["table"] = None
        clients.reset()
    err = capsys.readouterr().err
    assert "no AWS credentials" in err and "professionals-test" in err
    assert 'eval "$(.venv/bin/python -m infra.local_stack env)"' in err
    assert "Traceback" not in err
