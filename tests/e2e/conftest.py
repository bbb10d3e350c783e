"""The whole local stack (``python -m infra.local_stack``), started once per emulator.

Each stack gets free ports, its own data folder, table name and bucket/queue names, so it never
meets a ``make run`` on the same machine, and it is stopped (SIGTERM) at the end of the session,
checking that every process it started has exited.
"""
from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.stack import process_group_alive, start_stack, stop_stack

EMULATORS = ["moto", "localstack"]


@pytest.fixture(scope="session", params=EMULATORS)
def stack(request, tmp_path_factory):
    emulator = request.param
    data_dir = tmp_path_factory.mktemp(f"stack-{emulator}")
    running = start_stack(emulator, data_dir)
    yield running
    children = running.child_pids()
    code = stop_stack(running)
    assert code == 0, f"the stack exited with {code}:\n{running.log_tail()}"
    left = {name: pid for name, pid in children.items() if process_group_alive(pid)}
    assert not left, f"processes left behind: {left}"
    assert not (data_dir / "stack.json").exists()
    if emulator == "localstack":  # its S3 data folder is machine-wide: the stack removes its own
        assert not (Path("/tmp/localstack-s3-storage") / running.env["RESUME_BUCKET"]).exists()


@pytest.fixture
def http():
    import requests
    with requests.Session() as session:
        yield session


def unique_email(tag: str) -> str:
    return f"{tag}-{secrets.token_hex(6)}@example.com"


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return value
        time.sleep(interval)


def get_json(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")
