"""Shared helpers for the benchmarks: environment, DynamoDB request counting, tables, headline
figures for run_all.py, and a whole local stack for the HTTP benchmarks.

Import this module before anything creates a botocore client: it patches
``botocore.session.Session.create_client`` so that every client created afterwards (boto3's,
PynamoDB's) counts its DynamoDB HTTP requests, retries included, by operation name.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Dummy credentials and a stage that needs no signing secret; set before any client exists.
# Forced, not defaulted: the benchmarks only ever talk to a local emulator.
os.environ.update({
    "AWS_ACCESS_KEY_ID": "x",
    "AWS_SECRET_ACCESS_KEY": "x",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "STAGE": "test",
})
os.environ.pop("AWS_SESSION_TOKEN", None)
os.environ.pop("AWS_PROFILE", None)

import botocore.session  # noqa: E402


class RequestCounter:
    """Counts ``before-send.dynamodb.<Operation>`` events: one per HTTP request sent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self.counts: Counter[str] = Counter()
        self.wait_seconds = 0.0  # request sent -> response parsed, summed (all threads)
        self.items_read = 0  # Query/Scan responses' Count, summed

    def reset(self) -> None:
        with self._lock:
            self.counts = Counter()
            self.wait_seconds = 0.0
            self.items_read = 0

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.counts)

    def total(self) -> int:
        return sum(self.snapshot().values())

    def on_send(self, request=None, event_name: str = "", **kwargs):  # noqa: ANN001
        operation = event_name.rsplit(".", 1)[-1] if event_name else "?"
        with self._lock:
            self.counts[operation] += 1
        self._local.sent = time.perf_counter()
        return None  # let the request go out

    def on_response(self, **kwargs):  # noqa: ANN003
        """``needs-retry`` fires once after every attempt: the end of that request."""
        sent = getattr(self._local, "sent", None)
        if sent is not None:
            self._local.sent = None
            with self._lock:
                self.wait_seconds += time.perf_counter() - sent
        return None  # no opinion on retrying

    def on_after_call(self, parsed=None, **kwargs):  # noqa: ANN001, ANN003
        if isinstance(parsed, dict) and isinstance(parsed.get("Count"), int):
            with self._lock:
                self.items_read += parsed["Count"]


COUNTER = RequestCounter()
_original_create_client = botocore.session.Session.create_client


def _counting_create_client(self, service_name, *args, **kwargs):  # noqa: ANN001
    client = _original_create_client(self, service_name, *args, **kwargs)
    if service_name == "dynamodb":
        client.meta.events.register("before-send.dynamodb", COUNTER.on_send,
                                    unique_id="bench-request-counter")
        client.meta.events.register("needs-retry.dynamodb", COUNTER.on_response,
                                    unique_id="bench-request-timer")
        client.meta.events.register("after-call.dynamodb", COUNTER.on_after_call,
                                    unique_id="bench-items-read")
    return client


botocore.session.Session.create_client = _counting_create_client


def use_table(name: str) -> None:
    """Point chalicelib at table ``name`` (fresh binding) and create it if missing."""
    from chalicelib import db

    os.environ["TABLE_NAME"] = name
    db._bound["table"] = None
    db.create_table()


def format_table(headers: list[str], rows: list[list[object]]) -> str:
    """Plain text table: text left-aligned, numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [all(_is_number(row[i]) for row in rows) and rows for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if numeric[i] else c.ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if 0 < abs(value) < 0.01:  # seconds per page and the like: keep 3 significant digits
            return f"{value:.3g}"
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}" if abs(value) < 1000 \
            else f"{value:.0f}"
    return str(value)


def ops_text(counts: Counter[str]) -> str:
    return ", ".join(f"{op}={n}" for op, n in sorted(counts.items())) or "-"


# --- headline figures for run_all.py's summary ------------------------------------------------

SUMMARY_ENV = "BENCH_SUMMARY_JSON"


def headline(what: str, value: str, compare: str = "-", ratio: str = "-", budget: str = "-",
             **raw: object) -> dict:
    """One row of the summary table; ``raw`` keeps the unformatted numbers for tools."""
    return {"what": what, "value": value, "compare": compare, "ratio": ratio,
            "budget": budget, "raw": raw}


def write_summary(rows: list[dict], sizes: str) -> None:
    """Write the headline rows and the sizes used where run_all.py asked
    (``$BENCH_SUMMARY_JSON``), if it did: it reads figures from here, not the printed tables."""
    path = os.environ.get(SUMMARY_ENV)
    if path:
        Path(path).write_text(json.dumps({"script": Path(sys.argv[0]).name, "sizes": sizes,
                                          "rows": rows}, indent=1))


# --- a whole local stack (python -m infra.local_stack), as tests/e2e/conftest.py starts it ----

LOCALSTACK_STAMP = ROOT / ".cache" / "localstack-venv" / ".installed"
# What would point the stack at another stack's resources, or at AWS; LOCAL_API_WORKERS is
# passed on on purpose (the process count is part of what is measured).
_STACK_ENV_DROP = ("PORT", "EMULATOR", "TABLE_NAME", "RESUME_BUCKET", "UPLOAD_QUEUE_URL",
                   "UPLOAD_QUEUE_NAME", "DYNAMODB_PORT", "S3_SQS_PORT", "STAGE", "AWS_PROFILE")


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


try:  # resolved before any fork: the child only calls it
    import ctypes
    _prctl = ctypes.CDLL(None).prctl
except (OSError, AttributeError):
    _prctl = None


def _term_with_parent() -> None:
    if _prctl is not None:
        _prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Stack:
    """The stack on a free port with its own data folder, table and keys, no demo data.

    Use as a context manager: stopped with SIGTERM on exit, error or Ctrl-C included (its
    process group is killed if it does not stop within a minute)."""

    def __init__(self, emulator: str = "moto", **extra_env: str) -> None:
        if emulator == "localstack" and not LOCALSTACK_STAMP.exists():
            raise SystemExit("LocalStack is not installed: run `make localstack` first")
        self.emulator = emulator
        self.staff_key = f"sta_bench_{secrets.token_hex(12)}"
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"bench-stack-{emulator}-"))
        self.log_path = self.data_dir / "stack.log"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("AWS_ENDPOINT_URL", "MOTO_"))
                    and not (k.startswith("LOCAL_") and k != "LOCAL_API_WORKERS")
                    and k not in _STACK_ENV_DROP}
        self.env.update(LOCAL_STAFF_KEY=self.staff_key,
                        LOCAL_PARTNER_KEY=f"par_bench_{secrets.token_hex(12)}",
                        TABLE_NAME=f"bench-{secrets.token_hex(4)}", PYTHONUNBUFFERED="1",
                        **extra_env)
        self.proc: subprocess.Popen | None = None
        self.state: dict = {}
        self.ready_seconds = 0.0

    @property
    def api(self) -> str:
        return self.state["api"]

    def __enter__(self) -> "Stack":
        began = time.perf_counter()
        print(f"starting the local stack ({self.emulator}) in {self.data_dir} ...",
              file=sys.stderr, flush=True)
        # A SIGTERM to the benchmark unwinds through __exit__ (stack stopped, folder removed);
        # were it killed outright, the stack gets SIGTERM from the kernel (PR_SET_PDEATHSIG).
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "infra.local_stack", "--port", "0", "--emulator",
                 self.emulator, "--data-dir", str(self.data_dir), "--no-seed"],
                cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_term_with_parent)
        try:
            deadline = time.monotonic() + 180
            while self.state.get("status") != "ready":
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the local stack did not start (exit {self.proc.poll()}):"
                                     f"\n{self.log_tail()}")
                time.sleep(0.2)
                try:
                    self.state = json.loads((self.data_dir / "stack.json").read_text())
                except (OSError, ValueError):
                    self.state = {}
        except BaseException:
            self.stop()
            raise
        self.ready_seconds = time.perf_counter() - began
        print(f"local stack ready at {self.state['url']} in {self.ready_seconds:.1f} s",
              file=sys.stderr, flush=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                print(f"the stack did not stop within 60 s; killing it:\n{self.log_tail()}",
                      file=sys.stderr)
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def api_pids(self) -> list[int]:
        """Processes serving the API: the server's forked workers, or itself when it forks none."""
        pid = self.state.get("children", {}).get("api")
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(c) for c in children] or [pid]

    def connections_per_process(self) -> list[int]:
        """Established client connections each API process holds, busiest first: how evenly the
        server spread the clients (each process serves one request at a time)."""
        port = int(self.state["url"].rsplit(":", 1)[1])
        sockets = set()
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()  # local address (hex ip:port), remote, state, ..., inode
            if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":  # ESTABLISHED
                sockets.add(f"socket:[{fields[9]}]")
        counts = []
        for pid in self.api_pids():
            held = 0
            for fd in Path(f"/proc/{pid}/fd").glob("*"):
                try:
                    held += os.readlink(fd) in sockets
                except OSError:  # closed meanwhile
                    pass
            counts.append(held)
        return sorted(counts, reverse=True)
