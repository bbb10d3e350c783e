"""Contract 8.2's history on moto in-process: the actor rides on each write, the stream
consumer (in the counters' function) records each change once, the route pages it, and a
deleted or erased record's history keeps names, not values, for admins only."""
from __future__ import annotations

import pytest

from tests.history_helpers import all_records, sync_history

STAFF_USERS = {"admin": "ada@example.com", "editor": "eve@example.com",
               "viewer": "vic@example.com"}


@pytest.fixture
def hapi(api, monkeypatch):
    """``api`` whose ``who`` may also be a staff user's group (signed in as that user)."""
    from chalicelib import auth
    real = auth.identify

    def identify(headers):
        group = headers.get("x-test-group")
        if group:
            return auth.Caller(role=auth.STAFF, name=STAFF_USERS[group], group=group)
        return real(headers)
    monkeypatch.setattr(auth, "identify", identify)
    return api


def call(api, method, path, who="staff", body=None):
    if who in STAFF_USERS:
        return api.call(method, path, who=None, body=body, headers={"X-Test-Group": who})
    return api.call(method, path, who=who, body=body)


def history(api, pid, who="staff", **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return call(api, "GET", f"/professionals/{pid}/history" + (f"?{query}" if query else ""), who)


def create(api, who="staff", **fields):
    body = {"full_name": "Ada Lovelace", "email": "ada@example.com", **fields}
    response = call(api, "POST", "/professionals", who, body)
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_each_change_names_its_actor_and_what_changed(hapi):
    pid = create(hapi, job_title="Engineer")
    assert call(hapi, "PATCH", f"/professionals/{pid}", "editor",
                {"job_title": "Countess", "phone": "+14155550123"}).status_code == 200
    sync_history(hapi.client)
    sync_history(hapi.client)  # a replay of the whole stream records nothing twice
    items = history(hapi, pid).json["items"]
    assert [i["action"] for i in items] == ["updated", "created"]
    updated, created = items
    assert updated["actor"] == {"kind": "staff", "name": "eve@example.com"}
    assert updated["via"] == "api"
    assert updated["changes"] == {"job_title": {"from": "Engineer", "to": "Countess"},
                                  "phone": {"from": None, "to": "+14155550123"}}
    assert created["actor"] == {"kind": "key", "name": "ops"} and created["via"] == "api"
    assert created["changes"]["full_name"] == {"from": None, "to": "Ada Lovelace"}
    assert created["changes"]["source"] == {"from": None, "to": "internal"}
    assert "phone" not in created["changes"] and "updated_at" not in created["changes"]
    assert created["at"] <= updated["at"]


def test_bulk_rows_and_a_viewer_reading(hapi):
    rows = [{"full_name": "Grace Hopper", "email": "grace@example.com"}]
    first = call(hapi, "POST", "/professionals/bulk", "partner", rows).json["results"][0]
    rows[0]["job_title"] = "Admiral"
    call(hapi, "POST", "/professionals/bulk", "partner", rows)
    sync_history(hapi.client)
    items = history(hapi, first["id"], "viewer").json["items"]
    assert [(i["action"], i["via"], i["actor"]["name"]) for i in items] == \
        [("updated", "bulk", "acme"), ("created", "bulk", "acme")]
    assert items[0]["changes"] == {"job_title": {"from": None, "to": "Admiral"}}


def test_a_partner_reads_only_the_history_of_what_it_created(hapi):
    mine = create(hapi, "partner")
    theirs = create(hapi, "other_partner", email="grace@example.com")
    staffs = create(hapi, email="alan@example.com")
    sync_history(hapi.client)
    assert history(hapi, mine, "partner").status_code == 200
    for pid in (theirs, staffs, "never-was"):
        response = history(hapi, pid, "partner")
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert history(hapi, mine, None).status_code == 401


def test_an_id_never_seen_is_404_even_to_an_admin(hapi):
    assert history(hapi, "never-was", "admin").status_code == 404


def test_paging_newest_first_with_a_signed_cursor(hapi):
    pid = create(hapi)
    for n in range(5):
        call(hapi, "PATCH", f"/professionals/{pid}", "staff", {"job_title": f"Job {n}"})
    sync_history(hapi.client)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = history(hapi, pid, **params).json
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [i["action"] for i in seen] == ["updated"] * 5 + ["created"]
    assert [i["changes"]["job_title"]["to"] for i in seen[:5]] == [f"Job {n}" for n in
                                                                  range(4, -1, -1)]
    page = history(hapi, pid, limit=2).json
    other = create(hapi, email="grace@example.com")
    forged = page["next_cursor"][:-2] + ("AA" if not page["next_cursor"].endswith("AA") else "BB")
    for pid_, cursor_ in ((pid, forged), (other, page["next_cursor"])):
        response = history(hapi, pid_, cursor=cursor_)
        assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"
    for bad in ({"limit": 0}, {"limit": 101}, {"limit": "x"}, {"sort": "asc"}):
        assert history(hapi, pid, **bad).status_code == 400


def test_a_deleted_record_keeps_names_not_values_and_answers_only_to_admins(hapi):
    pid = create(hapi, "partner", job_title="Engineer")
    call(hapi, "PATCH", f"/professionals/{pid}", "partner", {"job_title": "Countess"})
    sync_history(hapi.client)
    assert call(hapi, "DELETE", f"/professionals/{pid}", "editor").status_code == 204
    sync_history(hapi.client)
    for who in ("staff", "editor", "viewer", "partner"):
        assert history(hapi, pid, who).status_code == 404, who
    items = history(hapi, pid, "admin").json["items"]
    assert [i["action"] for i in items] == ["deleted", "updated", "created"]
    assert items[0]["actor"] == {"kind": "staff", "name": "eve@example.com"}
    assert items[0]["via"] == "api"
    assert items[1]["changes"] == {"job_title": {"from": None, "to": None}}
    assert set(items[2]["changes"]) >= {"full_name", "email", "job_title", "source"}
    for item in items:
        assert all(c == {"from": None, "to": None} for c in item["changes"].values()), item
    sync_history(hapi.client)  # a replay after the erasure brings no value back
    assert history(hapi, pid, "admin").json["items"] == items


def test_self_service_email_verification_and_erasure(hapi, monkeypatch):
    from chalicelib import auth, professionals
    response = call(hapi, "POST", "/professionals", None,
                    {"full_name": "Ada", "email": "ada@example.com", "consent": True})
    pid, token = response.json["id"], response.json["access_token"]
    item = professionals.get(pid)
    link = auth.issue_email_token(item)
    assert hapi.call("POST", "/sessions", None, {"token": link}).status_code == 200
    bearer = f"Bearer {hapi.call('POST', '/sessions', None, {'token': auth.issue_email_token(professionals.get(pid))}).json['access_token']}"
    assert hapi.call("PATCH", f"/professionals/{pid}", bearer, {"job_title": "Poet"}).status_code == 200
    sync_history(hapi.client)
    items = history(hapi, pid).json["items"]
    assert [(i["action"], i["actor"]["kind"], i["via"]) for i in items] == [
        ("updated", "person", "self_service"), ("email_verified", "person", "self_service"),
        ("created", "anonymous", "api")]
    assert items[1]["changes"] == {"email_verified": {"from": False, "to": True}}
    assert hapi.call("DELETE", f"/professionals/{pid}", bearer).status_code == 204
    sync_history(hapi.client)
    deleted = history(hapi, pid, "admin").json["items"][0]
    assert (deleted["action"], deleted["actor"], deleted["via"]) == \
        ("deleted", {"kind": "person", "name": None}, "self_service")
    assert token


def test_the_purge_and_the_resume_processor_name_themselves(hapi):
    from datetime import timedelta

    from chalicelib import clock, purge, resume_processor
    from chalicelib.history import actors
    response = call(hapi, "POST", "/professionals", None,
                    {"full_name": "Ada", "email": "ada@example.com", "consent": True})
    pid = response.json["id"]
    staffed = create(hapi, email="grace@example.com",
                     resume={"filename": "cv.pdf", "content_type": "application/pdf",
                             "size_bytes": 10})
    from chalicelib import professionals
    key = professionals.get(staffed).resume_upload["key"]
    resume_processor._reject(staffed, key, "not_pdf")
    assert purge.purge_unconfirmed(clock.now() + timedelta(days=31)) == [pid]
    sync_history(hapi.client)
    gone = history(hapi, pid, "admin").json["items"][0]
    assert (gone["action"], gone["actor"], gone["via"]) == \
        ("deleted", {"kind": "system", "name": "purge"}, "purge")
    rejected = history(hapi, staffed).json["items"][0]
    assert (rejected["action"], rejected["actor"], rejected["via"]) == \
        ("resume_rejected", {"kind": "system", "name": "resume-processor"}, "resume")
    assert rejected["changes"]["resume"]["to"]["reason"] == "not_pdf"
    assert actors.PURGER["via"] == "purge"


def test_the_request_path_writes_only_the_actor_and_a_delete_its_marker(hapi, monkeypatch):
    """No request of its own: the actor is an attribute of the write, the marker an item of
    the delete's transaction."""
    from chalicelib import clients, db
    pid = create(hapi)
    calls = []
    real = db._client

    class Counting:
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            calls.append(name)
            return getattr(self.inner, name)
    monkeypatch.setattr(db, "_client", lambda: Counting(real()))
    call(hapi, "PATCH", f"/professionals/{pid}", "staff", {"job_title": "X"})
    assert calls.count("transact_write_items") == 1
    calls.clear()
    call(hapi, "DELETE", f"/professionals/{pid}", "staff")
    assert calls.count("transact_write_items") == 1
    marker = clients.dynamodb().get_item(TableName=f"professionals-test-history",
                                         Key={"pk": {"S": f"DEL#{pid}"}, "sk": {"S": "-"}})
    assert marker["Item"]["via"]["S"] == "api"


def test_a_failed_history_write_retries_the_batch_without_counting_twice(hapi, monkeypatch):
    from chalicelib.history import consumer
    from chalicelib.stats import counters
    create(hapi)
    [shard] = all_records()
    event = {"shardId": shard["shardId"], "Records": shard["Records"]}
    real = consumer.put_entry
    monkeypatch.setattr(consumer, "put_entry", lambda *a: (_ for _ in ()).throw(OSError("down")))
    answer = hapi.client.lambda_.invoke("count_stats", event).payload
    first = [r["dynamodb"]["SequenceNumber"] for r in shard["Records"]
             if r["dynamodb"]["Keys"]["pk"]["S"].startswith("PRO#")][0]
    assert answer["batchItemFailures"] == [{"itemIdentifier": first}]
    monkeypatch.setattr(consumer, "put_entry", real)
    retry = [r for r in shard["Records"] if int(r["dynamodb"]["SequenceNumber"]) >= int(first)]
    assert hapi.client.lambda_.invoke("count_stats", {**event, "Records": retry}).payload[
        "batchItemFailures"] == []
    day = hapi.call("GET", "/stats", "staff").json["days"][-1]
    assert day["signups"]["internal"] == 1
    assert counters.SIGNUPS


def test_an_import_jobs_rows_name_the_job_and_its_caller(api, monkeypatch):
    from chalicelib import clients
    from chalicelib.imports import worker
    from tests.test_imports import people_csv, run_job
    url = clients.sqs().create_queue(QueueName="professionals-imports-test")["QueueUrl"]
    monkeypatch.setenv("IMPORT_QUEUE_URL", url)
    monkeypatch.setattr(worker, "CHUNK_ROWS", 4)
    job = run_job(api, people_csv([("Ada", "ada@example.com", "Engineer")]), who="partner")
    assert job["status"] == "done", job
    pid = api.call("GET", "/professionals?email=ada@example.com").json["items"][0]["id"]
    sync_history(api.client)
    [created] = history(api, pid).json["items"]
    assert (created["action"], created["actor"], created["via"]) == \
        ("created", {"kind": "key", "name": "acme"}, "import")


def test_with_real_staff_tokens_the_actor_is_the_user_and_only_admins_read_the_deleted(
        api, cognito):
    """Cognito access tokens (moto's pool, checked against its JWKS), not a stand-in caller."""
    token = {group: f"Bearer {cognito.token(f'{group}@example.com', group)}"
             for group in ("viewer", "editor", "admin")}
    pid = create(api)
    assert api.call("PATCH", f"/professionals/{pid}", token["editor"],
                    {"company_name": "Navy"}).status_code == 200
    sync_history(api.client)
    live = api.call("GET", f"/professionals/{pid}/history", token["viewer"])
    assert live.status_code == 200
    assert live.json["items"][0]["actor"] == {"kind": "staff", "name": "editor@example.com"}
    assert api.call("DELETE", f"/professionals/{pid}", token["admin"]).status_code == 204
    sync_history(api.client)
    for group in ("viewer", "editor"):
        assert api.call("GET", f"/professionals/{pid}/history", token[group]).status_code == 404
    gone = api.call("GET", f"/professionals/{pid}/history", token["admin"]).json["items"]
    assert gone[0]["action"] == "deleted"
    assert gone[0]["actor"] == {"kind": "staff", "name": "admin@example.com"}
    assert gone[1]["changes"] == {"company_name": {"from": None, "to": None}}
