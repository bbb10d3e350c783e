"""Search by meaning on the whole local stack, both emulators (contract 8.4): resumes of distinct
professions uploaded as PDFs through the presigned POST, extracted by the resume worker, embedded
by the embed worker (fed by the search indexer from the table's stream), then found over HTTP by
queries that share no keyword with them; `similar` ranks a related profession above an unrelated
one; a deleted person leaves the results at once and their vectors soon after."""
from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import clients, vectors
from tests.e2e.conftest import unique_email

pytestmark = pytest.mark.e2e

# Written for this test from each profession's usual duties; the queries below share no content
# word with the resume they are meant to find.
RESUMES = {
    "nurse": (
        "Registered Nurse, Intensive Care Unit. Eight years on a twenty-bed adult ICU at a major "
        "trauma centre. Monitored ventilated and sedated patients, titrated vasoactive infusions, "
        "managed arterial lines and central lines, and responded to cardiac arrests. Mentored "
        "newly qualified nurses and led the unit's sepsis screening audit."),
    "paramedic": (
        "Paramedic with the county ambulance service. Emergency response to road traffic "
        "collisions, strokes and heart attacks; advanced airway management, defibrillation and "
        "intravenous drug administration before hospital arrival; triage at major incidents and "
        "handover to emergency department clinicians."),
    "teacher": (
        "Primary school teacher, Year 1 and Reception. Planned phonics and early reading lessons "
        "for classes of thirty pupils aged four to six, ran the school's reading recovery "
        "programme, organised the nativity play and parents' evenings, and coordinated the "
        "early years foundation stage curriculum."),
    "chef": (
        "Pastry chef at a hotel restaurant. Laminated doughs for croissants, tempered chocolate, "
        "developed a seasonal dessert menu, managed the patisserie section's ordering and food "
        "costs, and trained commis chefs in sugar work and plated desserts."),
}
QUERIES = {
    "nurse": "looks after critically ill people on life support",
    "teacher": "taught young children to read",
    "chef": "makes cakes and sweet baked goods",
}
READY_WITHIN = 90.0  # upload -> resume ready (the worker extracts; the shared stack may be busy)
FOUND_WITHIN = 30.0  # ready -> found by meaning (contract 8.4)


def staff(stack) -> dict[str, str]:
    return {"X-Api-Key": stack.keys["staff"]}


def resume_pdf(text: str) -> bytes:
    from fpdf import FPDF
    doc = FPDF()
    doc.set_font("helvetica", size=11)
    doc.add_page()
    doc.multi_cell(0, 6, text=text)
    return bytes(doc.output())


def create_with_resume(stack, http, tag: str, profession: str) -> str:
    pdf = resume_pdf(RESUMES[profession])
    created = http.post(f"{stack.api}/professionals", headers=staff(stack), timeout=30, json={
        "full_name": f"{profession.capitalize()} {tag}", "email": unique_email(f"sem-{profession}"),
        "resume": {"filename": "cv.pdf", "content_type": "application/pdf",
                   "size_bytes": len(pdf)}})
    assert created.status_code == 201, created.text
    upload = created.json()["resume_upload"]
    sent = http.post(upload["url"], data=upload["fields"], timeout=30,
                     files={"file": ("cv.pdf", pdf, "application/pdf")},
                     headers={"Origin": stack.url})
    assert sent.status_code in (200, 201, 204), sent.text
    return created.json()["id"]


def semantic(stack, http, q: str, **params) -> list[dict]:
    answer = http.get(f"{stack.api}/professionals", headers=staff(stack), timeout=30,
                      params={"q": q, "mode": "semantic", **params})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def ready_at(stack, http, pid: str, timeout: float) -> float | None:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        got = http.get(f"{stack.api}/professionals/{pid}", headers=staff(stack), timeout=30)
        if (got.json().get("resume") or {}).get("status") == "ready":
            return time.monotonic()
        time.sleep(0.25)
    return None


@pytest.fixture(scope="module")
def people(stack):
    """The four professionals, created once per stack for this module, ready and embedded."""
    import requests
    since = (datetime.now(timezone.utc) - timedelta(seconds=2)).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")
    tag = f"sm{secrets.token_hex(3)}"
    with requests.Session() as http:
        ids = {p: create_with_resume(stack, http, tag, p) for p in RESUMES}
        ready = {p: ready_at(stack, http, pid, READY_WITHIN) for p, pid in ids.items()}
        assert all(ready.values()), f"not ready: {ready}\n{stack.log_tail()}"
        # Found by meaning within 30 s of being ready: each by its own passage's words.
        waited = {}
        for p, pid in ids.items():
            probe = RESUMES[p][:120]
            while pid not in [i["id"] for i in semantic(stack, http, probe, created_from=since)]:
                assert time.monotonic() - ready[p] < FOUND_WITHIN, \
                    f"{p} not found by meaning within {FOUND_WITHIN} s of ready\n{stack.log_tail()}"
                time.sleep(0.25)
            waited[p] = time.monotonic() - ready[p]
        print(f"ready -> found by meaning (s): {waited}")
    return {"ids": ids, "since": since}


@pytest.mark.parametrize("profession", sorted(QUERIES))
def test_a_paraphrase_finds_the_right_person_first(stack, http, people, profession):
    items = semantic(stack, http, QUERIES[profession], created_from=people["since"])
    assert items[0]["id"] == people["ids"][profession], [i["full_name"] for i in items]
    match = items[0]["match"]
    assert match["fields"] == ["resume"]
    assert 1 <= len(match["passages"]) <= 3
    for passage in match["passages"]:
        assert 0 <= passage["score"] <= 1 and len(passage["text"]) <= 300
        assert passage["text"].strip("…").strip()[:20] in RESUMES[profession]
    scores = [p["score"] for p in match["passages"]]
    assert scores == sorted(scores, reverse=True)


def test_similar_ranks_a_related_profession_above_an_unrelated_one(stack, http, people):
    ids = people["ids"]
    answer = http.get(f"{stack.api}/professionals/{ids['nurse']}/similar", headers=staff(stack),
                      timeout=30)
    assert answer.status_code == 200, answer.text
    ranked = [i["id"] for i in answer.json()["items"]]
    assert ids["nurse"] not in ranked and len(ranked) <= 10
    assert ids["paramedic"] in ranked, ranked
    if ids["chef"] in ranked:
        assert ranked.index(ids["paramedic"]) < ranked.index(ids["chef"])
    assert answer.json()["items"][0]["match"]["passages"]


def test_hybrid_keeps_every_keyword_match(stack, http, people):
    items = http.get(f"{stack.api}/professionals", headers=staff(stack), timeout=30, params={
        "q": "croissants chocolate", "mode": "hybrid", "created_from": people["since"]}).json()
    assert people["ids"]["chef"] in [i["id"] for i in items["items"]]


def test_a_deleted_person_leaves_semantic_results_and_the_vector_store(stack, http, people,
                                                                       monkeypatch):
    pid = people["ids"]["teacher"]
    assert http.delete(f"{stack.api}/professionals/{pid}", headers=staff(stack),
                       timeout=30).status_code == 204
    # Read from the table, page by page: gone at once.
    assert pid not in [i["id"] for i in semantic(stack, http, QUERIES["teacher"],
                                                 created_from=people["since"])]
    for name in ("AWS_ENDPOINT_URL_S3VECTORS", "VECTOR_BUCKET_NAME", "VECTOR_INDEX_NAME",
                 "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if name in stack.env:
            monkeypatch.setenv(name, stack.env[name])
    clients.reset()
    try:
        began = time.monotonic()
        while vectors.get_vectors(pid):
            assert time.monotonic() - began < FOUND_WITHIN, stack.log_tail()
            time.sleep(0.25)
    finally:
        clients.reset()
