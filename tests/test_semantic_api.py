"""Search by meaning over the API (contract 8.4, docs/api.md "Search by meaning"), in process:
moto with the local stack's QueryVectors, the real model's embeddings of short resumes of
distinct professions, resumes made ready by the real resume processor (GivenTexts).

``mode=semantic`` and ``mode=hybrid`` of ``GET /professionals?q=``: the paraphrase finds its
person first, the match's passages, filters, paging and cursors, the 100 cap, deleted and
unready records left out, hybrid holding every keyword match; ``GET .../similar``; the vector
store unavailable (503, while keyword search works); bad input."""
from __future__ import annotations

import itertools

import pytest

from chalicelib import clients, vectors
from chalicelib.search import fusion
from infra.local import s3vectors_query
from tests.search_api_helpers import GivenTexts, create, search, sync
from tests.test_professionals_api import assert_error

RESUMES = {
    "nurse": "Registered nurse with eight years on intensive care wards. I cared for ventilated "
             "patients, gave medication and watched their vital signs through night shifts.",
    "paramedic": "Paramedic with an ambulance service. I answered emergency calls, gave first aid "
                 "and trauma care at the roadside and took patients to hospital.",
    "teacher": "Primary school teacher. I planned lessons in arithmetic and reading for pupils "
               "aged seven to nine and ran the school's chess club.",
    "engineer": "Backend software engineer. I built distributed services in Python and Go, ran "
                "Kubernetes clusters and tuned PostgreSQL databases.",
    "chef": "Head chef of an Italian restaurant. I wrote seasonal menus, led a kitchen brigade of "
            "twelve cooks and kept food costs down.",
    "accountant": "Chartered accountant. I prepared annual financial statements, tax returns and "
                  "audits for small firms.",
}
SICK_CARE = "someone who looks after sick people in a hospital"  # no word of the nurse's resume
_serial = itertools.count(1)


@pytest.fixture
def texts(monkeypatch):
    return GivenTexts(monkeypatch)


@pytest.fixture
def vapi(api, monkeypatch):
    """The API with an empty vector index beside its table (moto, QueryVectors installed)."""
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3VECTORS", raising=False)
    s3vectors_query.install()
    vectors.create_index(clients.s3vectors(), "professionals-test-vectors", "passages")
    return api


def embed_resume(record: dict, text: str) -> None:
    """What the embedding pipeline stores for a ready resume: its passages' vectors."""
    from chalicelib.embeddings import model, passages
    cut = [p.text for p in passages.cut(text)]
    vectors.put_passages(record["id"], record["source"], model.embed(cut), cut,
                         created_at=record["created_at"])


def person(api, texts, profession: str, *, embed: bool = True, **fields) -> dict:
    record = create(api, f"{profession.title()} Person{next(_serial)}", **fields)
    texts.attach(api, record["id"], RESUMES[profession])
    if embed:
        embed_resume(record, RESUMES[profession])
    return record


def everyone(api, texts, **fields) -> dict[str, dict]:
    return {p: person(api, texts, p, **fields) for p in RESUMES}


def by_meaning(api, q, mode="semantic", **params):
    params.setdefault("limit", 100)
    return search(api, q, mode=mode, **params)


def found(api, q, mode="semantic", **params) -> list[str]:
    response = by_meaning(api, q, mode, **params)
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def flat(text: str) -> str:
    return " ".join(text.split())


# -- semantic ------------------------------------------------------------------------------------

def test_a_paraphrase_finds_the_right_person_first(vapi, texts):
    people = everyone(vapi, texts)
    cases = {SICK_CARE: "nurse", "writes code for web servers": "engineer",
             "cooking dishes for diners": "chef", "educating young children": "teacher",
             "bookkeeping and taxes": "accountant"}
    for q, who in cases.items():
        assert found(vapi, q)[0] == people[who]["id"], q
    # and keyword search, which needs the words, finds no one for the paraphrase
    sync()
    assert search(vapi, SICK_CARE, limit=100).json["items"] == []


def test_items_are_list_resources_plus_their_passages(vapi, texts):
    people = everyone(vapi, texts)
    response = by_meaning(vapi, SICK_CARE)
    assert response.status_code == 200 and set(response.json) == {"items", "next_cursor"}
    items = response.json["items"]
    assert {i["id"] for i in items} == {p["id"] for p in people.values()}
    best_scores = []
    for item in items:
        resume = RESUMES[item["full_name"].split()[0].lower()]
        assert set(item) - {"match"} == set(vapi.call("GET", "/professionals").json["items"][0])
        match = item["match"]
        assert set(match) == {"fields", "snippet", "passages"} and match["fields"] == ["resume"]
        assert 1 <= len(match["passages"]) <= 3
        assert match["snippet"] == match["passages"][0]["text"]
        for shown in match["passages"]:
            assert len(shown["text"]) <= 300 and shown["text"].strip("…") in flat(resume)
            assert 0.0 <= shown["score"] <= 1.0
        scores = [p["score"] for p in match["passages"]]
        assert scores == sorted(scores, reverse=True)
        best_scores.append(scores[0])
    assert best_scores == sorted(best_scores, reverse=True)  # best passage's score first


def test_a_long_resume_shows_up_to_three_passages_of_300_characters(vapi, texts):
    long = " ".join(f"Shift {n}: on the intensive care ward I cared for ventilated patients and "
                    f"checked their vital signs, then wrote the handover notes for the next "
                    f"nurse." for n in range(60))
    record = create(vapi, "Long Resume")
    texts.attach(vapi, record["id"], long)
    embed_resume(record, long)
    item, = by_meaning(vapi, SICK_CARE).json["items"]
    assert len(item["match"]["passages"]) == 3
    for shown in item["match"]["passages"]:
        assert len(shown["text"]) <= 300 and shown["text"].strip("…") in flat(long)


def test_filters_apply_to_semantic_results(vapi, texts):
    nurse = person(vapi, texts, "nurse", source="partner")
    paramedic = person(vapi, texts, "paramedic", source="direct")
    chef = person(vapi, texts, "chef", source="direct")
    assert found(vapi, SICK_CARE, source="partner") == [nurse["id"]]
    assert set(found(vapi, SICK_CARE, source="direct")) == {paramedic["id"], chef["id"]}
    assert found(vapi, SICK_CARE, source="internal") == []
    # created_from inclusive, created_to exclusive
    assert set(found(vapi, SICK_CARE, created_from=paramedic["created_at"])) == {
        paramedic["id"], chef["id"]}
    assert found(vapi, SICK_CARE, created_to=paramedic["created_at"]) == [nurse["id"]]
    # mutable facts come from the table: nobody's email is verified; everyone has a resume
    assert found(vapi, SICK_CARE, email_verified="true") == []
    assert len(found(vapi, SICK_CARE, email_verified="false")) == 3
    assert len(found(vapi, SICK_CARE, has_resume="true")) == 3
    assert found(vapi, SICK_CARE, has_resume="false") == []
    assert found(vapi, SICK_CARE, "hybrid", has_resume="false") == []


def test_vectors_without_a_ready_resume_or_record_are_left_out(vapi, texts):
    nurse = person(vapi, texts, "nurse")
    no_resume = create(vapi, "Vectors Only")  # stale vectors: the record has no ready resume
    embed_resume(no_resume, RESUMES["paramedic"])
    gone = person(vapi, texts, "paramedic")
    assert vapi.call("DELETE", f"/professionals/{gone['id']}").status_code == 204
    sync()
    for mode in ("semantic", "hybrid"):
        assert found(vapi, SICK_CARE, mode) == [nurse["id"]], mode
    assert found(vapi, "paramedic ambulance", "hybrid") == [nurse["id"]]  # by meaning alone
    similar = vapi.call("GET", f"/professionals/{nurse['id']}/similar").json["items"]
    assert similar == []


def test_pages_put_together_are_the_whole_list_and_cursors_are_checked(vapi, texts):
    everyone(vapi, texts)
    whole = found(vapi, SICK_CARE)
    assert len(whole) == len(RESUMES)
    for mode in ("semantic", "hybrid"):
        got, cursor, pages = [], None, 0
        while True:
            response = by_meaning(vapi, SICK_CARE, mode, limit=4, cursor=cursor)
            assert response.status_code == 200, response.json
            assert len(response.json["items"]) <= 4
            got += [i["id"] for i in response.json["items"]]
            cursor, pages = response.json["next_cursor"], pages + 1
            if cursor is None:
                break
        assert pages == 2 and len(got) == len(set(got)) == len(RESUMES)
        if mode == "semantic":
            assert got == whole
    cursor = by_meaning(vapi, SICK_CARE, limit=2).json["next_cursor"]
    tampered = cursor[:-3] + ("AAA" if cursor[-3:] != "AAA" else "BBB")
    assert_error(by_meaning(vapi, SICK_CARE, limit=2, cursor=tampered), 400, "bad_request")
    for other in ({"q": "cooking dishes for diners"}, {"mode": "hybrid"}, {"source": "direct"}):
        params = {"q": SICK_CARE, "mode": "semantic", "limit": 2, "cursor": cursor, **other}
        assert_error(search(vapi, **params), 400, "bad_request")
    for n in range(3):  # a keyword search's cursor is refused too
        create(vapi, f"Hospital Person{n}")
    sync()
    keyword_cursor = search(vapi, "hospital", limit=1).json["next_cursor"]
    assert keyword_cursor
    assert_error(by_meaning(vapi, SICK_CARE, cursor=keyword_cursor), 400, "bad_request")


def test_at_most_100_results_in_all(vapi, texts):
    """70 keyword matches by profile (no resume) and 35 others found by meaning only: hybrid
    gives 100, every keyword match among them; semantic gives its 35 (at most 100 passages
    are asked of the store, so never more than 100 people)."""
    from chalicelib.embeddings import model
    rows = [{"full_name": f"Cook Number{n}", "email": f"cook{n}@example.com",
             "job_title": "Kitchen cook"} for n in range(70)]
    rows += [{"full_name": f"Chef Number{n}", "email": f"chef{n}@example.com"}
             for n in range(35)]
    made = vapi.call("POST", "/professionals/bulk", body=rows)
    assert made.status_code == 207, made.json
    ids = [r["id"] for r in made.json["results"]]
    chef_vector = model.embed([RESUMES["chef"]])[0]
    for pid in ids[70:]:
        record = texts.attach(vapi, pid, RESUMES["chef"])
        vectors.put_passages(pid, record["source"], [chef_vector], [RESUMES["chef"]],
                             created_at=record["created_at"])
    sync()
    pages = {}
    for mode in ("semantic", "hybrid"):
        got, cursor = [], None
        while True:
            response = by_meaning(vapi, "kitchen cook", mode, cursor=cursor, limit=30)
            got += [i["id"] for i in response.json["items"]]
            cursor = response.json["next_cursor"]
            if cursor is None:
                break
        assert len(got) == len(set(got)), mode
        pages[mode] = got
    assert set(pages["semantic"]) == set(ids[70:])
    assert len(pages["hybrid"]) == 100 and set(ids[:70]) <= set(pages["hybrid"])
    assert len(found(vapi, "kitchen cook", "hybrid")) == 100  # one page of 100 alike


# -- hybrid --------------------------------------------------------------------------------------

def test_hybrid_holds_every_keyword_match_and_fuses_the_rest(vapi, texts):
    people = everyone(vapi, texts)
    # keyword matches by profile only (no resume, so semantic cannot find them)
    carers = [create(vapi, f"Carer Hospital{n}", job_title="Hospital porter") for n in range(3)]
    sync()
    q = "hospital patients care"
    keyword = [i["id"] for i in search(vapi, q, limit=100).json["items"]]
    assert people["paramedic"]["id"] in keyword
    response = by_meaning(vapi, "hospital", "hybrid")
    items = {i["id"]: i for i in response.json["items"]}
    for carer in carers:
        assert carer["id"] in items
        match = items[carer["id"]]["match"]
        assert "job_title" in match["fields"] and match["passages"] == []
    hybrid = found(vapi, q, "hybrid")
    assert set(keyword) <= set(hybrid)
    assert set(found(vapi, q)) <= set(hybrid)  # semantic's too: room is left (< 100 in all)
    paramedic = next(i for i in by_meaning(vapi, q, "hybrid").json["items"]
                     if i["id"] == people["paramedic"]["id"])
    match = paramedic["match"]  # found both ways: keyword's fields and snippet, and passages
    assert "resume" in match["fields"] and match["passages"]
    assert "patients" in match["snippet"].lower()
    # a query without a keyword term (emoji) is semantic alone
    assert found(vapi, "🙂🙂🙂", "hybrid") == found(vapi, "🙂🙂🙂")


def test_the_fusion_keeps_every_keyword_match_under_the_cap():
    keyword = [f"k{n:03}" for n in range(70)]
    semantic = [f"s{n:03}" for n in range(100)]
    fused = fusion.hybrid(keyword, semantic)
    assert len(fused) == 100 and set(keyword) <= set(fused)
    assert fused[:2] == ["k000", "s000"]  # same rank, same score: by id
    # 100 keyword matches or more: keyword's first 100, in the fused order
    many = keyword + semantic
    assert fusion.hybrid(many, semantic) == [i for i in fusion.rrf([many, semantic])
                                             if i in many[:100]]
    both = fusion.hybrid(["a", "b"], ["b", "c"])
    assert both[0] == "b" and set(both) == {"a", "b", "c"}
    assert fusion.hybrid([], ["x", "y"]) == ["x", "y"]


# -- similar -------------------------------------------------------------------------------------

def test_similar_ranks_a_related_profession_above_unrelated_ones(vapi, texts):
    people = everyone(vapi, texts)
    response = vapi.call("GET", f"/professionals/{people['nurse']['id']}/similar")
    assert response.status_code == 200 and set(response.json) == {"items"}
    items = response.json["items"]
    ids = [i["id"] for i in items]
    assert people["nurse"]["id"] not in ids and len(ids) == len(RESUMES) - 1
    assert ids[0] == people["paramedic"]["id"]
    assert ids.index(people["paramedic"]["id"]) < ids.index(people["engineer"]["id"])
    match = items[0]["match"]
    assert match["fields"] == ["resume"] and match["snippet"] == match["passages"][0]["text"]
    assert match["passages"][0]["text"].strip("…") in flat(RESUMES["paramedic"])
    # staff only (every staff group: tests/test_staff_users.py)
    assert vapi.call("GET", f"/professionals/{people['nurse']['id']}/similar",
                     who="partner").status_code == 403


def test_similar_is_at_most_ten(vapi, texts):
    nurse = person(vapi, texts, "nurse")
    for _ in range(11):
        person(vapi, texts, "paramedic")
    items = vapi.call("GET", f"/professionals/{nurse['id']}/similar").json["items"]
    assert len(items) == 10


def test_similar_404_and_empty(vapi, texts):
    assert_error(vapi.call("GET", "/professionals/nobody-at-all/similar"), 404, "not_found")
    no_resume = create(vapi, "No Resume")
    assert vapi.call("GET", f"/professionals/{no_resume['id']}/similar").json == {"items": []}
    not_embedded = person(vapi, texts, "chef", embed=False)
    person(vapi, texts, "teacher")
    assert vapi.call("GET", f"/professionals/{not_embedded['id']}/similar").json == {
        "items": []}
    gone = person(vapi, texts, "accountant")
    assert vapi.call("DELETE", f"/professionals/{gone['id']}").status_code == 204
    assert_error(vapi.call("GET", f"/professionals/{gone['id']}/similar"), 404, "not_found")
    assert_error(vapi.call("GET", f"/professionals/{no_resume['id']}/similar?limit=3"), 400,
                 "bad_request")


# -- the store unavailable; bad input ------------------------------------------------------------

def test_an_unreachable_store_is_503_while_keyword_search_works(vapi, texts, monkeypatch):
    nurse = person(vapi, texts, "nurse")
    sync()
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3VECTORS", "http://127.0.0.1:9")  # nothing listens
    for mode in ("semantic", "hybrid"):
        assert_error(by_meaning(vapi, SICK_CARE, mode), 503, "unavailable")
    assert_error(vapi.call("GET", f"/professionals/{nurse['id']}/similar"), 503, "unavailable")
    response = search(vapi, "nurse")
    assert response.status_code == 200 and [i["id"] for i in response.json["items"]] == [
        nurse["id"]]



def test_a_model_that_cannot_load_is_503_while_keyword_search_works(vapi, texts, monkeypatch):
    """Deployed, the model comes from the embedder runtime layer (EMBEDDING_MODEL_DIR): a
    function without it answers searches by meaning with 503, not 500."""
    from chalicelib.embeddings import model
    nurse = person(vapi, texts, "nurse")
    sync()
    monkeypatch.setenv("EMBEDDING_MODEL_DIR", "/nonexistent/embedding-model")
    model._loaded.cache_clear()
    try:
        for mode in ("semantic", "hybrid"):
            assert_error(by_meaning(vapi, SICK_CARE, mode), 503, "unavailable")
        response = search(vapi, "nurse")
        assert response.status_code == 200 and [i["id"] for i in response.json["items"]] == [
            nurse["id"]]
    finally:
        monkeypatch.delenv("EMBEDDING_MODEL_DIR")
        model._loaded.cache_clear()

def test_mode_and_q_are_checked(vapi, texts):
    person(vapi, texts, "nurse")
    for bad in ("fuzzy", "", "SEMANTIC"):
        response = search(vapi, "nurse", mode=bad)
        assert_error(response, 400, "bad_request")
        assert "mode" in response.json["error"]["details"]["fields"]
    response = vapi.call("GET", "/professionals?mode=semantic")
    assert_error(response, 400, "bad_request")
    assert "mode" in response.json["error"]["details"]["fields"]
    for mode in ("semantic", "hybrid"):
        for q in ("ab", "  ab  ", "x" * 501):
            response = by_meaning(vapi, q, mode)
            assert_error(response, 400, "bad_request")
            assert "q" in response.json["error"]["details"]["fields"]
        for q in ("care " * 100, "🙂🙂🙂", "nurse " * 80, "nur", "x" * 500):
            assert by_meaning(vapi, q[:500], mode).status_code == 200, (mode, q[:20])
    assert search(vapi, "nurse", mode="keyword").status_code == 200
    assert vapi.call("GET", "/professionals?mode=semantic&q=nurses",
                     who="partner").status_code == 403


def test_the_api_loads_the_model_only_for_a_search_by_meaning():
    """Importing the app (what every keyword request's container does) loads neither numpy nor
    the model's code: chalicelib.embeddings is imported inside the semantic path only."""
    import subprocess
    import sys
    from pathlib import Path
    probe = ("import sys, app; from chalicelib.search import semantic, similar; "
             "print(sorted(m for m in sys.modules if m == 'numpy' or m == 'tokenizers' "
             "or m.startswith('chalicelib.embeddings')))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).parent.parent,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
