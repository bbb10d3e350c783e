"""One local origin: the Chalice app under ``/api`` (through EnvelopeGateway, the local stand-in
for API Gateway) and the SPA's static files at ``/``.

``/api/...`` -> the app, with ``/api`` stripped (the deployed API Gateway stage is ``api`` too).
``/_local/mail`` -> the mail the SES emulator sent (``infra.local.mailbox``; ``.json`` too).
``/...``     -> ``frontend/dist`` if it exists (unknown paths without a file extension get
               ``index.html``, for client-side routes), else a placeholder page.

Like Lambda, several instances of the app run at once, each handling one request at a time:
``LOCAL_API_WORKERS`` processes (default 4) forked after the app is imported, all accepting on
the one listening socket. Within a process a lock serialises the app (Chalice keeps the current
request on the app object); static files are served outside it. A process accepts connections
only while its app is idle, and closes a connection after an API response, so an API request
goes to an idle process, as API Gateway routes to an idle Lambda instance (keep-alive would pin
a client to one process). Concurrency between requests is therefore real: separate processes,
separate connections to the store.

Run by ``infra.local_stack``, which binds the port first and passes the listening socket
(``--fd``); alone: ``python -m infra.local_server --port 8000`` with the stack's env.
"""
from __future__ import annotations

import argparse
import html
import json
import logging
import mimetypes
import os
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, unquote

PROJECT_ROOT = Path(__file__).resolve().parent.parent
API_PREFIX = "/api"
DIST_DIR = PROJECT_ROOT / "frontend" / "dist"
STAGE = "local"

PLACEHOLDER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Professional sign-up (local)</title>
<link rel="icon" type="image/svg+xml" href="{favicon}">
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}}
code{{background:#f3f3f3;padding:0 .2em}}</style></head>
<body><h1>Professional sign-up &mdash; local stack</h1>
<p>The web app is not built yet (no <code>frontend/dist</code>). The API is running:</p>
<ul><li><a href="/api/docs">API documentation</a> (Swagger UI)</li>
<li><a href="/api/health">/api/health</a></li>
<li><a href="/api/openapi.json">/api/openapi.json</a></li></ul>
<p>Staff calls need the <code>X-Api-Key</code> printed by <code>make run</code>.</p>
<p><small>{origin}</small></p></body></html>
"""


def load_gateway() -> Any:
    """The app behind EnvelopeGateway, configured as the ``local`` Chalice stage."""
    from chalice.config import Config

    from infra.gateway import EnvelopeGateway
    config_json = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text())
    stack_env = dict(os.environ)
    sys.path.insert(0, str(PROJECT_ROOT))
    from app import app  # noqa: E402  (after sys.path)
    config = Config(chalice_stage=STAGE, config_from_disk=config_json,
                    user_provided_params={"chalice_app": app, "project_dir": str(PROJECT_ROOT)})
    # The stage's variables, as `chalice local` sets them, except those the stack set itself
    # (table, bucket, queue, endpoints): those name the resources it created.
    for name, value in config.environment_variables.items():
        os.environ[name] = stack_env.get(name, value)
    for noisy in ("botocore", "boto3", "pynamodb", "urllib3"):  # one line a client otherwise
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return EnvelopeGateway(app, config)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "professionals-local"
    gateway: Any = None
    dist_dir: Path = DIST_DIR

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            self._api()
        elif path in ("/_local/mail", "/_local/mail.json") and self.command in ("GET", "HEAD"):
            self._mail(path.endswith(".json"))
        elif self.command in ("GET", "HEAD"):
            self._static(path)
        else:
            self._send(405, {"Content-Type": "application/json", "Allow": "GET, HEAD"},
                       json.dumps({"error": {"code": "method_not_allowed", "message":
                                  f"{self.command} is not allowed on static files.",
                                  "details": {}}}).encode())

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, FOO) goes to the app too, which answers 405 in the
        # envelope, rather than http.server's own HTML "501 Unsupported method".
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _api(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else None
        target = self.path[len(API_PREFIX):] or "/"
        if not target.startswith("/"):
            target = "/" + target
        headers = dict(self.headers)
        with self.server.busy:
            response = self.gateway.handle_request(self.command, target, headers, body)
        out = dict(response.get("headers") or {})
        out.update(response.get("multiValueHeaders") or {})
        payload = response.get("body")
        if response.get("isBase64Encoded") and payload is not None:
            import base64
            payload = base64.b64decode(payload)
        if isinstance(payload, str):
            payload = payload.encode()
        out["Connection"] = "close"  # the next request may find an idle process (see above)
        self._send(response["statusCode"], out, payload or b"")

    def _mail(self, as_json: bool) -> None:
        """The sent-mail viewer (local only: nothing like it is deployed)."""
        from infra.local import mailbox
        mails, endpoint = mailbox.outbox(), mailbox.ses_endpoint()
        if as_json:
            body = json.dumps({"ses_endpoint": endpoint, "messages": None if mails is None
                               else [m.to_dict() for m in mails]}).encode()
            return self._send(200, {"Content-Type": "application/json",
                                    "Cache-Control": "no-store"}, body)
        self._send(200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
                   mailbox.page(mails, endpoint).encode())

    def _static(self, path: str) -> None:
        if not self.dist_dir.is_dir():
            from chalicelib.apidocs import favicon_data_uri
            origin = f"http://{self.headers.get('Host', '')}"
            page = PLACEHOLDER.format(origin=html.escape(origin),
                                      favicon=html.escape(favicon_data_uri())).encode()
            return self._send(200, {"Content-Type": "text/html; charset=utf-8",
                                    "Cache-Control": "no-store"}, page)
        root = self.dist_dir.resolve()
        candidate = (root / unquote(path).lstrip("/")).resolve()
        if candidate != root and root not in candidate.parents:
            return self._send(404, {"Content-Type": "text/plain"}, b"not found")
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if not candidate.is_file():
            if Path(path).suffix:  # a missing asset is a 404, not the app
                return self._send(404, {"Content-Type": "text/plain"}, b"not found")
            candidate = root / "index.html"  # a client-side route
            if not candidate.is_file():
                return self._send(404, {"Content-Type": "text/plain"}, b"not found")
        content_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript",
                                                                 "application/json"):
            content_type += "; charset=utf-8"
        # hashed assets may be cached; index.html must not be, or a rebuild goes unseen
        cache = "public, max-age=31536000, immutable" if "/assets/" in path else "no-cache"
        self._send(200, {"Content-Type": content_type, "Cache-Control": cache},
                   candidate.read_bytes())

    def _send(self, status: int, headers: dict[str, Any], body: bytes) -> None:
        self.send_response(status)
        lowered = {k.lower() for k in headers}
        if "content-type" not in lowered and body:
            headers["Content-Type"] = "application/json"
        for name, value in headers.items():
            if name.lower() in ("content-length", "transfer-encoding"):
                continue
            for item in value if isinstance(value, list) else [value]:
                self.send_header(name, str(item))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the app logs every API request (JSON); static files are not worth a line

    def log_error(self, format: str, *args: Any) -> None:
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.busy = threading.Lock()  # held while the app handles a request

    def get_request(self) -> tuple[socket.socket, Any]:
        # Every worker wakes for a new connection and one wins it; the others' accept() raises
        # BlockingIOError (an OSError: socketserver moves on) instead of blocking them for good,
        # deaf to shutdown. Hence a non-blocking listener, and blocking connections.
        with self.busy:  # a busy process leaves new connections to idle ones
            pass
        conn, address = self.socket.accept()
        conn.setblocking(True)
        return conn, address


def warm_clients() -> None:
    """Build the app's botocore clients before forking. Loading their service models is most of
    a first request's time (~1-2 s here); a client that has sent nothing holds no connection, so
    each worker still opens its own."""
    from chalicelib import clients, db
    from chalicelib.models import TableItem
    db.connection().client  # noqa: B018  (the properties build the clients)
    TableItem._get_connection().connection.client  # noqa: B018
    clients.s3()


def serve(sock: socket.socket | None, host: str, port: int, workers: int = 1) -> int:
    Handler.gateway = load_gateway()  # imported once, before forking: the pages are shared
    warm_clients()
    if sock is not None:
        server = Server(sock.getsockname()[:2], Handler, bind_and_activate=False)
        server.socket.close()
        server.socket = sock
        server.server_address = sock.getsockname()[:2]
    else:
        server = Server((host, port), Handler)
    server.socket.setblocking(False)  # see Server.get_request
    host, port = server.server_address[:2]
    logging.getLogger("signup.local").info("serving http://%s:%s (API under %s, %d process%s)",
                                           host, port, API_PREFIX, workers,
                                           "" if workers == 1 else "es")
    if workers <= 1:
        _serve_forever(server)
        return 0
    return _supervise([_fork(server) for _ in range(workers)])


def _serve_forever(server: Server) -> None:
    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever(poll_interval=0.2)
    server.server_close()


def _fork(server: Server) -> int:
    pid = os.fork()
    if pid == 0:  # the child serves until SIGTERM and never returns into the parent's code
        code = 1
        try:
            _serve_forever(server)
            code = 0
        except BaseException:
            import traceback
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def _supervise(pids: list[int]) -> int:
    """Wait for the workers; SIGTERM/SIGINT is passed on to them, and one dying stops the rest
    (the stack then reports the API as exited rather than serving at reduced strength)."""
    alive = set(pids)
    stopping = False

    def forward(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in alive:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    code = 0
    while alive:
        pid, status = os.waitpid(-1, 0)
        alive.discard(pid)
        if os.waitstatus_to_exitcode(status) != 0 or not stopping:
            code = code or 1
            if not stopping:
                sys.stderr.write(f"API worker {pid} exited ({status}); stopping the others\n")
                forward(signal.SIGTERM, None)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local_server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fd", type=int, help="an already listening socket to serve on")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--workers", type=int,
                        default=int(os.environ.get("LOCAL_API_WORKERS", "4")),
                        help="API processes (default: LOCAL_API_WORKERS or 4)")
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd) if args.fd is not None else None
    return serve(sock, args.host, args.port, max(1, args.workers))


if __name__ == "__main__":
    sys.exit(main())
