"""``.local/`` (or LOCAL_DATA_DIR): one stack per folder, its description, the local keys and
signing secret."""
from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
from pathlib import Path
from typing import IO, Any

from infra.local.config import EXIT_BUSY, StackError

DEFAULT_ADMIN_EMAIL = "admin@professionals.local"


class DataDir:
    """``.local/`` (or LOCAL_DATA_DIR): the lock, the stack's description, the local keys.

    The data of the tables, bucket and queues is in the emulators' memory, never here.
    """

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.lock_file = self.path / "stack.lock"
        self.state_file = self.path / "stack.json"
        self.keys_file = self.path / "keys.json"
        self.instance_file = self.path / "instance"
        # Where the stream worker has got to, per stream and shard (infra/local/stream_worker.py)
        self.stream_checkpoint_file = self.path / "stream-checkpoint.json"
        # The counters' stream worker: a mapping of its own, so a position of its own.
        self.stats_checkpoint_file = self.path / "stats-stream-checkpoint.json"
        self._lock: IO[str] | None = None

    def acquire(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        lock = open(self.lock_file, "a+")  # noqa: SIM115  (held for the stack's life)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            state = self.read_state()
            where = f" at {state['url']}" if state.get("url") else ""
            pid = state.get("pid", "?")
            raise StackError(
                f"A local stack already runs from {self.path} (pid {pid}{where}). Use it, stop it "
                f"(Ctrl-C in its terminal, or kill {pid}), or start another one with its own "
                "LOCAL_DATA_DIR and PORT.", EXIT_BUSY) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        self._lock = lock

    def release(self) -> None:
        try:
            self.state_file.unlink()
        except FileNotFoundError:
            pass
        if self._lock is not None:
            self._lock.close()  # closing releases the flock
            self._lock = None

    def read_state(self) -> dict[str, Any]:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    def write_state(self, state: dict[str, Any]) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n")
        os.replace(tmp, self.state_file)

    def instance(self) -> str:
        """A short id, made once per data folder, that makes bucket and queue names unique."""
        try:
            value = self.instance_file.read_text().strip()
            if re.fullmatch(r"[a-z0-9]{6,12}", value):
                return value
        except OSError:
            pass
        value = secrets.token_hex(4)
        self.instance_file.write_text(value + "\n")
        return value

    def signing_secret(self) -> str:
        """The local stack's signing secret (64 characters), generated on the first start and
        kept beside the keys: tokens and mailed links stay valid across restarts. The stack puts
        it in the emulator's Secrets Manager; no process gets it through its environment."""
        kept = self._read_keys()
        value = kept.get("signing_secret")
        if not (isinstance(value, str) and len(value) >= 32):
            value = secrets.token_urlsafe(48)
            self._write_keys({**kept, "signing_secret": value})
        return value

    def _read_keys(self) -> dict[str, str]:
        try:
            kept = json.loads(self.keys_file.read_text())
        except (OSError, ValueError):
            return {}
        return kept if isinstance(kept, dict) else {}

    def _write_keys(self, keys: dict[str, str]) -> None:
        fd = os.open(self.keys_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(keys, f, indent=2)

    def staff_admin(self, email: str | None, password: str | None) -> tuple[str, str]:
        """The local staff pool's admin (contract 8.2): the given email and password, else the
        ones kept from an earlier start, else ``admin@professionals.local`` and a new password.
        Kept beside the keys, so the same sign-in works after a restart."""
        kept = self._read_keys()
        email = email or kept.get("admin_email") or DEFAULT_ADMIN_EMAIL
        # 20 random characters plus one of each class the pool's policy asks for.
        password = password or kept.get("admin_password") or f"{secrets.token_urlsafe(15)}-a1A"
        if (kept.get("admin_email"), kept.get("admin_password")) != (email, password):
            self._write_keys({**kept, "admin_email": email, "admin_password": password})
        return email, password

    def keys(self, staff: str | None, partner: str | None) -> dict[str, str]:
        """The given keys, else the ones generated on an earlier start, else new ones."""
        kept = self._read_keys()
        keys = {"staff": staff or kept.get("staff") or f"sta_{secrets.token_urlsafe(24)}",
                "partner": partner or kept.get("partner") or f"par_{secrets.token_urlsafe(24)}"}
        generated = {role: key for role, key in keys.items()
                     if key != {"staff": staff, "partner": partner}[role]}
        if generated and generated != {k: kept.get(k) for k in generated}:
            self._write_keys({**kept, **generated})
        return keys
