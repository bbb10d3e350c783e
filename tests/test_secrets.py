"""The signing secret comes from Secrets Manager at run time (moto's, in-process), is cached, and
its absence or failure is a 503 ``unavailable`` that logs neither the secret nor an error text
that could carry it."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib import clients, signing, signing_secret
from chalicelib.settings import DEV_SECRET
from tests.log_capture import log_lines  # noqa: F401  (fixture)

ADA = {"full_name": "Ada Lovelace", "email": "ada@example.com", "consent": True}


def held_secret() -> str:
    return clients.secretsmanager().get_secret_value(
        SecretId=os.environ["SIGNING_SECRET_ARN"])["SecretString"]


def forged(payload: dict, purpose: str, secret: str) -> str:
    """A token as signing.sign makes it, under ``secret``."""
    key = hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()
    body = signing._b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{signing._b64(hmac.new(key, body.encode(), hashlib.sha256).digest())}"


def secret_calls() -> list[str]:
    """Every GetSecretValue the app's client makes from now on."""
    calls: list[str] = []
    clients.secretsmanager().meta.events.register(
        "provide-client-params.secretsmanager.GetSecretValue",
        lambda params, **_: calls.append(params["SecretId"]))
    return calls


def fail_secret_reads(error: Exception) -> None:
    def fail(**_):
        raise error
    clients.secretsmanager().meta.events.register(
        "before-call.secretsmanager.GetSecretValue", fail)


def cold_start() -> None:
    """A new process: no provider, no cached secret."""
    signing_secret._provider.clear()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_are_signed_with_the_value_in_secrets_manager(api):
    person = api.call("POST", "/professionals", who=None, body=ADA).json
    token = person["access_token"]
    payload = json.loads(signing._unb64(token.split(".")[0]))
    assert token == forged(payload, "access-token", held_secret())
    assert held_secret() != DEV_SECRET and DEV_SECRET not in held_secret()
    own = f"/professionals/{person['id']}"
    assert api.call("GET", own, who=f"Bearer {token}").status_code == 200
    # The development fallback is public (it is in the source): with a secret configured it
    # signs nothing that passes.
    dev = forged(payload, "access-token", DEV_SECRET)
    assert api.call("GET", own, who=f"Bearer {dev}").status_code == 401

    # Another value in Secrets Manager (a rotation), read once the cache is gone: the token
    # signed under the first value no longer verifies, one signed under the new one does.
    clients.secretsmanager().put_secret_value(SecretId=os.environ["SIGNING_SECRET_ARN"],
                                              SecretString="another-value-" + "x" * 50)
    cold_start()
    assert signing.verify(token, "access-token") is None
    assert api.call("GET", own, who=f"Bearer {token}").status_code == 401
    fresh = forged(payload, "access-token", "another-value-" + "x" * 50)
    assert signing.verify(fresh, "access-token") == payload


def test_the_secret_is_read_once_within_its_max_age(api):
    cold_start()
    calls = secret_calls()
    person = api.call("POST", "/professionals", who=None, body=ADA).json
    token = f"Bearer {person['access_token']}"
    for _ in range(5):
        assert api.call("GET", f"/professionals/{person['id']}", who=token).status_code == 200
    cursor = signing.cursor({"x": 1}, "k", "list-cursor")
    assert signing.open_cursor(cursor, "list-cursor", {"x": 1}, str) == "k"
    assert len(calls) == 1, calls
    assert signing_secret.SECRET_MAX_AGE_SECONDS == 300


def test_an_expired_cache_reads_the_secret_again(api, monkeypatch):
    """The counter above could not miss calls: with no max age every use reads it."""
    monkeypatch.setattr(signing_secret, "SECRET_MAX_AGE_SECONDS", 0)
    cold_start()
    calls = secret_calls()
    for _ in range(3):
        signing.sign({"n": 1}, "list-cursor")
    assert len(calls) == 3


def test_derived_keys_are_cached_per_secret_value(store):
    signing._derive.cache_clear()
    for _ in range(5):
        signing.verify(signing.sign({"n": 1}, "list-cursor"), "list-cursor")
    info = signing._derive.cache_info()
    assert (info.misses, info.hits) == (1, 9)


@pytest.mark.parametrize("fault", ["error", "unreachable"])
def test_secrets_manager_failing_at_cold_start_is_a_503_that_logs_no_secret(
        api, log_lines, caplog, fault):  # noqa: F811
    secret = held_secret()
    person = api.call("POST", "/professionals", who=None, body=ADA).json
    before = len(log_lines())
    cold_start()
    if fault == "error":
        # An error whose text quotes the secret: the worst a store's error message could do.
        fail_secret_reads(ClientError({"Error": {"Code": "InternalServiceError",
                                                 "Message": f"failed near {secret}"}},
                                      "GetSecretValue"))
    else:
        fail_secret_reads(EndpointConnectionError(endpoint_url=f"http://{secret}.invalid"))
    caplog.set_level(logging.DEBUG)
    own = f"/professionals/{person['id']}"
    answer = api.call("GET", own, who=f"Bearer {person['access_token']}")
    assert answer.status_code == 503, answer.json
    assert answer.json["error"]["code"] == "unavailable"
    assert set(answer.json["error"]) == {"code", "message", "details"}
    assert secret not in json.dumps(answer.json)

    lines = log_lines()[before:]
    warned = [line for line in lines if line["message"] == "signing secret unavailable"]
    assert len(warned) == 1 and warned[0]["error"] in ("ClientError", "EndpointConnectionError")
    assert [line["status"] for line in lines if line["message"] == "request"] == [503]
    everything = json.dumps(lines) + caplog.text
    assert secret not in everything
    assert "Traceback" not in everything and not any("exception" in line for line in lines)

    # Secrets Manager answers again: the next request is served, without a restart.
    clients.reset()
    assert api.call("GET", own, who=f"Bearer {person['access_token']}").status_code == 200


def test_a_signup_while_the_secret_is_unavailable_is_a_503(api):
    cold_start()
    fail_secret_reads(EndpointConnectionError(endpoint_url="http://127.0.0.1:9"))
    answer = api.call("POST", "/professionals", who=None, body=ADA)
    assert answer.status_code == 503, answer.json
    assert answer.json["error"]["code"] == "unavailable"
    # The 201 would carry a token: without the key, nothing is written (a retry signs up).
    from chalicelib import professionals
    assert professionals.find_by("email", ADA["email"].lower()) is None


def test_botocore_debug_lines_never_carry_the_secret(store, caplog):
    caplog.set_level(logging.DEBUG)
    cold_start()
    signing.sign({"n": 1}, "list-cursor")
    assert "GetSecretValue" in caplog.text  # botocore did log the call at DEBUG
    assert held_secret() not in caplog.text


def test_a_deployed_stage_without_a_secret_arn_answers_503_not_500(
        api, monkeypatch, log_lines):  # noqa: F811
    from app import app
    from chalice.test import Client
    from infra.gateway import EnvelopeGateway
    monkeypatch.delenv("SIGNING_SECRET_ARN")
    with Client(app, stage_name="dev") as client:
        client.http._local_gateway = EnvelopeGateway(app, client.http._config)
        answer = client.http.request("GET", "/professionals/p1",
                                     headers={"Authorization": "Bearer x.y"}, body=b"")
    assert answer.status_code == 503, answer.body
    assert json.loads(answer.body)["error"]["code"] == "unavailable"
    assert [line["message"] for line in log_lines() if line["level"] == "ERROR"] == [
        "signing secret not configured: SIGNING_SECRET_ARN is not set"]


def test_outside_local_and_test_there_is_no_fallback(store, monkeypatch):
    monkeypatch.delenv("SIGNING_SECRET_ARN")
    assert signing.verify(signing.sign({"n": 1}, "c"), "c") == {"n": 1}  # test: the fallback
    monkeypatch.setenv("STAGE", "prod")
    with pytest.raises(Exception) as raised:
        signing.sign({"n": 1}, "c")
    assert (raised.value.status, raised.value.code) == (503, "unavailable")


# -- the PDF parser's child process ----------------------------------------------------------

PLANTED = {"AWS_ACCESS_KEY_ID": "AKIAPLANTEDKEY000001",
           "AWS_SECRET_ACCESS_KEY": "planted-secret-key",
           "AWS_SESSION_TOKEN": "planted-session-token", "AWS_ENDPOINT_URL": "http://planted:1",
           "SIGNING_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:planted",
           "SIGNING_SECRET": "planted-signing-secret-value", "DATABASE_PASSWORD": "planted-pw"}
CHILD_MAY_SEE = {"PATH", "LANG", "LC_ALL", "LC_CTYPE", "LD_LIBRARY_PATH", "PYTHONPATH"}


@pytest.fixture
def planted(monkeypatch):
    for name, value in PLANTED.items():
        monkeypatch.setenv(name, value)


def test_the_pdf_child_process_sees_no_credentials_and_no_secret(planted, monkeypatch, tmp_path):
    from chalicelib import resume_processor
    from tests.pdf_corpus import pdf
    spy = tmp_path / "print_env.py"  # stands in for pdftext.py: "extracts" its environment
    spy.write_text("import json, os, sys\n"
                   "json.dump({'pages': 1, 'text': json.dumps(dict(os.environ))}, sys.stdout)\n")
    monkeypatch.setattr(resume_processor, "EXTRACTOR", spy)
    seen = json.loads(resume_processor.extract_text(pdf(1))["text"])
    assert set(seen) <= CHILD_MAY_SEE, sorted(set(seen) - CHILD_MAY_SEE)
    assert not [name for name in seen if name.startswith("AWS_")]
    assert not [v for v in PLANTED.values() if v in json.dumps(seen)]
    assert seen["LC_ALL"] == "C.UTF-8"


def test_a_real_pdf_still_extracts_in_the_minimal_environment(planted):
    from chalicelib import resume_processor
    from tests.pdf_corpus import pdf
    assert resume_processor._child_env().keys() <= CHILD_MAY_SEE
    result = resume_processor.extract_text(pdf(2, words="Resume of Grace Hopper"))
    assert result["pages"] == 2 and "Grace Hopper" in result["text"], result


def test_key_commands_need_no_signing_secret(store, monkeypatch, capsys):
    """``python -m infra.stage_keys`` on a deployed stage's table: nothing it does signs."""
    from infra import stage_keys
    table = os.environ["TABLE_NAME"]
    monkeypatch.setattr(stage_keys, "stage_info",
                        lambda stack: stage_keys.StageInfo(table=table, plan_id="p", prefix="x-"))
    monkeypatch.setattr(stage_keys, "sync", lambda info: stage_keys.SyncResult())
    monkeypatch.delenv("SIGNING_SECRET_ARN")
    monkeypatch.setenv("STAGE", "ops")
    monkeypatch.setenv("TABLE_NAME", table)  # main() sets it; restored afterwards
    assert stage_keys.main(["--stack", "s", "create", "--role", "partner", "--name", "acme"]) == 0
    assert stage_keys.main(["--stack", "s", "list"]) == 0
    assert '"name": "acme"' in capsys.readouterr().out
    assert not [name for name in os.environ if name.startswith("SIGNING_SECRET")]


def test_packages_outside_the_interpreters_own_reach_the_child_by_pythonpath(planted,
                                                                             monkeypatch):
    from chalicelib import resume_processor
    from tests.pdf_corpus import pdf
    monkeypatch.setattr(resume_processor, "_own_package_dirs", lambda: set())
    import pdfplumber
    where = str(Path(pdfplumber.__file__).resolve().parent.parent)
    assert resume_processor._child_env()["PYTHONPATH"] == where
    assert resume_processor.extract_text(pdf(1))["pages"] == 1


# -- the local stack ---------------------------------------------------------------------------

def test_the_local_secret_is_generated_once_and_kept_beside_the_keys(tmp_path):
    from infra.local.datadir import DataDir
    data = DataDir(tmp_path)
    secret = data.signing_secret()
    assert len(secret) == 64
    keys = data.keys(None, None)  # the keys' own write keeps the secret, and the reverse
    assert DataDir(tmp_path).signing_secret() == secret  # a restart
    assert DataDir(tmp_path).keys(None, None) == keys
    assert (data.keys_file.stat().st_mode & 0o777) == 0o600


def test_the_local_secret_goes_into_secrets_manager_and_a_restart_keeps_it(monkeypatch):
    from moto import mock_aws
    from infra.local.provision import store_signing_secret
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_SECRETSMANAGER", raising=False)
    with mock_aws():
        import boto3
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = store_signing_secret("t-signing", "v" * 64, "us-east-1")
        assert client.get_secret_value(SecretId=arn)["SecretString"] == "v" * 64
        assert store_signing_secret("t-signing", "v" * 64, "us-east-1") == arn
        # An emulator that kept another value (a given, long-running one) gets the folder's.
        assert store_signing_secret("t-signing", "w" * 64, "us-east-1") == arn
        assert client.get_secret_value(SecretId=arn)["SecretString"] == "w" * 64


def test_only_the_api_and_the_mail_worker_are_told_the_secrets_name(monkeypatch, tmp_path):
    import socket
    from infra.local import stack as local_stack
    started: dict[str, dict] = {}

    class Started:
        pid = 1

        @classmethod
        def start(cls, name, argv, env, **_):
            started[name] = env
            child = cls()
            child.name = name
            return child
    monkeypatch.setattr(local_stack, "Child", Started)
    stack = local_stack.Stack(local_stack.Options(data_dir=tmp_path))
    env = {"STAGE": "local", "SIGNING_SECRET_ARN": "arn:aws:secretsmanager:x",
           "AWS_ENDPOINT_URL_SECRETSMANAGER": "http://127.0.0.1:1",
           "STATS_DLQ_URL": "http://127.0.0.1:1/queue/stats-dlq"}  # as the stack's resources give
    with socket.socket() as listener:
        stack._start_app(env, listener)
    assert {"api", "worker", "mail", "stream", "stats", "purge"} <= set(started)
    assert {name for name, e in started.items() if "SIGNING_SECRET_ARN" in e} == {"api", "mail"}
    assert started["api"]["SIGNING_SECRET_ARN"] == "arn:aws:secretsmanager:x"
    assert not [k for e in started.values() for k in e if k == "SIGNING_SECRET"]


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_SECRETSMANAGER",
                                      "AWS_ENDPOINT_URL_SECRETS_MANAGER"])
def test_the_secret_is_read_where_the_endpoint_variable_points(api, monkeypatch, variable):
    """Both spellings move the app's client (botocore itself reads only the second); a closed
    port there is a real unreachable Secrets Manager at a cold start: 503."""
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv(variable, closed)
    assert clients.secretsmanager().meta.endpoint_url == closed
    cold_start()
    answer = api.call("POST", "/sessions", who=None, body={"token": "x.y"})
    assert answer.status_code == 503 and answer.json["error"]["code"] == "unavailable"
    assert "depends on" in answer.json["error"]["message"]  # the secret's 503, not the store's
