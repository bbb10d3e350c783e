"""Staff users (contract 8.2) for tests: real Cognito pools of moto, real access tokens.

In-process tests (the ``store`` fixture's moto):
    from tests.cognito_helpers import cognito  # noqa: F401  (the fixture)
    def test_x(api, cognito):
        token = cognito.token("ed@example.com", "editor")   # an access token (str)
        api.call("GET", "/professionals", who=f"Bearer {token}")

The ``cognito`` fixture makes the pool (the local stack's definition, infra/local/cognito.py)
in moto, points the app's COGNITO_* settings at it, and serves the pool's JWKS over HTTP from a
moto server in this process (the API fetches keys with urllib, which mock_aws does not see).

On the running local stack (tests/e2e, the ``stack`` fixture):
    pool = stack_cognito(stack)
    pool.admin_token()                          # the printed admin's access token
    pool.token("v@example.com", "viewer")       # a new user of that group, signed in
    pool.client()                               # a boto3 cognito-idp client of the stack's moto

Lower-level, for any cognito-idp client: ``create_pool``, ``staff_user``, ``sign_in``.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

import pytest

from infra.local import cognito as local_cognito

GROUPS = local_cognito.GROUPS


def new_password() -> str:
    """One that passes the pools' policy (12+ characters, upper, lower, digit)."""
    return f"Pw-{secrets.token_urlsafe(12)}a1A"


def create_pool(cognito_client: Any, name: str = "staff-test") -> tuple[str, str]:
    """A pool as the local stack makes it; (user_pool_id, client_id)."""
    made = local_cognito.ensure_pool(cognito_client, name)
    return made["user_pool_id"], made["client_id"]


def sign_in(cognito_client: Any, pool_id: str, client_id: str, email: str,
            password: str) -> dict[str, Any]:
    """ADMIN_USER_PASSWORD_AUTH (the local client allows it); the AuthenticationResult:
    ``AccessToken``, ``IdToken``, ``RefreshToken``, ``ExpiresIn``."""
    answer = cognito_client.admin_initiate_auth(
        UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password})
    return answer["AuthenticationResult"]


def staff_user(cognito_client: Any, pool_id: str, client_id: str, email: str,
               group: str | None, password: str | None = None) -> str:
    """Create (or reset) a confirmed user in ``group`` (None: in no group), sign in; the
    access token."""
    password = password or new_password()
    if group is None:
        local_cognito.ensure_user(cognito_client, pool_id, email, password, GROUPS[0])
        cognito_client.admin_remove_user_from_group(UserPoolId=pool_id, Username=email,
                                                    GroupName=GROUPS[0])
    else:
        local_cognito.ensure_user(cognito_client, pool_id, email, password, group)
    return sign_in(cognito_client, pool_id, client_id, email, password)["AccessToken"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Pool:
    """A pool the tests can make users in."""

    endpoint: str | None
    region: str
    user_pool_id: str
    client_id: str
    admin_email: str | None = None
    admin_password: str | None = None

    def client(self) -> Any:
        import boto3
        return boto3.client("cognito-idp", region_name=self.region, endpoint_url=self.endpoint,
                            aws_access_key_id="test", aws_secret_access_key="test")

    def token(self, email: str, group: str | None, password: str | None = None) -> str:
        return staff_user(self.client(), self.user_pool_id, self.client_id, email, group,
                          password)

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        return sign_in(self.client(), self.user_pool_id, self.client_id, email, password)

    def admin_token(self) -> str:
        assert self.admin_email and self.admin_password, "this pool has no admin user"
        return self.sign_in(self.admin_email, self.admin_password)["AccessToken"]


def stack_cognito(stack: Any) -> Pool:
    """The running local stack's pool (tests/e2e/stack.py's RunningStack), with its admin."""
    env = stack.env
    kept = json.loads((stack.data_dir / "keys.json").read_text())
    return Pool(endpoint=env["COGNITO_ENDPOINT"], region=env["COGNITO_REGION"],
                user_pool_id=env["COGNITO_USER_POOL_ID"], client_id=env["COGNITO_CLIENT_ID"],
                admin_email=kept["admin_email"], admin_password=kept["admin_password"])


@pytest.fixture(scope="session")
def moto_jwks_server():
    """A moto server in this process: it serves pools' JWKS (and the same backends as
    mock_aws) over real HTTP."""
    from moto.server import ThreadedMotoServer
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def cognito(store, moto_jwks_server, monkeypatch):
    """A pool in the ``store`` fixture's moto, and the app's COGNITO_* settings pointing at it."""
    from chalicelib import clients, staff_users
    monkeypatch.setenv("COGNITO_ENDPOINT", moto_jwks_server)
    monkeypatch.setenv("COGNITO_REGION", "us-east-1")
    clients.reset()
    pool = Pool(endpoint=moto_jwks_server, region="us-east-1", user_pool_id="", client_id="")
    pool.user_pool_id, pool.client_id = create_pool(pool.client())
    monkeypatch.setenv("COGNITO_USER_POOL_ID", pool.user_pool_id)
    monkeypatch.setenv("COGNITO_CLIENT_ID", pool.client_id)
    staff_users.forget()
    yield pool
    staff_users.forget()
