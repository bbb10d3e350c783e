"""8.3's cost rule, counted: a search page makes at most 10 DynamoDB requests for 1 to 3 terms
and at most 20 for 4 to 8, whatever the terms, the filters and how much the index holds (every
request: the look-ups of a phone or email, the index, the vocabulary, the professionals); a page
whose budget is spent is short and carries a cursor, and the pages put together are still the
whole result."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from tests.search_api_helpers import create, found, page_through, search, sync
from tests.test_search_api import resume_from_pdf


@contextmanager
def counted():
    """Every DynamoDB request the API makes, through either client (PynamoDB's for the
    professionals table, boto3's for the index)."""
    from chalicelib import clients, db
    calls: list[str] = []

    def hook(model, **_):
        calls.append(model.name)

    emitters = [db.connection().client.meta.events, clients.dynamodb().meta.events]
    for events in emitters:
        events.register("before-call.dynamodb", hook)
    try:
        yield calls
    finally:
        for events in emitters:
            events.unregister("before-call.dynamodb", hook)


@pytest.fixture
def crowd(api, monkeypatch):
    """Professionals who share words (so that partitions hold more than a page reads at first:
    made small here), some with resumes, one with a phone."""
    from chalicelib.search import passes
    monkeypatch.setattr(passes, "FIRST_READ", 6)
    rows = [{"full_name": f"Sam Engineer{n % 4} Taylor", "email": f"sam{n}@example.com",
             "company_name": "Software House" if n % 2 else "Hardware Co",
             "job_title": "Software Engineer" if n % 3 else "Nurse",
             "source": "partner" if n % 5 == 0 else "internal"} for n in range(36)]
    response = api.call("POST", "/professionals/bulk", body=rows)
    assert response.status_code == 207 and response.json["summary"]["failed"] == 0
    for n in range(4):
        reader = create(api, f"Reader {n}", job_title="Analyst")
        resume_from_pdf(api, reader["id"], "software engineer " * (n + 1) + "python nurse")
    create(api, "Grace Hopper", phone="+14155550102", email="grace@navy.example.mil")
    sync()


QUERIES = [
    ("sam", {}), ("software engineer", {}), ("engineer nurse", {}), ("softwre", {}),
    ("taylor sam software", {"source": "partner"}), ("sam", {"has_resume": "false"}),
    ("software", {"email_verified": "false", "created_from": "2020-01-01"}),
    ("python", {}), ("software engineer python nurse sam taylor house co", {}),
    ("(415) 555-0102", {}), ("grace@navy.example.mil", {}), ("zzqx wvvy", {}),
    ("engineer2", {}), ("5550102", {}),
]


@pytest.mark.parametrize("q, params", QUERIES)
def test_every_page_keeps_to_its_request_budget(api, crowd, q, params):
    from chalicelib.search import analyzer
    budget = 10 if len(analyzer.query_terms(q)) <= 3 else 20
    whole, cursor, pages = [], None, 0
    while True:
        with counted() as calls:
            response = search(api, q, limit=5, cursor=cursor, **params)
        assert response.status_code == 200, response.json
        authorizing = calls.count("GetItem")  # the API key's look-up, before the search runs
        assert len(calls) - authorizing <= budget, (q, pages, calls)
        whole += [i["id"] for i in response.json["items"]]
        cursor = response.json["next_cursor"]
        pages += 1
        if cursor is None:
            break
        assert pages < 60
    assert len(whole) == len(set(whole))
    # the short pages put together are the whole order (read with room to spare)
    assert [i["id"] for i in page_through(api, q, limit=100, **params)] == whole


def test_a_short_page_still_moves_on_and_the_set_is_whole(api, crowd):
    """Many terms that all match many people: pages come back short within their budget, and
    the walk still finds exactly those everyone of the terms matches."""
    everyone = found(api, "sam taylor", limit=100)
    assert len(page_through(api, "sam taylor", limit=3)) == len(everyone) == 36
