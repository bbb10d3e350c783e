"""Property: for small random sets of professionals and random queries, search returns exactly
the professionals that docs/api.md (Search)'s rule selects, in its order.

The rule is implemented in tests/search_oracle.py straight from the contract (its own folding,
splitting, prefix and whole-word matching, tiers), never with chalicelib.search. Hypothesis
draws names, companies, titles, emails and phones from a small vocabulary with accents, mixed
case, other scripts and shared prefixes, gives some professionals a resume (through the resume
processor; only the PDF text extractor is replaced by the drawn text), then queries with words
and prefixes of that vocabulary in other cases and spellings. For each query:

* the result set equals a brute-force filter of the professionals with the oracle;
* the order follows the tiers; within a tier, items where every term equals a whole word come
  before those where some term is only a prefix (8.3); then, within tiers 1-3, newest first
  (created_at, then id); within tier 4 by BM25 over the resumes (the oracle's own), equal
  scores newest first;
* a term of letters that matches nothing else matches profile words within one edit (4 to 7
  letters) or two (8 or more): such items come after all others and say "typo": true;
* a q that is a whole phone number, in any of the formats people type, puts its holder first
  (8.3, identifiers as typed), read here with phonenumbers itself;
* match.fields equals the oracle's fields, and the snippet is there exactly when the resume
  matched: at most 200 characters of the text, around the first matching word;
* paging with a random limit gives the same sequence as one page, without repeats;
* with a source, the same holds for that source's professionals.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

import phonenumbers

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import search_oracle as oracle
from tests import search_sync
from tests.search_api_helpers import GivenTexts, page_through, search, sync

NAMES = ["José", "JOSE", "jose", "Núñez", "Nunez", "Ørsted", "Straße", "STRASSE", "Müller",
         "Mueller", "Zoë", "Åsa", "Ana-María", "O'Brien", "Ada", "ADA", "Adam", "Adams",
         "Lovelace", "Love", "Пётр", "Ελένη", "東京", "राज", "Engineer"]
COMPANIES = ["Ørsted A/S", "Société Générale", "Acme", "ACME Corp.", "Nestlé", "Adamant Ltd",
             "Love & Co", "東京大学", "Pythonic"]
TITLES = ["Engineer", "Ingénieur", "Data Engineer", "Lovelace Fellow", "Jose's assistant",
          "Café owner"]
EMAIL_LOCALS = ["jose", "ada.love", "nunez", "orsted", "adam+cv", "love", "müller", "data"]
EMAIL_DOMAINS = ["example.com", "acme.org", "love.example.net"]
PHONES = ["+14155550123", "(415) 555-0142", "+442079460958", "+390612345678", "+33123456789",
          "+16505550199"]
RESUME_WORDS = ["python", "Python", "PYTHON", "jose", "José", "love", "lovelace", "engineer",
                "data", "Zürich", "café", "東京", "ada", "straße", "and", "the", "x", "réseau"]
SOURCES = ["direct", "partner", "internal"]
QUERY_WORDS = (NAMES + [w for c in COMPANIES + TITLES for w in c.split()] + EMAIL_LOCALS
               + ["example", "org", "4155550123", "14155550142", "2079460958", "0612345678",
                  "33123", "650555", "dat", "pyth", "zurich", "cafe", "reseau", "strasse"]
               + RESUME_WORDS)


@st.composite
def professionals(draw) -> list[dict[str, Any]]:
    count = draw(st.integers(2, 7))
    phones = draw(st.permutations(PHONES))
    people = []
    for i in range(count):
        person: dict[str, Any] = {
            "full_name": " ".join(draw(st.lists(st.sampled_from(NAMES), min_size=1,
                                                max_size=2))),
            "source": draw(st.sampled_from(SOURCES)),
        }
        if draw(st.integers(0, 9)) < 6:
            person["company_name"] = draw(st.sampled_from(COMPANIES))
        if draw(st.integers(0, 9)) < 6:
            person["job_title"] = draw(st.sampled_from(TITLES))
        with_phone = draw(st.booleans())
        if with_phone and i < len(phones):
            person["phone"] = phones[i]
        if "phone" not in person or draw(st.booleans()):
            local = draw(st.sampled_from(EMAIL_LOCALS))
            person["email"] = f"{local}{i}@{draw(st.sampled_from(EMAIL_DOMAINS))}"
        if draw(st.integers(0, 9)) < 4:
            words = draw(st.lists(st.sampled_from(RESUME_WORDS), min_size=1, max_size=12))
            gaps = draw(st.lists(st.sampled_from([" ", " ", "\n", ", ", ". ", "  "]),
                                 min_size=len(words), max_size=len(words)))
            person["resume"] = "".join(w + g for w, g in zip(words, gaps)).strip()
        people.append(person)
    return people


def _tokens(people: list[dict[str, Any]]) -> list[str]:
    """The words of the drawn professionals as written (not folded), so that most queries
    hit someone, often in several fields and tiers at once."""
    found = []
    for person in people:
        for name in ("full_name", "company_name", "job_title", "email", "resume"):
            value = person.get(name) or ""
            found += [value[a:b] for a, b in oracle.word_runs(value)]
    return sorted(set(found))


@st.composite
def queries(draw, people: list[dict[str, Any]]) -> str:
    """One to three words, mostly of one drawn professional (so that most queries match
    someone, and others through other fields and tiers), cut to a prefix half of the time,
    in another case or in decomposed form."""
    own = _tokens([draw(st.sampled_from(people))])
    everyone = _tokens(people)
    tokens = []
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 2, 3]))):
        pool = draw(st.sampled_from([own, own, own, everyone, QUERY_WORDS]))
        word = draw(st.sampled_from(pool))
        if len(word) > 2 and draw(st.booleans()):
            word = word[:draw(st.integers(2, len(word)))]
        word = draw(st.sampled_from([word, word, word.upper(), word.lower(), word.title(),
                                     unicodedata.normalize("NFD", word)]))
        tokens.append(word)
    phones = [p["phone"] for p in people if p.get("phone")]
    if phones and draw(st.integers(0, 7)) == 0:
        return _typed_phone(draw, draw(st.sampled_from(phones)))
    if draw(st.integers(0, 9)) == 0:
        tokens.insert(draw(st.integers(0, len(tokens))), draw(st.sampled_from(["a", "J.", "-"])))
    separators = draw(st.lists(st.sampled_from([" ", "  ", "-", ", ", "."]),
                               min_size=len(tokens), max_size=len(tokens)))
    return "".join(t + s for t, s in zip(tokens, separators))


def _typed_phone(draw, phone: str) -> str:
    """A phone as people type it: international or national format, other separators."""
    number = phonenumbers.parse(phone, "US")
    style = draw(st.sampled_from([phonenumbers.PhoneNumberFormat.E164,
                                  phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                                  phonenumbers.PhoneNumberFormat.NATIONAL]))
    text = phonenumbers.format_number(number, style)
    separator = draw(st.sampled_from([" ", "-", ".", " "]))
    return text.replace(" ", separator) if separator != " " else text


def _holder(q: str, records: dict[str, dict]) -> str | None:
    """Whose phone ``q`` is as a whole: read as international, else in the default region (US),
    then in the regions of the phones held, the first valid number someone holds."""
    held = {r["phone"]: pid for pid, r in records.items() if r.get("phone")}
    compact = re.sub(r"[\s\-.()]", "", q)
    if not re.fullmatch(r"\+?\d{7,20}", compact):
        return None
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    regions = sorted({phonenumbers.region_code_for_number(phonenumbers.parse(p)) for p in held})
    for region in ["US", *regions]:
        try:
            number = phonenumbers.parse(compact, region)
        except phonenumbers.NumberParseException:
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if phonenumbers.is_valid_number(number) and e164 in held:
            return held[e164]
    return None


def _list_key(record: dict[str, Any]) -> tuple[str, str]:
    return record["created_at"], record["id"]


def _check_order(items: list[dict[str, Any]], records: dict[str, dict], terms: list[str],
                 words: dict[str, dict]) -> None:
    ranks = [(typo, t, typo or not oracle.exact(terms, words[i["id"]], t))
             for i in items for typo, t in [oracle.rank(terms, words[i["id"]])]]
    assert ranks == sorted(ranks), ranks
    for a, b, rank in zip(items, items[1:], ranks):
        ra, rb = records[a["id"]], records[b["id"]]
        if rank != ranks[items.index(b)]:
            continue
        if rank[1] < 4:
            assert _list_key(ra) > _list_key(rb), (terms, ra["full_name"], rb["full_name"])
    resumes = {pid: r["resume_text"] for pid, r in records.items()
               if r.get("resume_text") and oracle.words(r["resume_text"])}
    for rank in {r for r in ranks if r[1] == 4}:
        _check_resume_order([records[i["id"]] for i, r in zip(items, ranks) if r == rank], terms,
                            resumes)


def _check_resume_order(fourth: list[dict[str, Any]], terms: list[str],
                        resumes: dict[str, str]) -> None:
    """Within tier 4, BM25 over every resume indexed, best first (8.3); equal scores newest
    first. The service keeps scores to a millionth: closer ones may come either way."""
    scores = oracle.bm25(terms, resumes)
    for ra, rb in zip(fourth, fourth[1:]):
        sa, sb = scores[ra["id"]], scores[rb["id"]]
        assert sa >= sb - 1e-5, (terms, ra["resume_text"], sa, rb["resume_text"], sb)
        if sa == sb:
            assert _list_key(ra) > _list_key(rb), (terms, ra["resume_text"])


def _check_match(item: dict[str, Any], record: dict[str, Any], terms: list[str],
                 words: dict[str, list[str]]) -> None:
    typo, _ = oracle.rank(terms, words)
    assert item["match"].get("typo", False) is typo, (terms, record, item["match"])
    expected = (oracle.typo_matched_fields if typo else oracle.matched_fields)(terms, words)
    assert set(item["match"]["fields"]) == expected, (terms, record, item["match"])
    assert len(item["match"]["fields"]) == len(expected)
    snippet = item["match"]["snippet"]
    if "resume" not in expected:
        assert snippet is None, item["match"]
        return
    text = record["resume_text"]
    word = oracle.first_matching_word(text, terms)
    assert snippet is not None and len(snippet) <= 200 and word in snippet, (terms, snippet)
    piece = oracle.collapse(snippet.removeprefix("…").removesuffix("…"))
    assert piece in oracle.collapse(text), (snippet, text)


def _check_query(api, q: str, source: str | None, limit: int,
                 records: dict[str, dict], words: dict[str, dict]) -> None:
    terms = oracle.terms(q)
    if not terms:
        response = search(api, q)
        assert response.status_code == 400, (q, response.json)
        assert "q" in response.json["error"]["details"]["fields"]
        return
    expected = {pid for pid, record in records.items()
                if oracle.rank(terms, words[pid]) is not None
                and source in (None, record["source"])}
    holder = _holder(q, records)
    if holder and source not in (None, records[holder]["source"]):
        holder = None
    one_page = search(api, q, limit=100, source=source)
    assert one_page.status_code == 200, (q, one_page.json)
    items = one_page.json["items"]
    got = [i["id"] for i in items]
    if holder:
        assert got[:1] == [holder], (q, got)
        assert items[0]["match"]["fields"] == ["phone"], items[0]["match"]
        expected.add(holder)
        items = items[1:]
    assert set(got) == expected and len(got) == len(expected), (
        q, terms, source, sorted(records[i]["full_name"] for i in set(got) ^ expected))
    _check_order(items, records, terms, words)
    for item in items:
        _check_match(item, records[item["id"]], terms, words[item["id"]])
        assert {k: v for k, v in item.items() if k != "match"} == \
            {k: v for k, v in records[item["id"]].items() if k != "resume_text"}
    assert [i["id"] for i in page_through(api, q, limit=limit, source=source)] == got


def fresh_tables(api) -> None:
    """Both tables empty again, as in a new store (moto copies every table on each transaction,
    so tables that keep growing across examples make each write slower)."""
    from chalicelib import auth, clients, db
    from infra import resources
    from chalicelib.settings import get_settings
    settings = get_settings()
    for name in (settings.table_name, settings.search_table_name):
        clients.dynamodb().delete_table(TableName=name)
    resources.create_app_tables()
    search_sync.forget()
    api.keys["staff"], _ = auth.create_key("staff", "ops")


def test_search_equals_the_contracts_rule_over_the_table(api, monkeypatch):
    texts = GivenTexts(monkeypatch)
    live: list[str] = []

    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(people=professionals(), data=st.data(),
           source=st.one_of(st.none(), st.none(), st.sampled_from(SOURCES)),
           limit=st.integers(1, 6))
    def property_holds(people, data, source, limit):
        fresh_tables(api)
        live.clear()
        for person in people:
            body = {k: v for k, v in person.items() if k != "resume"}
            response = api.call("POST", "/professionals", body=body)
            assert response.status_code == 201, (body, response.json)
            live.append(response.json["id"])
            if "resume" in person:
                texts.attach(api, response.json["id"], person["resume"])
        sync()
        records = {pid: api.call("GET", f"/professionals/{pid}").json for pid in live}
        words = {pid: oracle.field_words(record) for pid, record in records.items()}
        for q in data.draw(st.lists(queries(people), min_size=1, max_size=4)):
            _check_query(api, q, source, limit, records, words)

    property_holds()
