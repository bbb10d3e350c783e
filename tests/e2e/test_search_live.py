"""Search over HTTP on the whole local stack, both emulators: the table's stream, the stream
worker and the app's own indexer handler: a write found within the contract's 5 s (7.1), a
bulk's rows all found (its 5 s + 10 ms a row is measured in bench/bulk_freshness.py)."""
from __future__ import annotations

import secrets
import time

import pytest

from tests.e2e.conftest import unique_email
from tests.e2e.pdf import tiny_pdf

pytestmark = pytest.mark.e2e

FRESH = 5.0


def staff(stack) -> dict[str, str]:
    return {"X-Api-Key": stack.keys["staff"]}


def search(stack, http, q: str, **params) -> dict:
    answer = http.get(f"{stack.api}/professionals", params={"q": q, **params},
                      headers=staff(stack), timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def found_within(stack, http, q: str, predicate, seconds: float) -> float | None:
    """Seconds until ``predicate(items)`` holds for a search, or None past ``seconds``."""
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if predicate(search(stack, http, q, limit=100)["items"]):
            return time.monotonic() - began
        time.sleep(0.1)
    return None


def settle(stack, http) -> None:
    """Wait until the indexer has caught up with what earlier tests wrote (the stack is shared
    by the session: a schemathesis or race test can leave thousands of records queued), so
    that a freshness budget measures this test's writes alone."""
    tag = f"settle{secrets.token_hex(4)}"
    created = http.post(f"{stack.api}/professionals", headers=staff(stack), timeout=30,
                        json={"full_name": f"Sentinel {tag}", "email": unique_email(tag)})
    assert created.status_code == 201, created.text
    assert found_within(stack, http, tag, bool, 180) is not None, stack.log_tail()


def test_a_sign_up_is_found_changed_and_erased(stack, http):
    settle(stack, http)
    tag = f"zx{secrets.token_hex(4)}"
    created = http.post(f"{stack.api}/professionals", timeout=30, json={
        "full_name": f"Zoë {tag.capitalize()} Ørsted", "email": unique_email("search"), "consent": True,
        "company_name": "Analytical Engines", "job_title": "Engineer"})
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    waited = found_within(stack, http, f"zoe {tag} orsted", lambda items: [i["id"] for i in items]
                          == [pid], FRESH)
    assert waited is not None, f"not searchable within {FRESH} s:\n{stack.log_tail()}"
    hit = search(stack, http, f"{tag[:4]} engines")["items"]
    assert [i["id"] for i in hit] == [pid]
    assert hit[0]["match"] == {"fields": ["full_name", "company_name"], "snippet": None}

    patched = http.patch(f"{stack.api}/professionals/{pid}", headers=staff(stack), timeout=30,
                         json={"full_name": f"Renamed {tag}"})
    assert patched.status_code == 200, patched.text
    assert found_within(stack, http, tag, lambda items: [i["full_name"] for i in items]
                        == [f"Renamed {tag}"] and not search(stack, http, f"zoe {tag}")["items"],
                        FRESH) is not None

    assert http.delete(f"{stack.api}/professionals/{pid}", headers=staff(stack),
                       timeout=30).status_code == 204
    assert search(stack, http, tag)["items"] == []  # read from the table: gone at once
    assert found_within(stack, http, tag, lambda items: not items, FRESH) is not None


def test_a_ready_resume_is_found_by_its_words(stack, http):
    word = f"qv{secrets.token_hex(5)}"
    pdf = tiny_pdf(f"Curriculum vitae: expert in {word} and distributed systems")
    created = http.post(f"{stack.api}/professionals", headers=staff(stack), timeout=30, json={
        "full_name": "Resume Searcher", "email": unique_email("search-cv"),
        "resume": {"filename": "cv.pdf", "content_type": "application/pdf",
                   "size_bytes": len(pdf)}})
    assert created.status_code == 201, created.text
    body = created.json()
    upload = body["resume_upload"]
    sent = http.post(upload["url"], data=upload["fields"], timeout=30,
                     files={"file": ("cv.pdf", pdf, "application/pdf")},
                     headers={"Origin": stack.url})
    assert sent.status_code in (200, 201, 204), sent.text
    waited = found_within(stack, http, word, lambda items: [i["id"] for i in items]
                          == [body["id"]], 60)  # the worker extracts first (bounded child)
    assert waited is not None, stack.log_tail()
    hit = search(stack, http, f"{word} searcher")["items"][0]
    assert hit["match"]["fields"] == ["full_name", "resume"]
    assert word in hit["match"]["snippet"] and len(hit["match"]["snippet"]) <= 200


def _unused_phone() -> str:
    """A valid US number nobody in the shared stack is likely to hold."""
    import phonenumbers
    while True:
        number = phonenumbers.parse(f"+1404{secrets.randbelow(10 ** 7):07d}", None)
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_a_phone_as_staff_type_it_finds_its_holder_first(stack, http):
    """Contract 8.3 over HTTP: the whole number in the formats people type, its trailing
    digits, and the holder above a name that the number's words match in tier 1."""
    settle(stack, http)
    phone = _unused_phone()
    area, exchange, line = phone[2:5], phone[5:8], phone[8:]
    holder = http.post(f"{stack.api}/professionals", headers=staff(stack), timeout=30, json={
        "full_name": "Typed Phone", "email": unique_email("typed-phone"), "phone": phone})
    assert holder.status_code == 201, holder.text
    rival = http.post(f"{stack.api}/professionals", headers=staff(stack), timeout=30, json={
        "full_name": f"{area} {exchange}{line} Club", "email": unique_email("typed-rival")})
    assert rival.status_code == 201, rival.text
    pid = holder.json()["id"]
    assert found_within(stack, http, f"{exchange}{line}", lambda items: len(items) == 2,
                        FRESH) is not None, stack.log_tail()
    for q in (f"({area}) {exchange}-{line}", f"+1 {area} {exchange} {line}",
              f"{area}.{exchange}.{line}"):
        items = search(stack, http, q)["items"]
        assert items[0]["id"] == pid and items[0]["match"]["fields"] == ["phone"], (q, items[:2])
        assert [i["id"] for i in items].count(pid) == 1


# The freshness budgets are performance figures, measured where timings can be read: the 1,000-
# row bulk's 5 s + 10 ms a row by bench/bulk_freshness.py (quiet, and with a CPU hog beside the
# stack) and bench/search_cost.py. On these shared 2-core machines the same code indexes a
# 1,000-row bulk in 9.5 s one hour and 13 s the next (the indexer's own CPU time per batch moved
# by 60 %: the host, not the code), so a test that timed the budget would fail CI on a slow hour
# and prove nothing on a fast one. Here: every row arrives, within a bound far above the budget
# that only a broken or stalled pipeline exceeds.
PIPELINE_BOUND = 4  # x the budget


def test_a_bulk_import_of_1000_rows_is_all_searchable(stack, http):
    settle(stack, http)
    tag = f"bk{secrets.token_hex(4)}"
    rows = [{"full_name": f"Bulk {tag} Person{n:04d}", "email": unique_email(f"{tag}-{n}"),
             "job_title": "Welder" if n % 2 else "Painter"} for n in range(1000)]
    answer = http.post(f"{stack.api}/professionals/bulk", json=rows, headers=staff(stack),
                       timeout=120)
    assert answer.status_code == 207 and answer.json()["summary"]["created"] == 1000
    bound = PIPELINE_BOUND * (FRESH + 0.010 * len(rows))

    def everyone() -> bool:
        seen, cursor = 0, None
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = search(stack, http, tag, **params)
            seen += len(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                return seen == len(rows)

    # The stream is read in order, so the last row is among the last indexed: wait for it with
    # one cheap search, then page through all (ten pages a look would load the stack).
    began = time.monotonic()
    last = found_within(stack, http, f"{tag} person0999", bool, bound)
    assert last is not None, f"the last row not searchable in {bound} s"
    while not everyone():
        assert time.monotonic() - began < bound, f"not all searchable in {bound} s"
        time.sleep(0.5)
    print(f"[{stack.emulator}] 1,000 bulk rows searchable {time.monotonic() - began:.1f} s "
          f"after the answer (budget {FRESH + 0.010 * len(rows):g} s: bench/bulk_freshness.py)")
    painters = search(stack, http, f"{tag} painter", limit=100)
    assert len(painters["items"]) == 100 and painters["next_cursor"]


def test_bad_queries_get_the_envelope(stack, http):
    for q in ["", "   ", "a b c", "!!!", "x" * 10_000, "\x00\x01\x02"]:
        answer = http.get(f"{stack.api}/professionals", params={"q": q}, headers=staff(stack),
                          timeout=30)
        assert answer.status_code == 400, (q[:20], answer.text)
        assert answer.json()["error"]["code"] == "bad_request"
        assert "q" in answer.json()["error"]["details"]["fields"]
    partner = http.get(f"{stack.api}/professionals", params={"q": "ada"}, timeout=30,
                       headers={"X-Api-Key": stack.keys["partner"]})
    assert partner.status_code == 403
