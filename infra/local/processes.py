"""The stack's children: each in its own process group, its output pumped under its prefix, sent
SIGTERM by the kernel should the stack die, stopped as a group by PID."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from infra.local.config import PROJECT_ROOT
from infra.local.output import ANSI, emit

# DynamoDB Local on the client compiler only: starts in about half the time, in less memory.
DDB_JVM_ARGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1",
                "-Xms16m", "-Xmx1g")


def pump(name: str, pipe: IO[bytes], drop: re.Pattern[str] | None) -> None:
    for raw in iter(pipe.readline, b""):
        line = ANSI.sub("", raw.decode(errors="replace"))
        if drop is None or not drop.search(line):
            emit(name, line)
    pipe.close()


def set_parent_death_signal() -> None:
    """Child side, before exec: SIGTERM when the stack's process dies, even by SIGKILL."""
    if _prctl is not None:
        _prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


try:  # resolved here, not in the child: a forked child must not import (locks)
    import ctypes
    _prctl: Any = ctypes.CDLL(None).prctl
except (OSError, AttributeError):
    _prctl = None


@dataclass
class Child:
    """A process the stack started, in its own process group (stopped as a group, by PID)."""

    name: str
    proc: subprocess.Popen[bytes]
    stop_timeout: float = 10.0
    threads: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def start(cls, name: str, cmd: list[str], *, env: dict[str, str], cwd: Path = PROJECT_ROOT,
              drop: re.Pattern[str] | None = None, pass_fds: tuple[int, ...] = (),
              stop_timeout: float = 10.0) -> Child:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True, pass_fds=pass_fds,
                                preexec_fn=set_parent_death_signal)
        child = cls(name, proc, stop_timeout)
        assert proc.stdout is not None
        thread = threading.Thread(target=pump, args=(name, proc.stdout, drop), daemon=True,
                                  name=f"pump-{name}")
        thread.start()
        child.threads.append(thread)
        return child

    @property
    def pid(self) -> int:
        return self.proc.pid

    def exited(self) -> int | None:
        return self.proc.poll()

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                emit(self.name, f"did not stop within {self.stop_timeout:g} s; killing it")
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                self.proc.wait()
        else:
            # Its process group may outlive it (a grandchild); it is ours all the same.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for thread in self.threads:
            thread.join(timeout=2)


class DynamoDBChild:
    """DynamoDB Local (infra.dynamodb_local) with its log file tailed under ``[ddb]``."""

    name = "ddb"

    def __init__(self, port: int | None) -> None:
        from infra.dynamodb_local import DynamoDBLocal
        self.ddb = DynamoDBLocal(port=port, jvm_args=DDB_JVM_ARGS, die_with_parent=True,
                                 startup_timeout=60.0)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def launch(self) -> None:
        self.ddb.launch()
        self._thread = threading.Thread(target=self._tail, daemon=True, name="tail-ddb")
        self._thread.start()

    def _tail(self) -> None:
        offset = 0
        while True:
            text = self.ddb.output()
            cut = text.rfind("\n") + 1
            for line in text[offset:cut].splitlines():
                if line.strip():
                    emit(self.name, line)
            offset = max(offset, cut)
            if self._stop.wait(0.5):
                return

    @property
    def pid(self) -> int:
        assert self.ddb.pid is not None
        return self.ddb.pid

    @property
    def endpoint_url(self) -> str:
        return self.ddb.endpoint_url

    def exited(self) -> int | None:
        proc = self.ddb._proc
        return None if proc is None else proc.poll()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.ddb.stop()
