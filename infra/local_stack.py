"""The whole system on this machine: ``make run`` (``python -m infra.local_stack``).

Starts DynamoDB Local (in memory) and an S3 + SQS emulator (moto server by default,
``EMULATOR=localstack`` for LocalStack in host mode), creates the stage's resources from
``infra.resources``, stores the two local API keys, seeds 10 demo professionals, then starts the
API + SPA server (one origin, ``http://127.0.0.1:$PORT``: SPA at ``/``, API at ``/api``) and the
resume worker. Each component's output is prefixed (``[ddb]``, ``[s3sqs]``, ``[api]``,
``[worker]``); Ctrl-C or SIGTERM stops every process it started. ``AWS_ENDPOINT_URL`` or
``AWS_ENDPOINT_URL_DYNAMODB`` / ``_S3`` / ``_SQS`` point it at emulators you run yourself, and it
starts none for those services.

Settings (environment, or the flags of the same name): PORT (8000; 0 = any free port), EMULATOR
(moto | localstack), LOCAL_DATA_DIR (.local), DYNAMODB_PORT and S3_SQS_PORT (free ports unless
given), TABLE_NAME, LOCAL_STAFF_KEY, LOCAL_PARTNER_KEY (else generated once and kept in the data
folder), SEED_DEMO_DATA (1).

``python -m infra.local_stack env`` prints the running stack's environment (endpoints, table,
bucket, queue) as ``export`` lines, for the operator CLI or the AWS CLI.
"""
from __future__ import annotations

import argparse
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / ".local"
LOCALSTACK_VENV = PROJECT_ROOT / ".cache" / "localstack-venv"
LOCALSTACK_INSTALLER = PROJECT_ROOT / "infra" / "install_localstack.sh"
LOCALSTACK_REQUIREMENTS = PROJECT_ROOT / "infra" / "localstack-requirements.txt"
LOCALSTACK_S3_STORAGE = Path("/tmp/localstack-s3-storage")
HOST = "127.0.0.1"
STAGE = "local"
EMULATORS = ("moto", "localstack")
# DynamoDB Local on the client compiler only: starts in about half the time, in less memory.
DDB_JVM_ARGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1",
                "-Xms16m", "-Xmx1g")
HEALTH_TIMEOUT = 90.0
EXIT_BUSY = 3  # port taken, or a stack already runs from this data folder

# Lines not worth showing: the worker's long polls, every few seconds.
MOTO_QUIET = re.compile(r'"POST / HTTP/1\.[01]" 2\d\d')
LOCALSTACK_QUIET = re.compile(r"AWS sqs\.(ReceiveMessage|DeleteMessageBatch|DeleteMessage|"
                              r"GetQueueAttributes) => 2\d\d")

DEMO_PROFESSIONALS = [
    # (full_name, email, phone, company_name, job_title, source)
    ("Ada Lovelace", "ada.lovelace@example.com", "+14155550101", "Analytical Engines Ltd",
     "Engineer", "internal"),
    ("Grace Hopper", "grace.hopper@example.com", "+14155550102", "Compiler Works",
     "Rear Admiral", "internal"),
    ("Alan Turing", "alan.turing@example.org", "+442079460103", "Bletchley Park Labs",
     "Mathematician", "direct"),
    ("Katherine Johnson", "katherine.johnson@example.com", "+17575550104", "Langley Research",
     "Mathematician", "direct"),
    ("Edsger Dijkstra", "edsger.dijkstra@example.org", "", "Structured Programs BV",
     "Professor", "internal"),
    ("Barbara Liskov", "", "+16175550106", "Substitution Systems", "Professor", "direct"),
    ("Margaret Hamilton", "margaret.hamilton@example.com", "+16175550107", "Apollo Software",
     "Director", "partner"),
    ("Donald Knuth", "donald.knuth@example.com", "+16505550108", "TeX Users Group",
     "Author", "partner"),
    ("Radia Perlman", "radia.perlman@example.com", "+14255550109", "Spanning Trees Inc",
     "Network Engineer", "partner"),
    ("Linus Torvalds", "linus.torvalds@example.org", "+15035550110", "", "Maintainer",
     "internal"),
]


class StackError(RuntimeError):
    """The stack cannot start; the message says why and what to do."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


# --- output -----------------------------------------------------------------------------------

_print_lock = threading.Lock()


def emit(prefix: str, line: str, stream: IO[str] | None = None) -> None:
    with _print_lock:
        out = stream or sys.stdout
        try:
            out.write(f"[{prefix}] {line.rstrip()}\n")
            out.flush()
        except (OSError, ValueError):
            pass  # the terminal is gone: keep draining the children's output all the same


_STARTED = time.monotonic()


def say(line: str) -> None:
    emit("stack", f"{time.monotonic() - _STARTED:5.1f}s {line}")


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _pump(name: str, pipe: IO[bytes], drop: re.Pattern[str] | None) -> None:
    for raw in iter(pipe.readline, b""):
        line = ANSI.sub("", raw.decode(errors="replace"))
        if drop is None or not drop.search(line):
            emit(name, line)
    pipe.close()


def _set_parent_death_signal() -> None:
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
                                preexec_fn=_set_parent_death_signal)
        child = cls(name, proc, stop_timeout)
        assert proc.stdout is not None
        thread = threading.Thread(target=_pump, args=(name, proc.stdout, drop), daemon=True,
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


# --- ports, locks, data folder -----------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def bind_listener(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StackError(
                f"Port {port} on {HOST} is already in use: another program, or a local stack "
                f"started from another folder. Stop it, or pick another port: PORT={port + 1} "
                "make run", EXIT_BUSY) from None
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def check_port_free(port: int, what: str) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            raise StackError(f"Port {port} ({what}) is already in use; choose another one or "
                             "leave it unset for a free port.", EXIT_BUSY) from None


class DataDir:
    """``.local/`` (or LOCAL_DATA_DIR): the lock, the stack's description, the local keys.

    The data of the table, bucket and queues is in the emulators' memory, never here.
    """

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.lock_file = self.path / "stack.lock"
        self.state_file = self.path / "stack.json"
        self.keys_file = self.path / "keys.json"
        self.instance_file = self.path / "instance"
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

    def keys(self, staff: str | None, partner: str | None) -> dict[str, str]:
        """The given keys, else the ones generated on an earlier start, else new ones."""
        try:
            kept = json.loads(self.keys_file.read_text())
        except (OSError, ValueError):
            kept = {}
        keys = {"staff": staff or kept.get("staff") or f"sta_{secrets.token_urlsafe(24)}",
                "partner": partner or kept.get("partner") or f"par_{secrets.token_urlsafe(24)}"}
        generated = {role: key for role, key in keys.items()
                     if key != {"staff": staff, "partner": partner}[role]}
        if generated and generated != {k: kept.get(k) for k in generated}:
            fd = os.open(self.keys_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump({**kept, **generated}, f, indent=2)
        return keys


# --- LocalStack -------------------------------------------------------------------------------

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
        "SERVICES": "s3,sqs",
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


# --- readiness --------------------------------------------------------------------------------

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


def localstack_ready(status: int, body: bytes) -> bool:
    if status != 200:
        return False
    try:
        services = json.loads(body).get("services", {})
    except ValueError:
        return False
    return all(services.get(s) in ("available", "running") for s in ("s3", "sqs"))


# --- the stack ----------------------------------------------------------------------------------

@dataclass
class Options:
    port: int = 8000
    emulator: str = "moto"
    data_dir: Path = DEFAULT_DATA_DIR
    dynamodb_port: int | None = None
    s3_sqs_port: int | None = None
    table_name: str | None = None
    staff_key: str | None = None
    partner_key: str | None = None
    seed: bool = True


def given_endpoint(service: str) -> str | None:
    return (os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}")
            or os.environ.get("AWS_ENDPOINT_URL") or None)


class Stack:
    def __init__(self, options: Options) -> None:
        self.o = options
        self.data = DataDir(options.data_dir)
        self.children: list[Any] = []  # in start order; stopped in reverse
        self.stopping = threading.Event()
        self.stop_reason = "stopping"
        self.exit_code = 0
        self.state: dict[str, Any] = {}
        self.keys: dict[str, str] = {}
        self.cleanup: list[Path] = []  # removed once every process has stopped

    # Signals only set a flag: the main thread stops everything, in order.
    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.stopping.is_set():
            return
        self.stop_reason = f"{signal.Signals(signum).name}: stopping"
        self.stopping.set()
        raise KeyboardInterrupt

    def run(self) -> int:
        started = time.monotonic()
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGHUP, self._on_signal)
        try:
            self.data.acquire()
        except StackError as exc:
            emit("stack", f"error: {exc}", sys.stderr)
            return exc.code
        listener = None
        try:
            listener = bind_listener(self.o.port)
            port = listener.getsockname()[1]
            url = f"http://{HOST}:{port}"
            self.state = {"pid": os.getpid(), "url": url, "api": f"{url}/api",
                          "docs": f"{url}/api/docs", "emulator": self.o.emulator,
                          "status": "starting", "children": {}}
            self.data.write_state(self.state)
            endpoints = self._start_emulators()
            env = self._provision(endpoints, url, port)
            # The API answers 503 on /health until the ready marker is written, so it can start
            # (imports take a second) while the keys and demo data go in.
            self._start_app(env, listener)
            listener.close()
            listener = None
            self._store_keys_and_seed()
            wait_http(f"{url}/api/health", lambda status, _: status == 200,
                      timeout=HEALTH_TIMEOUT, alive=self._first_exit, what="the API")
            self.state["status"] = "ready"
            self.state["ready_seconds"] = round(time.monotonic() - started, 2)
            self.data.write_state(self.state)
            self._banner(env, time.monotonic() - started)
            self._supervise()
        except KeyboardInterrupt:
            pass
        except StackError as exc:
            emit("stack", f"error: {exc}", sys.stderr)
            self.exit_code = exc.code
        except Exception as exc:  # provisioning against an emulator that misbehaves, say
            import traceback
            traceback.print_exc()
            emit("stack", f"error: {exc}", sys.stderr)
            self.exit_code = 1
        finally:
            self.stopping.set()  # from here on a signal no longer interrupts
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut stopping
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            if listener is not None:
                listener.close()
            self._stop_all()
            self.data.release()
        return self.exit_code

    # -- emulators --

    def _start_emulators(self) -> dict[str, str]:
        endpoints = {s: given_endpoint(s) for s in ("dynamodb", "s3", "sqs")}
        for port, what in ((self.o.dynamodb_port, "DYNAMODB_PORT"),
                           (self.o.s3_sqs_port, "S3_SQS_PORT")):
            if port:
                check_port_free(port, what)
        ddb = s3sqs = None
        waits: list[Callable[[], None]] = []
        if endpoints["dynamodb"] is None:
            ddb = DynamoDBChild(self.o.dynamodb_port)
            ddb.launch()  # from the main thread: its parent-death signal follows this thread
            self._add(ddb)
            waits.append(ddb.ddb.wait_until_ready)
        if endpoints["s3"] is None or endpoints["sqs"] is None:
            s3sqs, wait = self._launch_s3sqs()
            self._add(s3sqs)
            waits.append(wait)
        errors: list[BaseException] = []

        def run(wait: Callable[[], None]) -> None:
            try:
                wait()
            except BaseException as exc:  # noqa: BLE001  (reported below)
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(w,), daemon=True) for w in waits]
        for t in threads:
            t.start()
        # While the emulators boot: what provisioning and seeding will need (a second or two).
        import chalicelib.auth  # noqa: F401
        import chalicelib.bulk  # noqa: F401
        import infra.resources  # noqa: F401
        for t in threads:
            while t.is_alive():
                t.join(0.2)  # short joins: Ctrl-C stays responsive
        if errors:
            raise StackError(f"an emulator did not start: {errors[0]}")
        if ddb is not None:
            endpoints["dynamodb"] = ddb.endpoint_url
            say(f"DynamoDB Local ready at {ddb.endpoint_url} (in memory)")
        if s3sqs is not None:
            for service in ("s3", "sqs"):
                endpoints[service] = endpoints[service] or self.state["s3sqs_url"]
            say(f"{self.o.emulator} ready at {self.state['s3sqs_url']} for S3 and SQS "
                "(in memory)")
        if endpoints["s3"] != endpoints["sqs"]:
            say("warning: S3 and SQS are on different endpoints; S3 can notify only a queue "
                "of its own emulator, so uploads may never reach the worker")
        return endpoints  # type: ignore[return-value]

    def _launch_s3sqs(self) -> tuple[Child, Callable[[], None]]:
        port = self.o.s3_sqs_port or free_port()
        url = f"http://{HOST}:{port}"
        self.state["s3sqs_url"] = url
        if self.o.emulator == "localstack":
            python = ensure_localstack()
            root = self.data.path / "localstack"
            shutil.rmtree(root, ignore_errors=True)  # in memory, like the others: start clean
            root.mkdir(parents=True)
            self.cleanup.append(root)
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
                      what=f"{self.o.emulator} (S3, SQS)")
        return child, wait

    # -- resources, keys, demo data --

    def _provision(self, endpoints: dict[str, str], url: str, port: int) -> dict[str, str]:
        from infra import resources
        env = {
            "STAGE": STAGE,
            "AWS_ENDPOINT_URL_DYNAMODB": endpoints["dynamodb"],
            "AWS_ENDPOINT_URL_S3": endpoints["s3"],
            "AWS_ENDPOINT_URL_SQS": endpoints["sqs"],
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION")
            or os.environ.get("AWS_REGION") or "us-east-1",
            "LOCAL_ORIGIN": url,
            "HEALTH_REQUIRES_READY_MARKER": "1",
            "PYTHONUNBUFFERED": "1",
        }
        env["AWS_REGION"] = os.environ.get("AWS_REGION") or env["AWS_DEFAULT_REGION"]
        if not any(given_endpoint(s) for s in ("dynamodb", "s3", "sqs")):
            # Only our own emulators: fake credentials, whatever profile the shell has.
            env.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"})
            for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
                os.environ.pop(name, None)
        else:
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
        os.environ.update(env)
        # The stack's own origin, and Vite's dev server (`npm run dev` in frontend/).
        origins = [url, f"http://localhost:{port}", "http://127.0.0.1:5173",
                   "http://localhost:5173"]
        spec = resources.define(STAGE, suffix=self.data.instance(), origins=origins,
                                table_name=self.o.table_name, region=env["AWS_DEFAULT_REGION"])
        if self.o.emulator == "localstack" and "s3sqs" in self.state.get("children", {}):
            # LocalStack keeps object data here whatever FILESYSTEM_ROOT says, shared by every
            # LocalStack on the machine: the bucket name is ours alone, so is this folder.
            self.cleanup.append(LOCALSTACK_S3_STORAGE / spec.bucket.name)
        created = resources.create(spec, log=say)
        env.update(created)
        os.environ.update(created)
        self.state["endpoints"] = endpoints
        self.state["env"] = {k: v for k, v in env.items() if k != "PYTHONUNBUFFERED"}
        self.data.write_state(self.state)
        return env

    def _store_keys_and_seed(self) -> None:
        from chalicelib import auth, db
        self.keys = self.data.keys(self.o.staff_key, self.o.partner_key)
        _, staff = auth.create_key("staff", "local-staff", self.keys["staff"])
        _, partner = auth.create_key("partner", "local-partner", self.keys["partner"])
        say("stored the local staff and partner keys")
        if self.o.seed:
            outcome = seed_demo_data(
                auth.Caller(role="staff", name=staff.name, key_id=staff.key_id),
                auth.Caller(role="partner", name=partner.name, key_id=partner.key_id))
            say(f"demo data: {outcome}")
        db.mark_ready()  # /api/health answers 200 from now on

    # -- API and worker --

    def _start_app(self, env: dict[str, str], listener: socket.socket) -> None:
        from infra.resources import stage_environment
        # As Lambda would see it: the stage's variables from .chalice/config.json, except the
        # names of what this stack created (suffixed) and the emulators' endpoints.
        child_env = {**os.environ, **stage_environment(STAGE), **env}
        fd = listener.fileno()
        api = Child.start("api", [sys.executable, "-m", "infra.local_server", "--fd", str(fd)],
                          env=child_env, pass_fds=(fd,))
        self._add(api)
        worker = Child.start("worker", [sys.executable, "-m", "infra.local_worker"],
                             env=child_env)
        self._add(worker)

    def _add(self, child: Any) -> None:
        self.children.append(child)
        self.state.setdefault("children", {})[child.name] = child.pid
        self.data.write_state(self.state)

    def _first_exit(self) -> int | None:
        for child in self.children:
            code = child.exited()
            if code is not None:
                self.stop_reason = f"{child.name} exited with code {code}"
                return code
        return None

    def _supervise(self) -> None:
        while not self.stopping.wait(0.5):
            code = self._first_exit()
            if code is not None:
                emit("stack", f"error: {self.stop_reason}; stopping everything", sys.stderr)
                self.exit_code = 1
                return

    def _stop_all(self) -> None:
        if not self.children:
            return
        say(self.stop_reason)
        for child in reversed(self.children):
            try:
                child.stop()
            except Exception as exc:  # keep stopping the others
                emit("stack", f"could not stop {child.name}: {exc}", sys.stderr)
        self.children.clear()
        for path in self.cleanup:
            shutil.rmtree(path, ignore_errors=True)
        say("stopped; every process it started has exited")

    def _banner(self, env: dict[str, str], seconds: float) -> None:
        url = self.state["url"]
        endpoints = self.state["endpoints"]
        ours = {c.name for c in self.children}
        ddb_what = "DynamoDB Local, in memory" if "ddb" in ours else "given"
        s3_what = (f"{self.o.emulator}, in memory" if "s3sqs" in ours else "given")
        lines = [
            "",
            f"  Local stack ready in {seconds:.1f} s",
            f"  App:        {url}/",
            f"  API:        {url}/api",
            f"  API docs:   {url}/api/docs",
            f"  Staff key:    X-Api-Key: {self.keys['staff']}",
            f"  Partner key:  X-Api-Key: {self.keys['partner']}",
            f"  DynamoDB:   {endpoints['dynamodb']} ({ddb_what}), table {env['TABLE_NAME']}",
            f"  S3 / SQS:   {endpoints['s3']} / {endpoints['sqs']} ({s3_what})",
            f"              bucket {env['RESUME_BUCKET']}, queue {env['UPLOAD_QUEUE_URL']}",
            "  Data lives in the emulators' memory: nothing outlives a restart (keys are kept in",
            f"  {self.data.keys_file}). Environment for other tools: "
            "python -m infra.local_stack env",
            "  Ctrl-C stops everything.",
            "",
        ]
        with _print_lock:
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()


def seed_demo_data(staff: Any, partner: Any) -> str:
    """Upsert the demo professionals (partner ones through the partner key): idempotent."""
    from chalicelib import bulk
    fields = ("full_name", "email", "phone", "company_name", "job_title")
    staff_rows, partner_rows = [], []
    for name, email, phone, company, title, source in DEMO_PROFESSIONALS:
        row = {k: v for k, v in zip(fields, (name, email, phone, company, title)) if v}
        if source == "partner":
            partner_rows.append(row)
        else:
            staff_rows.append({**row, "source": source})
    summary = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    failures = []
    for rows, caller in ((staff_rows, staff), (partner_rows, partner)):
        result = bulk.bulk_upsert(rows, caller)
        for key, value in result["summary"].items():
            summary[key] += value
        failures += [r["error"] for r in result["results"] if r["status"] == "failed"]
    for error in failures:
        say(f"warning: a demo row failed: {error}")
    return ", ".join(f"{n} {k}" for k, n in summary.items())


# --- moto server (child process) -----------------------------------------------------------------

def run_moto(host: str, port: int) -> int:
    """moto server for S3 and SQS, logging failed requests only (no 2xx access lines)."""
    import logging

    class Quiet(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            args = record.args if isinstance(record.args, tuple) else ()
            return not (len(args) >= 2 and str(args[1]).lstrip("\x1b[0123456789;m").startswith(
                ("2", "3")))

    logging.getLogger("werkzeug").addFilter(Quiet())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    from moto.server import main as moto_main
    os.environ["MOTO_PORT"] = str(port)  # moto builds some URLs (SQS queue URLs) from it
    try:
        moto_main(["-H", host, "-p", str(port)])
    except SystemExit:
        pass
    return 0


# --- command line -------------------------------------------------------------------------------

def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    return int(value) if value else None


def print_env(data_dir: Path) -> int:
    state = DataDir(data_dir).read_state()
    if state.get("status") != "ready":
        print(f"no running local stack in {data_dir}", file=sys.stderr)
        return 1
    for name, value in state["env"].items():
        print(f"export {name}={value}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["moto"]:
        sub = argparse.ArgumentParser(prog="python -m infra.local_stack moto")
        sub.add_argument("--host", default=HOST)
        sub.add_argument("--port", type=int, required=True)
        args = sub.parse_args(argv[1:])
        return run_moto(args.host, args.port)
    data_default = Path(os.environ.get("LOCAL_DATA_DIR") or DEFAULT_DATA_DIR)
    if argv[:1] == ["env"]:
        return print_env(data_default)
    parser = argparse.ArgumentParser(prog="python -m infra.local_stack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    env_port = _env_int("PORT")
    parser.add_argument("--port", type=int, default=8000 if env_port is None else env_port,
                        help="0 picks a free port")
    parser.add_argument("--emulator", choices=EMULATORS,
                        default=(os.environ.get("EMULATOR") or "moto").lower())
    parser.add_argument("--data-dir", type=Path, default=data_default)
    parser.add_argument("--dynamodb-port", type=int, default=_env_int("DYNAMODB_PORT"))
    parser.add_argument("--s3-sqs-port", type=int, default=_env_int("S3_SQS_PORT"))
    parser.add_argument("--table-name", default=os.environ.get("TABLE_NAME") or None)
    parser.add_argument("--no-seed", action="store_true",
                        default=os.environ.get("SEED_DEMO_DATA", "1") in ("0", "false", "no"))
    args = parser.parse_args(argv)
    if args.emulator not in EMULATORS:
        parser.error(f"EMULATOR must be one of {EMULATORS}")
    options = Options(port=args.port, emulator=args.emulator, data_dir=args.data_dir,
                      dynamodb_port=args.dynamodb_port, s3_sqs_port=args.s3_sqs_port,
                      table_name=args.table_name,
                      staff_key=os.environ.get("LOCAL_STAFF_KEY") or None,
                      partner_key=os.environ.get("LOCAL_PARTNER_KEY") or None,
                      seed=not args.no_seed)
    code = Stack(options).run()
    # Everything is stopped and the lock released: skip the interpreter's teardown, which spends
    # seconds collecting the garbage of botocore's service models for nothing.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
