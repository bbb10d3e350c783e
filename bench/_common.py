"""Shared helpers for the benchmarks: environment, DynamoDB request counting, tables, headline
figures for run_all.py, and a whole local stack for the HTTP benchmarks.

Import this module before anything creates a botocore client: it patches
``botocore.session.Session.create_client`` so that every client created afterwards (boto3's,
PynamoDB's) counts its DynamoDB HTTP requests, retries included, by operation name.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
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


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (DynamoDB Local's JVM, from /proc)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def use_table(name: str) -> None:
    """Point chalicelib at table ``name`` (fresh binding) and create it if missing."""
    from chalicelib import db
    from infra import resources

    os.environ["TABLE_NAME"] = name
    db._bound["table"] = None
    resources.create_app_tables()


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


# --- a whole local stack (python -m infra.local_stack), started as the e2e tests start it -----

def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


class Stack:
    """The stack on a free port with its own data folder, table and keys, no demo data unless
    ``seed`` (tests/e2e/stack.py). Use as a context manager: stopped with SIGTERM on exit, error
    or Ctrl-C included; were the benchmark killed outright, the stack gets SIGTERM from the
    kernel."""

    def __init__(self, emulator: str = "moto", *, seed: bool = False, **extra_env: str) -> None:
        from tests.e2e.stack import LOCALSTACK_STAMP
        if emulator == "localstack" and not LOCALSTACK_STAMP.exists():
            raise SystemExit("LocalStack is not installed: run `make localstack` first")
        self.emulator = emulator
        self.extra_env = {"SEED_DEMO_DATA": "1" if seed else "0", **extra_env}
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"bench-stack-{emulator}-"))
        self.running = None
        self.ready_seconds = 0.0

    @property
    def api(self) -> str:
        return self.running.api

    @property
    def staff_key(self) -> str:
        return self.running.keys["staff"]

    @property
    def state(self) -> dict:
        return self.running.state

    def __enter__(self) -> "Stack":
        from tests.e2e.stack import start_stack
        began = time.perf_counter()
        print(f"starting the local stack ({self.emulator}) in {self.data_dir} ...",
              file=sys.stderr, flush=True)
        signal.signal(signal.SIGTERM, _exit_on_sigterm)  # unwinds through __exit__
        try:
            self.running = start_stack(self.emulator, self.data_dir, **self.extra_env)
        except BaseException:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            raise
        self.ready_seconds = time.perf_counter() - began
        print(f"local stack ready at {self.running.url} in {self.ready_seconds:.1f} s",
              file=sys.stderr, flush=True)
        return self

    def __exit__(self, *exc: object) -> None:
        from tests.e2e.stack import stop_stack
        try:
            if self.running is not None:
                stop_stack(self.running)
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)

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
