"""The emulator the stack starts for S3, SQS, SES and Secrets Manager (moto server, or LocalStack
in host mode), and the readiness waits. DynamoDB Local (and its stream) is
``processes.DynamoDBChild``."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from infra.local.config import HOST, PROJECT_ROOT, StackError
from infra.local.output import say
from infra.local.processes import Child

LOCALSTACK_VENV = PROJECT_ROOT / ".cache" / "localstack-venv"
LOCALSTACK_INSTALLER = PROJECT_ROOT / "infra" / "install_localstack.sh"
LOCALSTACK_REQUIREMENTS = PROJECT_ROOT / "infra" / "localstack-requirements.txt"
LOCALSTACK_S3_STORAGE = Path("/tmp/localstack-s3-storage")

# Lines not worth showing: the worker's long polls, every few seconds.
MOTO_QUIET = re.compile(r'"POST / HTTP/1\.[01]" 2\d\d')
LOCALSTACK_QUIET = re.compile(r"AWS sqs\.(ReceiveMessage|DeleteMessageBatch|DeleteMessage|"
                              r"GetQueueAttributes) => 2\d\d")


def given_endpoint(service: str) -> str | None:
    from chalicelib.clients import endpoint_url  # the app's reading of the same variables
    return endpoint_url(service)


# --- LocalStack ---------------------------------------------------------------------------------

def localstack_python() -> Path:
    return LOCALSTACK_VENV / "bin" / "python"


def ensure_localstack() -> Path:
    """Install LocalStack into its own venv (by infra/install_localstack.sh) unless it is there."""
    stamp = LOCALSTACK_VENV / ".installed"
    want = _requirements_digest()
    if stamp.is_file() and stamp.read_text().strip() == want and localstack_python().exists():
        return localstack_python()
    say("installing LocalStack into .cache/localstack-venv (once; a few minutes) ...")
    result = subprocess.run(["bash", str(LOCALSTACK_INSTALLER)], cwd=PROJECT_ROOT)
    if result.returncode != 0:
        raise StackError("installing LocalStack failed (see above); "
                         "rerun: bash infra/install_localstack.sh")
    return localstack_python()


def _requirements_digest() -> str:
    import hashlib
    return hashlib.sha256(LOCALSTACK_REQUIREMENTS.read_bytes()).hexdigest()


def localstack_env(port: int, root: Path) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "JAVA_HOME")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update({
        "GATEWAY_LISTEN": f"{HOST}:{port}",
        "LOCALSTACK_HOST": f"{HOST}:{port}",
        "SERVICES": "s3,sqs,ses,secretsmanager",
        # load S3 and SQS while DynamoDB Local's JVM starts, rather than on the first request
        "EAGER_SERVICE_LOADING": "1",
        "OVERRIDE_IN_DOCKER": "0",
        "FILESYSTEM_ROOT": str(root),
        "SQS_ENDPOINT_STRATEGY": "path",
        "PERSISTENCE": "0",
        # no outbound look-ups at all (there is no internet here, and none is needed)
        "DISABLE_EVENTS": "1",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "DNS_ADDRESS": "0",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def localstack_ready(status: int, body: bytes) -> bool:
    if status != 200:
        return False
    try:
        services = json.loads(body).get("services", {})
    except ValueError:
        return False
    return all(services.get(s) in ("available", "running")
               for s in ("s3", "sqs", "secretsmanager"))


# --- starting one -------------------------------------------------------------------------------

def launch_s3sqs(emulator: str, port: int, data_path: Path,
                 cleanup: list[Path]) -> tuple[Child, Callable[[], None]]:
    """Start the S3 + SQS emulator on ``port``; returns it and a wait for its readiness."""
    url = f"http://{HOST}:{port}"
    if emulator == "localstack":
        python = ensure_localstack()
        root = data_path / "localstack"
        shutil.rmtree(root, ignore_errors=True)  # in memory, like the others: start clean
        root.mkdir(parents=True)
        cleanup.append(root)
        child = Child.start("s3sqs", [str(python), "-m", "localstack.runtime.main"],
                            env=localstack_env(port, root), cwd=root, drop=LOCALSTACK_QUIET,
                            stop_timeout=20.0)
        health = f"{url}/_localstack/health"
        ready = localstack_ready
        timeout = 90.0
    else:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        child = Child.start("s3sqs", [sys.executable, "-m", "infra.local_stack", "moto",
                                      "--port", str(port)], env=env, drop=MOTO_QUIET)
        health = f"{url}/moto-api/"
        ready = lambda status, _: status < 500  # noqa: E731
        timeout = 60.0

    def wait() -> None:
        wait_http(health, ready, timeout=timeout, alive=child.exited,
                  what=f"{emulator} (S3, SQS)")
    return child, wait


def wait_http(url: str, ready: Callable[[int, bytes], bool], *, timeout: float,
              alive: Callable[[], int | None], what: str) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while True:
        code = alive()
        if code is not None:
            raise StackError(f"{what} exited with code {code} before it was ready (see its "
                             "output above)")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                if ready(response.status, response.read()):
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            body = exc.read()
            if ready(exc.code, body):
                return
            last = f"HTTP {exc.code}: {body[:200]!r}"
        except (OSError, ValueError) as exc:
            last = str(exc)
        if time.monotonic() > deadline:
            raise StackError(f"{what} was not ready within {timeout:g} s ({last})")
        time.sleep(0.1)


# --- moto server (the child process) -------------------------------------------------------------

def run_moto(host: str, port: int) -> int:
    """moto server for S3, SQS, Cognito and S3 Vectors (with QueryVectors), logging failed
    requests only (no 2xx access lines)."""
    import logging

    class Quiet(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            args = record.args if isinstance(record.args, tuple) else ()
            return not (len(args) >= 2 and str(args[1]).lstrip("\x1b[0123456789;m").startswith(
                ("2", "3")))

    logging.getLogger("werkzeug").addFilter(Quiet())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    from moto.server import main as moto_main

    from infra.local import s3vectors_query
    s3vectors_query.install()  # S3 Vectors' QueryVectors, which moto lacks (contract 8.4)
    os.environ["MOTO_PORT"] = str(port)  # moto builds some URLs (SQS queue URLs) from it
    try:
        moto_main(["-H", host, "-p", str(port)])
    except SystemExit:
        pass
    return 0
