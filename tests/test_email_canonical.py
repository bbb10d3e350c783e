"""One mailbox, one record (contract 8.1): every spelling of an address is one stored email.

The attacks of issue 18 first (three spellings became three professionals; a Latin/Cyrillic
look-alike was accepted), then each path that takes an email: create, PATCH, bulk (JSON and CSV),
the look-up, /access-links and search; the script rule; and the operator's migration of records
stored before the rule (``python -m infra emails canonicalize``). On moto in-process.
"""
from __future__ import annotations

import itertools
import json
import os
import re
import unicodedata
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib import clients, validation
from chalicelib.models import ProfessionalItem, professional_pk
from infra.__main__ import main as infra_main
from infra.verify import scan_all
from tests import mail_helpers, search_sync
from tests.invariants import assert_invariants
from tests.search_api_helpers import found
from tests.test_professionals_api import assert_error

CANONICAL = "jos\u00e9@b\u00fccher.example"  # josé@bücher.example, composed (NFC)
NFD = unicodedata.normalize("NFD", CANONICAL)
A_LABEL = "JOS\u00c9@xn--bcher-kva.example"
U_LABEL_UPPER = "JOS\u00c9@B\u00dcCHER.EXAMPLE"
SPELLINGS = [CANONICAL, NFD, A_LABEL, U_LABEL_UPPER, unicodedata.normalize("NFD", U_LABEL_UPPER),
             "  Jos\u00e9@xn--BCHER-KVA.example "]
LOOK_ALIKE = "p\u0430ypal@example.com"  # the second letter is CYRILLIC SMALL LETTER A
_serial = itertools.count(1)


def create(api, email, who="staff", **fields):
    body = {"full_name": "Jos\u00e9", "email": email, **fields}
    if who is None:
        body["consent"] = True
    return api.call("POST", "/professionals", who=who, body=body)


# -- the attacks, as issue 18 reports them ----------------------------------------------------

def test_attack_three_spellings_of_one_mailbox_are_one_professional(api):
    first = create(api, CANONICAL)
    assert first.status_code == 201, first.json
    for spelling in (NFD, A_LABEL):
        again = create(api, spelling)
        assert_error(again, 409, "conflict")
        assert again.json["error"]["details"]["conflicts"] == [
            {"field": "email", "id": first.json["id"]}]
    assert len(api.call("GET", "/professionals").json["items"]) == 1


def test_attack_a_latin_cyrillic_look_alike_is_refused(api):
    response = create(api, LOOK_ALIKE, who=None)
    assert_error(response, 400, "validation_error")
    assert list(response.json["error"]["details"]["fields"]) == ["email"]


# -- the canonical form -------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_has_one_canonical_form(spelling):
    assert validation.normalise_email(spelling) == CANONICAL


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12),
       st.sampled_from(["example.com", "B\u00dcCHER.example", "xn--bcher-kva.example",
                        "\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444"]))
@settings(max_examples=300, deadline=None)
def test_the_canonical_form_is_its_own_canonical_form(local, domain):
    try:
        once = validation.normalise_email(f"{local}@{domain}")
    except ValueError:
        return
    assert validation.normalise_email(once) == once
    assert once == unicodedata.normalize("NFC", once) and once == unicodedata.normalize(
        "NFC", once.lower())
    assert "xn--" not in once


@pytest.mark.parametrize("email", [
    "\u0438\u0432\u0430\u043d@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444",  # иван@пример.рф
    "\u03b4\u03bf\u03ba\u03b9\u03bc\u03ae@\u03c0\u03b1\u03c1\u03ac\u03b4\u03b5\u03b9\u03b3\u03bc"
    "\u03b1.\u03b4\u03bf\u03ba\u03b9\u03bc\u03ae",  # δοκιμή@παράδειγμα.δοκιμή
    "\u5c71\u7530\u305f\u308d\u3046@\u4f8b\u3048.jp",  # 山田たろう@例え.jp: Han + Hiragana
    "yamada\u30bf\u30ed\u30a6@example.jp",  # Latin + Katakana
    "\u30e1\u30fc\u30eb@example.jp",  # メール: the prolonged sound mark ー
    "taro\u5c71\u7530@\u30c6\u30b9\u30c8.jp",  # Latin + Han; a Katakana label
    "\u3105\u4e2d\u6587@example.tw",  # Bopomofo + Han
    "\ud64d\uae38\ub3d9kim@\uc608\uc2dc.kr",  # Hangul + Latin
    "\u0438\u0432\u0430\u043d-2024.\u044e@\u043f\u0440\u0438\u043c\u0435\u0440.com",  # digits, dots
    "hawai\u02bbi@example.com",  # the okina: a letter of no script
    "\u0430\u0434\u0430@example.com",  # Cyrillic local part, Latin domain: each part one script
])
def test_one_script_per_part_and_east_asian_mixes_are_accepted(api, email):
    response = create(api, email)
    assert response.status_code == 201, response.json
    assert response.json["email"] == validation.normalise_email(email)


@pytest.mark.parametrize("email, where", [
    (LOOK_ALIKE, "before the @-sign"),
    ("paypal@ex\u0430mple.com", "'ex\u0430mple'"),  # Cyrillic а in a domain label
    ("paypal@xn--pypal-4ve.com", "'p\u0430ypal'"),  # the same, typed as its A-label
    ("p\u03bfst@example.com", "before the @-sign"),  # Greek omicron
    ("post@ex\u03b1mple.com", "'ex\u03b1mple'"),  # Greek alpha in a domain label
    ("\ud64d\u30bf@example.kr", "before the @-sign"),  # Hangul with Katakana: not one language
    ("\U0001d41aa@example.com", "before the @-sign"),  # a mathematical bold a
])
def test_mixed_scripts_are_a_validation_error_on_email(api, email, where):
    response = create(api, email, who=None)
    assert_error(response, 400, "validation_error")
    [message] = response.json["error"]["details"]["fields"]["email"]
    assert "mixes letters of different scripts" in message and where in message, message
    assert api.call("GET", "/professionals").json["items"] == []


def test_length_limits_still_hold():
    with pytest.raises(ValueError, match="at most 254"):
        validation.normalise_email("a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".com")
    # an NFD spelling is measured by its NFC form: ᾂ (alpha with three marks) is four code
    # points decomposed, so this valid address is 271 characters long in NFD
    composed = "\u1f82" * 21 + "@" + ".".join(["b" * 60, "c" * 60, "d" * 60]) + ".com"
    assert len(composed) <= 254 < len(unicodedata.normalize("NFD", composed))
    assert validation.normalise_email(unicodedata.normalize("NFD", composed)) == composed
    with pytest.raises(ValueError, match="at most 254"):
        validation.normalise_email("a" * 2000 + "@example.com")


# -- every path that takes an email ---------------------------------------------------------------

@pytest.mark.parametrize("who", ["staff", None])
def test_create_with_any_spelling_of_a_taken_address_is_409(api, who):
    first = create(api, CANONICAL, who=who)
    assert first.status_code == 201 and first.json["email"] == CANONICAL
    for spelling in SPELLINGS:
        assert_error(create(api, spelling, who=who), 409, "conflict")
    assert len(api.call("GET", "/professionals").json["items"]) == 1
    assert_invariants()


def test_create_stores_the_canonical_form_of_whatever_was_typed(api):
    response = create(api, A_LABEL)
    assert response.status_code == 201
    assert response.json["email"] == CANONICAL
    assert api.call("GET", f"/professionals/{response.json['id']}").json["email"] == CANONICAL
    assert_invariants()


def test_patch_to_any_spelling_of_another_persons_address_is_409(api):
    jose = create(api, CANONICAL).json
    other = create(api, "other@example.com").json
    for spelling in SPELLINGS:
        response = api.call("PATCH", f"/professionals/{other['id']}", body={"email": spelling})
        assert_error(response, 409, "conflict")
        assert response.json["error"]["details"]["conflicts"] == [
            {"field": "email", "id": jose["id"]}]
    # the person's own address in another spelling is no change at all
    same = api.call("PATCH", f"/professionals/{jose['id']}", body={"email": A_LABEL})
    assert same.status_code == 200
    assert (same.json["email"], same.json["updated_at"]) == (CANONICAL, jose["updated_at"])
    assert_invariants()


def test_bulk_rows_in_any_spelling_update_the_one_person(api):
    jose = create(api, CANONICAL).json
    rows = [{"email": spelling, "job_title": f"Title {i}"} for i, spelling in enumerate(SPELLINGS)]
    answer = api.call("POST", "/professionals/bulk", body=rows)
    assert answer.status_code == 207, answer.json
    assert [(r["status"], r["id"]) for r in answer.json["results"]] == [
        ("updated", jose["id"])] * len(SPELLINGS)
    csv = "email,job_title\n" + "".join(f"{s.strip()},CSV {i}\n" for i, s in enumerate(SPELLINGS))
    answer = api.call("POST", "/professionals/bulk", raw=csv.encode(),
                      headers={"Content-Type": "text/csv"})
    assert [(r["status"], r["id"]) for r in answer.json["results"]] == [
        ("updated", jose["id"])] * len(SPELLINGS)
    items = api.call("GET", "/professionals").json["items"]
    assert [(i["id"], i["email"], i["job_title"]) for i in items] == [
        (jose["id"], CANONICAL, f"CSV {len(SPELLINGS) - 1}")]
    assert_invariants()


def test_bulk_creates_once_from_two_spellings_in_one_request(api):
    rows = [{"full_name": "Jos\u00e9", "email": NFD}, {"email": A_LABEL, "job_title": "Chef"}]
    answer = api.call("POST", "/professionals/bulk", body=rows).json
    assert [r["status"] for r in answer["results"]] == ["created", "updated"]
    assert answer["results"][0]["id"] == answer["results"][1]["id"]
    items = api.call("GET", "/professionals").json["items"]
    assert [(i["email"], i["job_title"]) for i in items] == [(CANONICAL, "Chef")]
    assert_invariants()


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_look_up_finds_the_person_from_any_spelling(api, spelling):
    jose = create(api, CANONICAL).json
    response = api.call("GET", "/professionals?" + urlencode({"email": spelling}))
    assert response.status_code == 200, response.json
    assert [i["id"] for i in response.json["items"]] == [jose["id"]]


def test_look_up_of_a_mixed_script_address_is_400(api):
    response = api.call("GET", "/professionals?" + urlencode({"email": LOOK_ALIKE}))
    assert_error(response, 400, "bad_request")
    assert "email" in response.json["error"]["details"]["fields"]


def queued_mail() -> list[dict]:
    events = []
    while batch := mail_helpers.receive():
        for record in batch:
            events.append(json.loads(record["body"]))
            clients.sqs().delete_message(QueueUrl=os.environ["MAIL_QUEUE_URL"],
                                         ReceiptHandle=record["receiptHandle"])
    return events


def test_access_links_name_the_canonical_address(api):
    create(api, CANONICAL)
    for spelling in SPELLINGS:
        response = api.call("POST", "/access-links", who=None, body={"email": spelling})
        assert (response.status_code, response.json) == (202, {"status": "sent"})
    events = queued_mail()
    assert [(e["kind"], e["email"]) for e in events] == [
        ("access_link", CANONICAL)] * len(SPELLINGS)
    refused = api.call("POST", "/access-links", who=None, body={"email": LOOK_ALIKE})
    assert_error(refused, 400, "validation_error")
    assert queued_mail() == []


def test_a_sign_up_with_a_u_label_domain_is_mailed_at_the_ascii_domain(api):
    response = create(api, "Ada@B\u00dcCHER.example", who=None)
    assert response.status_code == 201 and response.json["email"] == "ada@b\u00fccher.example"
    assert mail_helpers.deliver(api.client) == []
    [mail] = mail_helpers.sent()
    assert mail.to == ["ada@xn--bcher-kva.example"]


def test_search_by_any_spelling_of_a_whole_address_finds_the_person(api):
    jose = create(api, CANONICAL).json
    create(api, "jose@example.com")  # shares the words "jose" and "example"
    search_sync.sync_search_index()
    for spelling in SPELLINGS:
        assert found(api, spelling) == [jose["id"]], spelling
    assert len(found(api, "jos\u00e9")) == 2  # not a whole address: searched as typed
    assert found(api, "bcher") == []  # the A-label's words are not indexed
    # a q that is no valid address (two scripts) is searched as typed, not refused
    assert found(api, "p\u0430ypal@example.com") == []


# -- the migration of records stored before the rule --------------------------------------------

def store_old_spelling(api, email: str, *, verified: bool = False) -> str:
    """A professional whose email was stored by the code before the rule (trimmed, lower-cased,
    nothing more): created through the API, then re-spelt in the table with its guard."""
    from chalicelib import db
    from chalicelib.professionals import copy_item, guard_moves
    created = create(api, f"placeholder{next(_serial)}@example.com").json
    item = db.get(professional_pk(created["id"]))
    old = copy_item(item)
    item.email, item.email_verified, item.version = email.strip().lower(), verified, 2
    db.transact([db.Action("put", item), *guard_moves(old, item)])
    return created["id"]


def stored(professional_id: str) -> ProfessionalItem:
    from chalicelib import db
    return db.get(professional_pk(professional_id))


def table_snapshot() -> list[dict]:
    return sorted((item.serialize() for item in scan_all()), key=lambda raw: raw["pk"]["S"])


def reported(lines: list[str]) -> list[tuple[str, str]]:
    """(what, whom) of each line but the summary: a record's id, or a collision's email."""
    found = [re.match(r"(would change|changed|collision|invalid|skipped) +(\S+?):? ", line)
             for line in lines[:-1]]
    assert all(found), lines
    return sorted(m.groups() for m in found)


def canonicalize(capsys, *args: str) -> tuple[int, list[str]]:
    status = infra_main(["emails", "canonicalize", *args])
    return status, capsys.readouterr().out.splitlines()


def test_canonicalize_rewrites_old_spellings_and_reports_collisions(api, capsys):
    ana_nfd = unicodedata.normalize("NFD", "ana@b\u00fccher.example")
    ana = store_old_spelling(api, ana_nfd, verified=True)
    zoe = store_old_spelling(api, "zo\u00eb@xn--bcher-kva.example")
    jose = create(api, CANONICAL).json["id"]
    jose_a_label = store_old_spelling(api, A_LABEL)  # collides with jose
    emile_nfd = store_old_spelling(api, unicodedata.normalize("NFD", "\u00e9mile@b\u00fccher.de"))
    emile_a_label = store_old_spelling(api, "\u00e9mile@xn--bcher-kva.de")  # collides with it
    look_alike = store_old_spelling(api, LOOK_ALIKE)
    ada = create(api, "ada@example.com").json["id"]
    assert_invariants()
    assert api.call("GET", "/professionals?" + urlencode({"email": ana_nfd})).json["items"] == []

    before = table_snapshot()
    status, lines = canonicalize(capsys, "--dry-run")
    assert status == 1
    assert table_snapshot() == before  # a dry run writes nothing
    assert reported(lines) == sorted([
        ("would change", ana), ("would change", zoe), ("invalid", look_alike),
        ("collision", CANONICAL), ("collision", "\u00e9mile@b\u00fccher.de")])
    collisions = {line.split()[1]: line for line in lines if line.startswith("collision")}
    for professional_id in (jose, jose_a_label):
        assert professional_id in collisions[CANONICAL]
    assert ascii(A_LABEL.lower()) in collisions[CANONICAL]  # both stored spellings, escaped
    for professional_id in (emile_nfd, emile_a_label):
        assert professional_id in collisions["\u00e9mile@b\u00fccher.de"]
    assert lines[-1].startswith("2 would change, 2 collision(s), 1 invalid, 0 skipped, 2 "
                                "already canonical")

    status, lines = canonicalize(capsys)
    assert status == 1  # the collisions and the invalid address remain
    assert lines[-1].startswith("2 changed, 2 collision(s), 1 invalid")
    assert (stored(ana).email, stored(ana).email_verified, stored(ana).version) == (
        "ana@b\u00fccher.example", True, 3)  # same mailbox: still verified
    assert (stored(zoe).email, stored(zoe).email_verified) == ("zo\u00eb@b\u00fccher.example",
                                                                False)
    assert stored(jose_a_label).email == A_LABEL.lower()  # nothing merged or changed
    assert stored(emile_nfd).version == 2 and stored(look_alike).email == LOOK_ALIKE
    assert stored(ada).version == 1
    assert_invariants()  # every guard moved with its record
    for spelling in (ana_nfd, "ANA@xn--bcher-kva.example"):
        look_up = api.call("GET", "/professionals?" + urlencode({"email": spelling}))
        assert [i["id"] for i in look_up.json["items"]] == [ana]
    assert create(api, ana_nfd).status_code == 409
    search_sync.sync_search_index()  # the index follows the rewritten record
    assert found(api, "ANA@xn--bcher-kva.example") == [ana]

    after = table_snapshot()
    status, lines = canonicalize(capsys)  # idempotent: nothing more to change
    assert status == 1 and table_snapshot() == after
    assert not any(line.startswith("changed") for line in lines)
    assert lines[-1].startswith("0 changed, 2 collision(s), 1 invalid, 0 skipped, 4 already")

    for professional_id in (jose_a_label, emile_a_label, look_alike):  # the operator decides
        assert api.call("DELETE", f"/professionals/{professional_id}").status_code == 204
    status, lines = canonicalize(capsys)
    assert status == 0
    assert reported(lines) == [("changed", emile_nfd)]
    assert stored(emile_nfd).email == "\u00e9mile@b\u00fccher.de"
    assert_invariants()


def test_canonicalize_reports_an_address_taken_while_it_ran(api, capsys, monkeypatch):
    from infra import emails
    jose = create(api, CANONICAL).json["id"]
    late = store_old_spelling(api, A_LABEL)
    monkeypatch.setattr(emails, "_guard_owner", lambda email: None)  # looked before jose came
    before = table_snapshot()
    status, lines = canonicalize(capsys)
    assert status == 1 and table_snapshot() == before
    assert lines[0].startswith("collision") and jose in lines[0] and late in lines[0]
    assert_invariants()
