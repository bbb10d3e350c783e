"""Search as staff type it (contract 8.3) over the API (moto in-process): whole phone numbers and
emails as typed, trailing phone digits, exact words first, inner punctuation and technology
words, resume words by stem, the filters, the term limit, and paging that follows q's plan."""
from __future__ import annotations

import pytest

from chalicelib.models import ProfessionalItem, professional_pk
from chalicelib import db
from tests.search_api_helpers import GivenTexts, create, found, page_through, search, sync
from tests.test_professionals_api import assert_error
from tests.test_search_api import assert_q_error, ids, only_item


# -- identifiers as typed ----------------------------------------------------------------------

def test_a_whole_phone_as_typed_puts_its_holder_above_every_tier(api):
    holder = create(api, "Quiet Person", phone="+1 404 831 6195")
    # "404" starts the names of these two: tier 1, above the holder's tier 3 by the word rule
    create(api, "404 Club")
    create(api, "Band 404")
    sync()
    for q in ("(404) 831-6195", "404.831.6195", "404-831-6195", "+1 404 831 6195",
              "001 404 831 6195", "4048316195"):
        got = found(api, q)
        assert got[:1] == ids(holder), q
        assert got.count(holder["id"]) == 1, q
    item = search(api, "(404) 831-6195").json["items"][0]
    assert item["match"] == {"fields": ["phone"], "snippet": None}


def test_a_national_number_of_another_country_is_read_in_the_regions_held(api):
    london = create(api, "London Person", phone="+44 20 7946 0958")
    create(api, "Someone Else", phone="+1 650 555 0199")
    sync()
    assert found(api, "020 7946 0958") == ids(london)
    assert found(api, "(020) 7946-0958") == ids(london)


def test_a_whole_email_puts_its_owner_first_and_pages_do_not_repeat_them(api):
    # "ada example com" matches these in tier 3 by its words
    others = [create(api, f"Ada {n}", email=f"ada{n}@example.com") for n in range(3)]
    owner = create(api, "Countess", email="ada@example.com")
    sync()
    got = found(api, "ADA@Example.com")
    assert got[0] == owner["id"] and sorted(got[1:]) == sorted(ids(*others))
    for limit in (1, 2, 3):
        paged = [i["id"] for i in page_through(api, "ada@example.com", limit=limit)]
        assert paged == got, limit


def test_an_identifier_that_nobody_holds_is_searched_by_its_words(api):
    person = create(api, "Phone Words", phone="+1 415 555 0123")
    sync()
    assert found(api, "(404) 831-6195") == []
    assert found(api, "415") == ids(person)


def test_the_identified_holder_must_pass_the_source_filter(api):
    holder = create(api, "Holder", phone="+1 404 831 6195")
    sync()
    assert found(api, "(404) 831-6195", source=holder["source"]) == ids(holder)
    other = next(s for s in ("direct", "partner", "internal") if s != holder["source"])
    assert found(api, "(404) 831-6195", source=other) == []


# -- words --------------------------------------------------------------------------------------

def test_trailing_digits_of_a_phone_match_as_a_whole_run(api):
    person = create(api, "Digits", phone="+1 404 831 6195")
    sync()
    for q in ("6195", "8316195", "831-6195", "48316195"):
        assert found(api, q) == ids(person), q
    for q in ("831", "83161", "619"):
        assert found(api, q) == [], q


def test_exact_words_come_before_prefixes_within_a_tier(api):
    jose = create(api, "José Alvarez")
    joseph = create(api, "Joseph Brown")  # newer, but only a prefix of "jose"
    josefina = create(api, "Josefina Grey")
    sync()
    assert found(api, "jose") == ids(jose, josefina, joseph)
    assert found(api, "jose alvarez") == ids(jose)


def test_words_with_inner_punctuation_and_technology_names(api):
    obrien = create(api, "Seán O'Brien", job_title="C++ and C# developer")
    alfarsi = create(api, "Ali Al-Farsi", job_title=".NET and Node.js engineer")
    sync()
    for q in ("obrien", "o'brien", "brien", "O’Brien"):
        assert found(api, q) == ids(obrien), q
    for q in ("alfarsi", "al-farsi", "farsi"):
        assert found(api, q) == ids(alfarsi), q
    assert found(api, "c++") == ids(obrien)
    assert found(api, "c#") == ids(obrien)
    assert found(api, ".net") == ids(alfarsi)
    assert found(api, "node.js") == ids(alfarsi)
    assert found(api, "nodejs") == ids(alfarsi)


def test_resume_words_match_by_english_stem(api, monkeypatch):
    texts = GivenTexts(monkeypatch)
    person = create(api, "Stem Reader")
    texts.attach(api, person["id"], "Ten years of platform engineering and hiring engineers.")
    sync()
    for q in ("engineer", "engineers", "engineering", "engineered", "hire", "platforms"):
        item = only_item(api, q)
        assert item["match"]["fields"] == ["resume"], q
        assert item["match"]["snippet"].startswith("Ten years"), item["match"]


def test_more_than_eight_terms_is_refused(api):
    assert_q_error(search(api, "aa bb cc dd ee ff gg hh ii"))
    assert search(api, "aa bb cc dd ee ff gg hh").status_code == 200


# -- paging follows q's plan ----------------------------------------------------------------------

def test_pages_of_a_term_between_partition_lengths_skip_nobody(api):
    # "christi" (7 letters) is read from the partition of "christ": Christie's order there is
    # not its order for "christi" (the company's exact word would put it first)
    made = [create(api, "Christopher Z", company_name="Christie's"),
            create(api, "Christina Y"), create(api, "Christian X", job_title="Christi"),
            create(api, "Christine W"), create(api, "Other", company_name="Christie")]
    sync()
    whole = found(api, "christi")
    assert sorted(whole) == sorted(ids(*made))
    for limit in (1, 2, 3):
        assert [i["id"] for i in page_through(api, "christi", limit=limit)] == whole, limit


# -- filters ----------------------------------------------------------------------------------

def _verify(professional_id: str) -> None:
    """The owner opened their link (what POST /sessions does to the record)."""
    item = db.get(professional_pk(professional_id))
    item.update(actions=[ProfessionalItem.email_verified.set(True),
                         ProfessionalItem.version.add(1)])


def test_filters_narrow_a_search(api, monkeypatch):
    texts = GivenTexts(monkeypatch)
    plain = create(api, "Filter Plain", email="plain@example.com")
    reader = create(api, "Filter Reader", email="reader@example.com")
    texts.attach(api, reader["id"], "A resume.")
    verified = create(api, "Filter Verified", email="verified@example.com")
    _verify(verified["id"])
    sync()
    everyone = found(api, "filter")
    assert sorted(everyone) == sorted(ids(plain, reader, verified))
    assert found(api, "filter", has_resume="true") == ids(reader)
    assert sorted(found(api, "filter", has_resume="false")) == sorted(ids(plain, verified))
    assert found(api, "filter", email_verified="true") == ids(verified)
    assert found(api, "filter", email_verified="false", has_resume="false") == ids(plain)
    middle = reader["created_at"]
    assert found(api, "filter", created_from=middle) == ids(verified, reader)
    assert found(api, "filter", created_to=middle) == ids(plain)
    assert found(api, "filter", created_from="2000-01-01", created_to="2000-01-02") == []
    for limit in (1, 2):
        paged = page_through(api, "filter", limit=limit, has_resume="false")
        assert [i["id"] for i in paged] == found(api, "filter", has_resume="false")


def test_without_a_ready_resume_no_resume_list_is_read(api, monkeypatch):
    # every professional tier 4 could find has a ready resume: with has_resume=false its
    # lists would be read only to be kept out, until the page's budget ran out (a short empty
    # page with a cursor instead of "no match", seen in the SPA on a busy stack)
    from chalicelib.search import resume_rank
    texts = GivenTexts(monkeypatch)
    reader = create(api, "Filter Reader", email="reader@example.com")
    texts.attach(api, reader["id"], "Lovelace wrote the notes.")
    sync()
    assert found(api, "filter lovelace") == ids(reader)
    monkeypatch.setattr(resume_rank, "run", lambda *a, **k: pytest.fail("resume lists read"))
    answer = search(api, "filter lovelace", has_resume="false").json
    assert answer["items"] == [] and answer["next_cursor"] is None


@pytest.mark.parametrize("params,field", [
    ({"has_resume": "yes"}, "has_resume"), ({"email_verified": "1"}, "email_verified"),
    ({"created_from": "last week"}, "created_from"), ({"created_to": "2026-13-01"}, "created_to"),
])
def test_a_malformed_filter_is_a_400_naming_it(api, params, field):
    response = search(api, "ada", **params)
    assert_error(response, 400, "bad_request")
    assert field in response.json["error"]["details"]["fields"], response.json


def test_filters_need_q(api):
    response = api.call("GET", "/professionals?has_resume=true")
    assert_error(response, 400, "bad_request")
    assert "has_resume" in response.json["error"]["details"]["fields"]


def test_a_cursor_belongs_to_its_filters(api):
    for n in range(3):
        create(api, f"Cursor Person {n}")
    sync()
    first = search(api, "cursor", limit=1, has_resume="false").json
    assert first["next_cursor"]
    moved = search(api, "cursor", limit=1, cursor=first["next_cursor"])
    assert_error(moved, 400, "bad_request")


# -- typos ------------------------------------------------------------------------------------

def _typo(api, q: str) -> list[str]:
    return [i["id"] for i in search(api, q, limit=100).json["items"] if i["match"].get("typo")]


def test_a_typo_finds_whole_words_within_one_edit_below_every_other_match(api):
    prefix = create(api, "Alice Jonhart")  # "jonh" starts her name: no typo
    john = create(api, "John Smith")  # "jonh": neighbours swapped
    jon = create(api, "Jon Baker")  # one letter more in "jonh"
    create(api, "Joan Smithers")  # two edits from "jonh"
    sync()
    assert found(api, "jonh") == ids(prefix, jon, john)  # typo matches last, newest first
    assert _typo(api, "jonh") == ids(jon, john)
    item = search(api, "jonh").json["items"][1]
    assert item["match"] == {"fields": ["full_name"], "snippet": None, "typo": True}
    assert "typo" not in search(api, "jonh").json["items"][0]["match"]
    for limit in (1, 2):
        assert [i["id"] for i in page_through(api, "jonh", limit=limit)] == found(api, "jonh")
    assert found(api, "jonh smith") == ids(john)  # a typo and an exact word together
    assert _typo(api, "jonh smith") == ids(john)


def test_typos_compare_whole_words_reach_two_edits_from_eight_letters_and_need_letters(api):
    smithers = create(api, "Ann Smithers")
    engineer = create(api, "Grace Hopper", job_title="Engineer")
    sync()
    assert found(api, "smiht") == []  # within one edit of "smith", a prefix, not of "smithers"
    assert found(api, "smithres") == ids(smithers)  # 8 letters: two edits away
    assert _typo(api, "smithres") == ids(smithers)
    assert found(api, "enigneer") == ids(engineer)  # swapped neighbours: one edit
    assert found(api, "enigneex") == ids(engineer)  # two edits
    assert found(api, "engnr") == []  # 5 letters: one edit only, and "engineer" is three
    assert found(api, "hoppr") == ids(grace := engineer) and _typo(api, "hoppr") == ids(grace)
    assert found(api, "hopp3r") == []  # a term with a digit matches exactly or as a prefix


def test_a_typo_never_hides_an_exact_match_of_a_shorter_word(api):
    ann = create(api, "Ann Lee")
    anne = create(api, "Anne Lee")
    sync()
    # "anne" is a whole word of one and one edit from the other's "ann": exact first
    assert found(api, "anne") == ids(anne, ann)
    assert _typo(api, "anne") == ids(ann)


def test_nothing_found_suggests_a_q_corrected_against_profile_and_resume_words(api, monkeypatch):
    texts = GivenTexts(monkeypatch)
    reader = create(api, "Grace Hopper", job_title="Admiral")
    texts.attach(api, reader["id"], "Pioneered compilers and debugging at Harvard.")
    sync()
    # "hoppre" would match the name through a typo, but typos do not reach resume words, so
    # "compilres" matches nothing: both are corrected, one against each kind of word
    answer = search(api, "hoppre compilres").json
    assert answer["items"] == []
    assert answer["suggestion"] == "hopper compilers"
    assert search(api, "grace compilres").json["suggestion"] == "grace compilers"
    assert found(api, answer["suggestion"]) == ids(reader)
    assert search(api, "harvadr").json["suggestion"] == "harvard"
    assert search(api, "zzqxv").json["suggestion"] is None  # nothing near
    assert "suggestion" not in search(api, "grace").json  # something found: no suggestion
