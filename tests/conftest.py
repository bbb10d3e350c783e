"""Fixture chain: fake credentials -> moto in-process -> the production models' table ->
chalice.test.Client on the ``test`` stage, plus a staff key, a partner key and helpers."""
from __future__ import annotations

import json
import os
import secrets

import pytest
from chalice.test import Client
from moto import mock_aws

from tests import mail_helpers, search_sync
from tests.e2e.conftest import EMULATORS
from tests.ddb_local_fixture import dynamodb_local_endpoint  # noqa: F401  (session fixture)
# Staff users (contract 8.2): ``cognito`` gives a pool in moto and access tokens per group.
from tests.cognito_helpers import cognito, moto_jwks_server  # noqa: F401  (fixtures)

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def xdist_scope(nodeid: str) -> str:
    """The unit of work a test belongs to under pytest-xdist: each emulator's end-to-end tests
    together (they share that emulator's stack, started once per worker that runs them), the
    deployment tests together (they share the packaged stages), any other test alone."""
    path, _, rest = nodeid.partition("::")
    if path.startswith("tests/e2e/") and "[" in rest:
        params = rest[rest.index("[") + 1:rest.rindex("]")].split("-")
        for emulator in EMULATORS:
            if emulator in params:
                return f"stack-{emulator}"
    if path.rpartition("/")[2].startswith("test_deploy_"):
        return "package"
    return nodeid


def pytest_xdist_make_scheduler(config, log):
    """Whole units to one worker (``xdist_scope``). pytest-xdist's own ``--dist loadgroup``
    renames items to carry their group, which pytest 9 no longer lets it do."""
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid)

    return UnitScheduling(config, log)


@pytest.fixture(autouse=True)
def _no_signing_secret_left_behind():
    """Set up before every other fixture, so torn down after them all (monkeypatch included,
    which restores what a test's delenv took away): no test hands the next one a secret ARN that
    pointed into its own, now gone, moto."""
    yield
    os.environ.pop("SIGNING_SECRET_ARN", None)


@pytest.fixture
def table_env(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB",
                 "AWS_ENDPOINT_URL_SECRETSMANAGER", "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                 "SIGNING_SECRET_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STAGE", "test")
    monkeypatch.setenv("TABLE_NAME", "professionals-test")
    monkeypatch.setenv("RESUME_BUCKET", "professionals-resumes-test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("MAIL_QUEUE_URL", "")  # store sets it; restored afterwards


@pytest.fixture
def store(table_env):
    """An empty table in moto, built from the production models; the signing secret in moto's
    Secrets Manager, read as a deployed stage reads it."""
    from chalicelib import clients, db
    from infra import resources
    with mock_aws():
        db._bound["table"] = None  # a fresh moto backend needs fresh connections
        clients.reset()
        search_sync.forget()
        resources.create_app_tables()
        clients.s3().create_bucket(Bucket=os.environ["RESUME_BUCKET"])
        mail_helpers.provision()  # the mail queue, the verified sender
        secret = clients.secretsmanager().create_secret(
            Name="professionals-test-signing", SecretString=secrets.token_urlsafe(48))
        # Not through monkeypatch: a test's monkeypatch.undo() must not take it away.
        os.environ["SIGNING_SECRET_ARN"] = secret["ARN"]
        yield
        os.environ.pop("SIGNING_SECRET_ARN", None)  # table_env's monkeypatch restores any
        db._bound["table"] = None
        clients.reset()


@pytest.fixture
def keys(store):
    from chalicelib import auth
    staff, _ = auth.create_key("staff", "ops")
    partner, _ = auth.create_key("partner", "acme")
    other_partner, _ = auth.create_key("partner", "globex")
    return {"staff": staff, "partner": partner, "other_partner": other_partner}


class Api:
    """Thin JSON helpers over chalice.test.Client."""

    def __init__(self, client: Client, keys: dict[str, str]):
        self.client = client
        self.keys = keys

    def headers(self, who: str | None, extra: dict | None = None) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if who and who.startswith("Bearer "):
            headers["Authorization"] = who
        elif who:
            headers["X-Api-Key"] = self.keys[who]
        headers.update(extra or {})
        return headers

    def call(self, method: str, path: str, who: str | None = "staff", body=None,
             headers: dict | None = None, raw: bytes | None = None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        response = self.client.http.request(method, path, headers=self.headers(who, headers),
                                            body=data)
        is_json = "json" in response.headers.get("Content-Type", "application/json")
        response.json = json.loads(response.body) if response.body and is_json else None
        return response


@pytest.fixture
def api(keys):
    from app import app
    from infra.gateway import EnvelopeGateway
    with Client(app, stage_name="test") as client:
        client.http._local_gateway = EnvelopeGateway(app, client.http._config)
        yield Api(client, keys)
