"""GET /stats (moto in-process): the contract's shape, every day present, defaults, staff only,
every 400; the counts that handlers make themselves (bulk rows, mail, import chunks) and the
stream consumer's, read back through the route; the backfill."""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from botocore.exceptions import ClientError

import pytest

from chalicelib import clients, mail
from chalicelib.errors import ValidationFailed
from chalicelib.stats import counters, report
from tests import mail_helpers
from tests import stats_records as sr
from tests.test_imports import imports  # noqa: F401  (fixture)

TODAY = date.fromisoformat(counters.today())


def stats(api, who="staff", **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return api.call("GET", "/stats" + (f"?{query}" if query else ""), who=who)


def zero_day(on: str) -> dict:
    return {"date": on, "signups": {"direct": 0, "partner": 0, "internal": 0},
            "resumes": {"ready": 0, "rejected": {r: 0 for r in counters.REASONS}},
            "bulk_rows": {"created": 0, "updated": 0, "unchanged": 0, "failed": 0},
            "mails": {"sent": 0, "suppressed": 0}, "erasures": 0}


def today_of(api) -> dict:
    response = stats(api, **{"from": TODAY.isoformat(), "to": TODAY.isoformat()})
    assert response.status_code == 200, response.json
    (day,) = response.json["days"]
    return day


def test_the_default_is_the_30_days_ending_today_every_one_present_with_zeros(api):
    response = stats(api)
    assert response.status_code == 200
    days = response.json["days"]
    assert [d["date"] for d in days] == [(TODAY - timedelta(days=29 - n)).isoformat()
                                         for n in range(30)]
    assert days == [zero_day(d["date"]) for d in days]
    assert set(response.json) == {"days"}


def test_one_end_alone_gives_the_30_days_from_or_to_it(api):
    days = stats(api, **{"from": "2026-01-01"}).json["days"]
    assert (days[0]["date"], days[-1]["date"], len(days)) == ("2026-01-01", "2026-01-30", 30)
    days = stats(api, to="2026-03-01").json["days"]
    assert (days[0]["date"], days[-1]["date"]) == ("2026-01-31", "2026-03-01")


def test_a_future_range_of_366_days_is_valid_and_all_zeros(api):
    first = TODAY + timedelta(days=400)
    last = first + timedelta(days=365)
    response = stats(api, **{"from": first.isoformat(), "to": last.isoformat()})
    assert response.status_code == 200
    assert len(response.json["days"]) == 366
    assert response.json["days"][-1] == zero_day(last.isoformat())


@pytest.mark.parametrize("params, field", [
    ({"from": "2026-12-08", "to": "2026-12-07"}, "from"),  # reversed
    ({"from": "2025-01-01", "to": "2026-01-02"}, "to"),  # 367 days
    ({"from": "2026-13-01"}, "from"),
    ({"to": "2026-02-30"}, "to"),
    ({"from": "20261201"}, "from"),
    ({"from": "2026-W49-1"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"from": ""}, "from"),
])
def test_bad_ranges_are_400_naming_the_field(api, params, field):
    response = stats(api, **params)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert list(error["details"]["fields"]) == [field]


def test_an_unknown_query_parameter_is_400_naming_it(api):
    response = stats(api, days="7")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
    assert response.json["error"]["details"]["fields"] == {"days": ["Unknown query parameter."]}


@pytest.mark.parametrize("who, status", [(None, 401), ("partner", 403)])
def test_only_staff_read_the_stats(api, who, status):
    assert stats(api, who=who).status_code == status


def test_the_range_is_one_query(api, monkeypatch):
    calls = Counter()
    real = clients.dynamodb()

    class Spy:
        def __getattr__(self, name):
            calls[name] += 1
            return getattr(real, name)

    monkeypatch.setattr(counters.clients, "dynamodb", lambda: Spy())
    assert stats(api, **{"from": "2026-01-01", "to": "2026-12-31"}).status_code == 200
    assert calls == Counter({"query": 1})


def test_a_store_outage_is_a_503_unavailable(api, monkeypatch):
    class Down:
        def query(self, **_):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}},
                              "Query")

    monkeypatch.setattr(counters.clients, "dynamodb", lambda: Down())
    response = stats(api)
    assert response.status_code == 503, response.json
    assert response.json["error"]["code"] == "unavailable"


def test_the_stream_handler_counts_sign_ups_resumes_and_erasures_once(api):
    on = TODAY.isoformat()
    records = [sr.signup(101, "a", "partner", on), sr.signup(102, "b", "direct", on),
               sr.resume_done(103, "a", "rejected", on, "encrypted"),
               sr.resume_done(104, "b", "ready", on), sr.renamed(105, "b", on),
               sr.guard(106, on), sr.erased(107, "a", on)]
    event = {"Records": records, "shardId": "shardId-1"}
    for _ in range(2):  # a redelivery
        assert api.client.lambda_.invoke("count_stats", event).payload == \
            {"state": {}, "batchItemFailures": []}
    day = today_of(api)
    assert day["signups"] == {"direct": 1, "partner": 1, "internal": 0}
    assert day["resumes"] == {"ready": 1, "rejected": {**{r: 0 for r in counters.REASONS},
                                                       "encrypted": 1}}
    assert day["erasures"] == 1


def test_bulk_rows_of_every_outcome_are_counted_and_a_dry_run_not(api):
    rows = [{"full_name": "A", "email": "a@example.com"},
            {"full_name": "B", "email": "b@example.com"},
            {"email": "nobody"}]
    assert api.call("POST", "/professionals/bulk", body=rows).status_code == 207
    again = [{"email": "a@example.com", "job_title": "Chief"}, {"email": "b@example.com"}]
    assert api.call("POST", "/professionals/bulk", body=again).status_code == 207
    assert api.call("POST", "/professionals/bulk?dry_run=true", body=rows).status_code == 207
    assert today_of(api)["bulk_rows"] == {"created": 2, "updated": 1, "unchanged": 1, "failed": 1}


def test_a_kept_bulk_response_replayed_by_its_idempotency_key_counts_nothing_more(api):
    rows = [{"full_name": "A", "email": "a@example.com"}]
    for _ in range(2):
        response = api.call("POST", "/professionals/bulk", body=rows,
                            headers={"Idempotency-Key": "bulk-once"})
        assert response.status_code == 207
    assert today_of(api)["bulk_rows"]["created"] == 1


def test_a_counting_failure_never_fails_the_bulk_request(api, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("stats table unreachable")

    monkeypatch.setattr(counters, "add", broken)
    response = api.call("POST", "/professionals/bulk",
                        body=[{"full_name": "A", "email": "a@example.com"}])
    assert response.status_code == 207 and response.json["summary"]["created"] == 1


def test_a_mail_is_counted_once_however_often_its_message_comes(api, monkeypatch):
    from infra import resources
    resources.create_app_tables()
    ada = api.call("POST", "/professionals", body={"full_name": "Ada", "email": "ada@example.com"})
    mail.confirm_address(ada.json["id"], ada.json["email"])
    (record,) = mail_helpers.receive()
    for _ in range(2):
        assert api.client.lambda_.invoke("send_mail", {"Records": [record]}).payload == \
            {"batchItemFailures": []}
    # Powertools' record gone (expired, say): the send runs again; the marker still holds
    monkeypatch.setattr("chalicelib.mail_delivery.send_once",
                        lambda message: __import__("chalicelib.mail_delivery").mail_delivery
                        .send(message))
    api.client.lambda_.invoke("send_mail", {"Records": [record]})
    assert today_of(api)["mails"] == {"sent": 1, "suppressed": 0}


def test_rebuild_sets_sign_ups_and_resumes_from_the_table_and_is_safe_to_rerun(api):
    from infra import stats_rebuild
    for n, source in enumerate(("direct", "partner", "partner")):
        api.call("POST", "/professionals", body={"full_name": f"P{n}", "source": source,
                                                 "email": f"p{n}@example.com"})
    counters.add(TODAY.isoformat(), {counters.MAILS_SENT: 4, counters.SIGNUPS["direct"]: 9})
    for _ in range(2):
        stats_rebuild.rebuild(TODAY - timedelta(days=1), TODAY)
    day = today_of(api)
    assert day["signups"] == {"direct": 1, "partner": 2, "internal": 0}
    assert day["mails"]["sent"] == 4  # not something the table can tell: left as it was
    yesterday = stats(api, **{"from": (TODAY - timedelta(days=1)).isoformat(),
                              "to": (TODAY - timedelta(days=1)).isoformat()}).json["days"][0]
    assert yesterday == zero_day(yesterday["date"])


def test_parse_range_counts_both_ends():
    first, last = report.parse_range({"from": "2024-01-01", "to": "2024-12-31"}, TODAY)
    assert (last - first).days + 1 == 366  # a leap year: allowed
    assert report.parse_range({"from": "2023-01-01", "to": "2024-01-01"}, TODAY)  # 366
    with pytest.raises(ValidationFailed):
        report.parse_range({"from": "2023-01-01", "to": "2024-01-02"}, TODAY)  # 367


def test_an_import_chunk_retried_after_a_crash_is_counted_once(imports, monkeypatch):
    from chalicelib.imports import worker
    from tests.test_imports import create_job, deliver, people_csv, run_job, s3_event
    rows = [(f"Person {i}", f"p{i}@example.com", "t") for i in range(10)]
    rows[6] = ("Person 0", "p0@example.com", "moved")  # chunk 2 (of 4 rows) updates a row
    assert run_job(imports, people_csv(rows[:3]), dry_run=True)["status"] == "done"
    assert today_of(imports)["bulk_rows"] == zero_day("-")["bulk_rows"]  # a dry run: nothing

    job = create_job(imports)
    clients.s3().put_object(Bucket="professionals-resumes-test", Key=job["upload"]["key"],
                            Body=people_csv(rows))
    real, calls = worker._save_part, []

    def crash_once(*args, **kwargs):  # dies after chunk 2's rows are written (and counted)
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("the invocation dies before the chunk's part is saved")
        return real(*args, **kwargs)

    monkeypatch.setattr(worker, "_save_part", crash_once)
    event = s3_event(job["upload"]["key"])
    assert deliver(imports, event, message_id="m-1")["batchItemFailures"]
    assert deliver(imports, event, message_id="m-1") == {"batchItemFailures": []}  # chunk 2 again
    done = imports.call("GET", f"/imports/{job['id']}").json
    assert done["summary"] == {"created": 9, "updated": 1, "unchanged": 0, "failed": 0}
    assert today_of(imports)["bulk_rows"] == done["summary"]


def test_the_rebuild_command_reports_the_days_and_refuses_a_reversed_range(api, capsys):
    from infra.__main__ import main
    api.call("POST", "/professionals", body={"full_name": "Cli", "email": "cli@example.com"})
    day = TODAY.isoformat()
    assert main(["stats", "rebuild", "--from", day, "--to", day]) == 0
    out = capsys.readouterr().out
    assert f"{day}: signups_internal 1" in out and "1 day(s) rebuilt" in out
    assert today_of(api)["signups"]["internal"] == 1
    assert main(["stats", "rebuild", "--from", day, "--to", "2020-01-01"]) == 2
