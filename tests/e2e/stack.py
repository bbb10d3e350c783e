"""Starting and stopping the whole local stack (``python -m infra.local_stack``) on free ports,
with its own data folder, table name and keys: for the e2e tests' session fixture and for the
HTTP benchmarks (bench/_common.py).
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from infra.local.processes import set_parent_death_signal

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOCALSTACK_STAMP = PROJECT_ROOT / ".cache" / "localstack-venv" / ".installed"


@dataclass
class RunningStack:
    emulator: str
    data_dir: Path
    log_path: Path
    proc: subprocess.Popen
    keys: dict[str, str]
    state: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.state["url"]

    @property
    def api(self) -> str:
        return self.state["api"]

    @property
    def env(self) -> dict[str, str]:
        return self.state["env"]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def wait_for_log(self, needle: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log().splitlines():
                if needle in line:
                    return line
            time.sleep(0.2)
        raise AssertionError(f"{needle!r} not in the stack's log within {timeout:g} s:\n"
                             f"{self.log_tail()}")

    def child_pids(self) -> dict[str, int]:
        return dict(self.state.get("children", {}))


def stack_env(**extra: str) -> dict[str, str]:
    """The test process's environment without anything that would point the stack elsewhere."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_ENDPOINT_URL", "LOCAL_", "MOTO_"))
           and k not in ("PORT", "EMULATOR", "TABLE_NAME", "RESUME_BUCKET", "UPLOAD_QUEUE_URL",
                         "UPLOAD_QUEUE_NAME", "UPLOAD_DLQ_URL", "SEARCH_TABLE_NAME",
                         "IDEMPOTENCY_TABLE_NAME", "PROFESSIONALS_STREAM_ARN", "SEARCH_DLQ_URL", "STREAM_CHECKPOINT_FILE",
                         "DYNAMODB_PORT", "S3_SQS_PORT", "STAGE", "AWS_PROFILE")}
    env.update(extra)
    return env


def start_stack(emulator: str, data_dir: Path, *, keys: dict[str, str] | None = None,
                table_name: str | None = None, **extra_env: str) -> RunningStack:
    keys = keys or {"staff": f"sta_e2e_{secrets.token_hex(12)}",
                    "partner": f"par_e2e_{secrets.token_hex(12)}"}
    env = stack_env(LOCAL_STAFF_KEY=keys["staff"], LOCAL_PARTNER_KEY=keys["partner"],
                    TABLE_NAME=table_name or f"professionals-e2e-{secrets.token_hex(4)}",
                    PYTHONUNBUFFERED="1", **extra_env)
    log_path = data_dir / "stack.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "infra.local_stack", "--port", "0", "--emulator", emulator,
             "--data-dir", str(data_dir)],
            cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=set_parent_death_signal)  # gone with its starter, even if SIGKILLed
    stack = RunningStack(emulator, data_dir, log_path, proc, keys)
    # Installing LocalStack the first time takes minutes; `make test` does it beforehand.
    timeout = 180.0 if emulator == "moto" or LOCALSTACK_STAMP.exists() else 900.0
    deadline = time.monotonic() + timeout
    state_file = data_dir / "stack.json"
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"the {emulator} stack exited with {proc.returncode}:\n"
                                 f"{stack.log_tail()}")
        try:
            stack.state = json.loads(state_file.read_text())
        except (OSError, ValueError):
            stack.state = {}
        if stack.state.get("status") == "ready":
            break
        if time.monotonic() > deadline:
            stop_stack(stack)
            raise AssertionError(f"the {emulator} stack was not ready within {timeout:g} s:\n"
                                 f"{stack.log_tail()}")
        time.sleep(0.2)
    with urllib.request.urlopen(f"{stack.api}/health", timeout=10) as response:
        assert response.status == 200
    return stack


def stop_stack(stack: RunningStack, timeout: float = 60.0) -> int:
    if stack.proc.poll() is None:
        stack.proc.send_signal(signal.SIGTERM)
        try:
            stack.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(stack.proc.pid, signal.SIGKILL)
            stack.proc.wait()
            raise AssertionError(f"the stack did not stop within {timeout:g} s:\n"
                                 f"{stack.log_tail()}") from None
    return stack.proc.returncode


def process_group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
