"""`AWS_ENDPOINT_URL` (or the per-service variables) points the stack at emulators the user
already runs: it starts none for those services (only its own moto server for Cognito and S3
Vectors, which `AWS_ENDPOINT_URL` alone does not move: contract 8.4, docs/local.md), and a
second start against the same ones changes nothing."""
from __future__ import annotations

import secrets
import socket

import pytest
from moto.server import ThreadedMotoServer

from tests.e2e.conftest import get_json
from tests.e2e.stack import process_group_alive, start_stack, stop_stack

pytestmark = pytest.mark.e2e


@pytest.fixture
def users_emulator():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_given_endpoints_start_no_emulator_and_a_restart_changes_nothing(users_emulator,
                                                                          tmp_path):
    keys = {"staff": f"sta_{secrets.token_hex(8)}", "partner": f"par_{secrets.token_hex(8)}"}
    table = f"professionals-given-{secrets.token_hex(3)}"
    for attempt, expected in ((1, "10 created"), (2, "10 unchanged")):
        stack = start_stack("moto", tmp_path, keys=keys, table_name=table,
                            AWS_ENDPOINT_URL=users_emulator, AWS_ACCESS_KEY_ID="given",
                            AWS_SECRET_ACCESS_KEY="given")
        try:
            assert set(stack.child_pids()) == {"api", "worker", "mail", "stream", "stats", "purge",
                                              "imports", "embed", "cognito"}, \
                stack.log_tail()
            assert stack.env.get("AWS_ENDPOINT_URL_S3VECTORS") not in (None, users_emulator)
            assert {stack.env[f"AWS_ENDPOINT_URL_{s}"]
                    for s in ("DYNAMODB", "S3", "SQS", "SES")} == {users_emulator}
            assert expected in stack.wait_for_log("demo data:"), f"start {attempt}"
            status, page = get_json(f"{stack.api}/professionals?limit=100",
                                    {"X-Api-Key": keys["staff"]})
            assert status == 200 and len(page["items"]) == 10
        finally:
            children = stack.child_pids()
            assert stop_stack(stack) == 0, stack.log_tail()
            assert not [p for p in children.values() if process_group_alive(p)]
