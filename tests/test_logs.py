"""The app's log lines (Powertools' Logger): each carries its own request's id and caller, on
every line of the request, never another request's (the local server runs one thread a
connection; Lambda reuses its process)."""
from __future__ import annotations

import json
import threading

from chalicelib import auth, gateway_auth, logs
from tests.log_capture import log_lines  # noqa: F401  (fixture)


def key_ids(api):
    return {k.name: k.key_id for k in auth.list_keys()}


def test_two_concurrent_requests_log_their_own_request_and_caller(api, monkeypatch, log_lines):  # noqa: F811
    """The partner's request is held inside the app (its keys set) while the staff request runs
    from start to end; then the partner's finishes. Keys kept in the formatter's shared dict
    (Powertools' ``append_keys``) would give the partner's lines the staff request's id."""
    inside, other_done = threading.Event(), threading.Event()
    identify = auth.identify

    def held(headers):
        caller = identify(headers)
        if caller.role == auth.PARTNER:
            inside.set()
            assert other_done.wait(30)
        return caller
    monkeypatch.setattr(auth, "identify", held)
    answers = {}

    def call(who, body):
        answers[who] = api.call("POST", "/professionals/bulk", who=who, body=body)
    partner = threading.Thread(target=call, args=("partner", [{"full_name": "P", "email": "p@x.io"}]))
    partner.start()
    assert inside.wait(30)
    call("staff", [{"full_name": "S", "email": "s@x.io"}, {"full_name": "T", "email": "t@x.io"}])
    other_done.set()
    partner.join(30)

    ids = key_ids(api)
    staff = (answers["staff"].headers["X-Request-Id"], "staff", ids["ops"])
    partner = (answers["partner"].headers["X-Request-Id"], "partner", ids["acme"])
    assert staff[0] != partner[0]
    lines = [line for line in log_lines() if line["message"] in ("bulk upsert", "request")]
    # Each request's bulk line (chalicelib.bulk's) and its request line (app.py's), in the
    # order written: the staff request's two, then the partner's two.
    assert [(line["message"], line["request_id"], line["role"], line["key_id"])
            for line in lines] == [("bulk upsert", *staff), ("request", *staff),
                                   ("bulk upsert", *partner), ("request", *partner)]
    assert [line.get("rows") for line in lines] == [2, None, 1, None]
    text = json.dumps(lines)
    assert api.keys["partner"] not in text and api.keys["staff"] not in text


def test_threads_keep_their_own_keys():
    """The mechanism itself: Powertools' thread-safe keys live in a context variable."""
    ready = threading.Barrier(2)
    seen = {}

    def request(request_id, role):
        logs.start_request(request_id)
        logs.set_caller(role, f"key-{request_id}")
        ready.wait(10)  # both threads have set their keys before either reads them
        seen[request_id] = (logs.log.thread_safe_get_current_keys()["request_id"], logs.caller())
    threads = [threading.Thread(target=request, args=args) for args in (("a", "staff"),
                                                                        ("b", "partner"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"a": ("a", {"role": "staff", "key_id": "key-a"}),
                    "b": ("b", {"role": "partner", "key_id": "key-b"})}


def test_a_request_forgets_the_previous_requests_keys(api, log_lines):  # noqa: F811
    api.call("GET", "/professionals", who="partner")
    logs.log.info("between requests")  # e.g. a worker's line after a request in the same thread
    api.call("GET", "/health", who=None)
    first, second = log_lines("request")
    assert first["key_id"] == key_ids(api)["acme"]
    assert "role" not in second and "key_id" not in second  # /health names no caller
    assert first["request_id"] != second["request_id"]


def test_the_authorizers_lines_carry_its_request_id(api, monkeypatch, log_lines):  # noqa: F811
    for name in ("USAGE_KEY_PUBLIC", "USAGE_KEY_STAFF", "USAGE_KEY_PARTNER_PREFIX"):
        monkeypatch.setenv(name, name.lower())
    gateway_auth.authorize({"methodArn": "arn:aws:execute-api:us-east-1:1:api/api/GET/x",
                            "requestContext": {"requestId": "gw-1"},
                            "headers": {"X-Api-Key": "not-a-key"}})
    line, = log_lines("authorizer: metered as public")
    assert line["request_id"] == "gw-1" and line["reason"] == "Unauthorized"
    assert "not-a-key" not in json.dumps(line)
