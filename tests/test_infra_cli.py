"""The operator commands, run against moto: keys and the invariant check."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from chalicelib import auth
from infra.__main__ import adopt_local_stack, main, unreachable
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
    assert "no AWS credentials" in err and "professionals-test" in err and "make run" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def _stack_state(path, pid: int, env: dict[str, str], status: str = "ready") -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "stack.json").write_text(json.dumps(
        {"pid": pid, "url": "http://127.0.0.1:8123", "status": status, "env": env}))


def test_a_shell_naming_no_table_uses_the_running_local_stack(store, monkeypatch, tmp_path,
                                                               capsys):
    """GIVEN a ready local stack in LOCAL_DATA_DIR and a shell without TABLE_NAME or endpoint
    WHEN `keys list` runs THEN it lists that stack's keys, saying which stack it used."""
    _, item = auth.create_key("staff", "local-staff")
    env = {"TABLE_NAME": "professionals-test", "STAGE": "test"}
    for name in env:  # restored after the test, whatever the command sets
        monkeypatch.setenv(name, "x")
    monkeypatch.delenv("TABLE_NAME")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.setenv("LOCAL_DATA_DIR", str(tmp_path))
    _stack_state(tmp_path, os.getpid(), env)
    assert main(["keys", "list"]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["key_id"] for line in out.splitlines()] == [item.key_id]
    assert err.strip() == "python -m infra: the local stack at http://127.0.0.1:8123"


def test_a_stopped_or_starting_stack_or_a_named_table_is_not_adopted(monkeypatch, tmp_path):
    environ = {"LOCAL_DATA_DIR": str(tmp_path)}
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _stack_state(tmp_path, dead.pid, {"TABLE_NAME": "t"})
    assert adopt_local_stack(environ) is None
    _stack_state(tmp_path, os.getpid(), {"TABLE_NAME": "t"}, status="starting")
    assert adopt_local_stack(environ) is None
    _stack_state(tmp_path, os.getpid(), {"TABLE_NAME": "t"})
    assert adopt_local_stack({**environ, "TABLE_NAME": "mine"}) is None
    assert adopt_local_stack({**environ, "AWS_ENDPOINT_URL_DYNAMODB": "http://x"}) is None
    assert adopt_local_stack(environ) == "http://127.0.0.1:8123"
    assert environ["TABLE_NAME"] == "t"


def test_a_missing_table_is_one_line_not_a_traceback(store, monkeypatch, capsys):
    from chalicelib import db
    monkeypatch.setenv("TABLE_NAME", "professionals-nowhere")
    db._bound["table"] = None
    try:
        assert main(["keys", "list"]) == 2
    finally:
        db._bound["table"] = None
    err = capsys.readouterr().err
    assert "no such table" in err and "professionals-nowhere" in err
    assert len(err.strip().splitlines()) == 1


def test_what_counts_as_an_unreachable_store():
    from botocore.exceptions import ClientError, NoRegionError
    missing = ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "Scan")
    assert unreachable(NoRegionError()) == "no AWS region"
    assert unreachable(RuntimeError("wrapped", missing)) is None
    try:
        raise RuntimeError("wrapped") from missing
    except RuntimeError as exc:
        assert unreachable(exc) == "no such table"
    assert unreachable(ValueError("a bug")) is None
