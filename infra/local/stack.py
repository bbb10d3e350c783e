"""The orchestration: bind the port, start the emulators, provision, start the API and the
workers, seed, wait for health, print the banner, supervise; stop everything in reverse order."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from infra.local.config import DEFAULT_DATA_DIR, HOST, STAGE, StackError
from infra.local.datadir import DataDir
from infra.local.emulators import MOTO_QUIET, given_endpoint, launch_s3sqs, wait_http
from infra.local.output import emit, print_lock, say
from infra.local.ports import bind_listener, check_port_free, free_port
from infra.local.processes import Child, DynamoDBChild
from infra.local.provision import provision
from infra.local.seed import store_keys_and_seed

HEALTH_TIMEOUT = 90.0
# What the stack's processes call; DynamoDB Local serves the first, one emulator all the others.
SERVICES = ("dynamodb", "s3", "sqs", "ses", "secretsmanager")


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
    admin_email: str | None = None  # the staff pool's admin (LOCAL_ADMIN_EMAIL, _PASSWORD)
    admin_password: str | None = None
    seed: bool = True


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
        self.admin: tuple[str, str] = ("", "")  # the staff pool's admin: email, password
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
            self.admin = self.data.staff_admin(self.o.admin_email, self.o.admin_password)
            env = provision(endpoints, url=url, port=port, instance=self.data.instance(),
                            signing_secret=self.data.signing_secret(),
                            table_name=self.o.table_name,
                            localstack_storage=(self.o.emulator == "localstack"
                                                and "s3sqs" in self.state["children"]),
                            cleanup=self.cleanup, staff_admin=self.admin)
            self.state["endpoints"] = endpoints
            self.state["env"] = {k: v for k, v in env.items() if k != "PYTHONUNBUFFERED"}
            self.data.write_state(self.state)
            # The API answers 503 on /health until the ready marker is written, so it can start
            # (imports take a second) while the keys and demo data go in.
            self._start_app(env, listener)
            listener.close()
            listener = None
            self.keys = store_keys_and_seed(self.data, self.o.staff_key, self.o.partner_key,
                                            self.o.seed)
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
        endpoints = {s: given_endpoint(s) for s in SERVICES}
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
        if any(endpoints[s] is None for s in SERVICES[1:]):
            port = self.o.s3_sqs_port or free_port()
            self.state["s3sqs_url"] = f"http://{HOST}:{port}"
            s3sqs, wait = launch_s3sqs(self.o.emulator, port, self.data.path, self.cleanup)
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
        endpoints["cognito-idp"] = self._start_cognito(s3sqs is not None)
        endpoints["s3vectors"] = self._start_vectors()
        if ddb is not None:
            endpoints["dynamodb"] = ddb.endpoint_url
            say(f"DynamoDB Local ready at {ddb.endpoint_url} (in memory)")
        if s3sqs is not None:
            for service in SERVICES[1:]:
                endpoints[service] = endpoints[service] or self.state["s3sqs_url"]
            say(f"{self.o.emulator} ready at {self.state['s3sqs_url']} for S3, SQS, SES and "
                "Secrets Manager (in memory)")
        if endpoints["s3"] != endpoints["sqs"]:
            say("warning: S3 and SQS are on different endpoints; S3 can notify only a queue "
                "of its own emulator, so uploads may never reach the worker")
        return endpoints  # type: ignore[return-value]

    def _start_cognito(self, own_emulator: bool) -> str:
        """The staff pool's Cognito (contract 8.2): the one given by botocore's own variable,
        else the stack's moto server, else (LocalStack's community edition has no Cognito) a
        moto server of its own."""
        given = os.environ.get("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
        if given:
            return given
        if own_emulator and self.o.emulator == "moto":
            return self.state["s3sqs_url"]
        self.state["cognito_url"] = self._own_moto("cognito", "Cognito")
        return self.state["cognito_url"]

    def _start_vectors(self) -> str:
        """S3 Vectors (contract 8.4): AWS_ENDPOINT_URL_S3VECTORS if given (AWS_ENDPOINT_URL
        alone does not move it), else a moto server of the stack's, which answers QueryVectors
        (infra/local/s3vectors_query.py): the S3 + SQS one, or Cognito's beside LocalStack
        (whose community edition has no S3 Vectors), or one of its own."""
        given = os.environ.get("AWS_ENDPOINT_URL_S3VECTORS")
        if given:
            return given
        if self.o.emulator == "moto" and "s3sqs_url" in self.state:
            return self.state["s3sqs_url"]
        return self.state.get("cognito_url") or self._own_moto("vectors", "S3 Vectors")

    def _own_moto(self, name: str, what: str) -> str:
        port = free_port()
        url = f"http://{HOST}:{port}"
        child = Child.start(name, [sys.executable, "-m", "infra.local_stack", "moto",
                                   "--port", str(port)],
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, drop=MOTO_QUIET)
        self._add(child)
        wait_http(f"{url}/moto-api/", lambda status, _: status < 500, timeout=60.0,
                  alive=child.exited, what=f"moto server ({what})")
        say(f"moto server ready at {url} for {what} (in memory)")
        return url

    # -- API and workers --

    def _start_app(self, env: dict[str, str], listener: socket.socket) -> None:
        from infra.resources import stage_environment
        # As Lambda would see it: the stage's variables from .chalice/config.json, except the
        # names of what this stack created (suffixed) and the emulators' endpoints.
        child_env = {**os.environ, **stage_environment(STAGE), **env}
        # As deployed, only the processes that sign or verify (the API, the mail sender) may find
        # the signing secret; the others do not get its name.
        unsigned_env = {k: v for k, v in child_env.items() if k != "SIGNING_SECRET_ARN"}
        fd = listener.fileno()
        self._add(Child.start("api", [sys.executable, "-m", "infra.local_server", "--fd", str(fd)],
                              env=child_env, pass_fds=(fd,)))
        # The event source mappings' stand-ins: the upload queue, the table's stream.
        self._add(Child.start("worker", [sys.executable, "-m", "infra.local.sqs_worker"],
                              env=unsigned_env))
        self._add(Child.start("mail", [sys.executable, "-m", "infra.local.mail_worker"],
                              env=child_env))
        # Import jobs' queue (imports/ notifications, continuations): one job message at a time.
        self._add(Child.start("imports", [sys.executable, "-m", "infra.local.import_worker"],
                              env=unsigned_env))
        # Resume passages into the vector store: its own process (the model's load and its
        # seconds of work a resume hold up no other queue).
        self._add(Child.start("embed", [sys.executable, "-m", "infra.local.embed_worker"],
                              env=unsigned_env))
        self._add(Child.start("stream", [sys.executable, "-m", "infra.local.stream_worker"],
                              env={**unsigned_env, "STREAM_HANDLER": "index_search",
                                   "STREAM_CHECKPOINT_FILE":
                                   str(self.data.stream_checkpoint_file)}))
        # The counters (chalicelib/stats), the stream's second consumer: its own worker, as
        # AWS gives each event source mapping its own iterator, checkpoint and on-failure queue.
        self._add(Child.start("stats", [sys.executable, "-m", "infra.local.stream_worker"],
                              env={**unsigned_env, "STREAM_HANDLER": "count_stats",
                                   "STREAM_DLQ_URL": env["STATS_DLQ_URL"],
                                   "STREAM_CHECKPOINT_FILE":
                                   str(self.data.stats_checkpoint_file)}))
        # The hourly schedule's stand-in: unconfirmed sign-ups erased after 30 days.
        self._add(Child.start("purge", [sys.executable, "-m", "infra.local.purge_runner"],
                              env=unsigned_env))

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
            f"  Staff admin:  {self.admin[0]}  password: {self.admin[1]}",
            "                (sign in at the App; more staff: python -m infra staff add EMAIL "
            "--group viewer)",
            f"  Cognito:    {env['COGNITO_ENDPOINT']} (moto), pool {env['COGNITO_USER_POOL_ID']},"
            f" app client {env['COGNITO_CLIENT_ID']}",
            f"  S3 Vectors: {endpoints['s3vectors']}, bucket {env['VECTOR_BUCKET_NAME']}, index "
            f"{env['VECTOR_INDEX_NAME']}",
            f"  DynamoDB:   {endpoints['dynamodb']} ({ddb_what}), table {env['TABLE_NAME']}",
            f"  Search:     table {env['SEARCH_TABLE_NAME']}, fed from the table's stream at "
            f"{env['AWS_ENDPOINT_URL_DYNAMODB_STREAMS']} ([stream])",
            f"  S3 / SQS:   {endpoints['s3']} / {endpoints['sqs']} ({s3_what})",
            f"              bucket {env['RESUME_BUCKET']}, queue {env['UPLOAD_QUEUE_URL']}",
            f"  Secret:     {env['SIGNING_SECRET_ARN']} (the signing secret, in "
            f"{endpoints['secretsmanager']}; its value kept in {self.data.keys_file.name})",
            f"  Mail:       {url}/_local/mail (what SES at {endpoints['ses']} sent, from "
            f"{env['MAIL_FROM']}; also a [mail] line each)",
            "  Data lives in the emulators' memory: nothing outlives a restart but the keys and",
            f"  the signing secret, kept in {self.data.keys_file}.",
            "  Environment for other tools: python -m infra.local_stack env",
            "  Ctrl-C stops everything.",
            "",
        ]
        with print_lock:
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()
