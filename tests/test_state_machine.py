"""A Hypothesis state machine over the HTTP API: create, PATCH, DELETE and bulk upserts, checked
step by step against a plain-Python model written straight from the contract (section 3).

Every request goes through chalice.test.Client (the ``api`` fixture), mostly as staff, sometimes
as one of the two partners or anonymously. E-mails and phones come from a deliberately small
pool (5 e-mails in several cases, 5 US numbers in several formats, and a few invalid values), and
some sign-ups, PATCH bodies and bulk rows are built from what the model holds (another person's
e-mail, one person's e-mail with another's phone, a row repeating a record), so requests collide
all the time: taken values, values freed by a delete or moved by a PATCH, bulk rows matching by
e-mail or by phone, rows naming two people, partners touching records they did not create.

The model knows the normalised form of every pool value by construction (it never calls the
app's validation code) and predicts, for each request, the status, the error code, the fields a
validation error names, the conflicting fields and (for staff) their holders' ids, and the records
afterwards. After every step:

* ``assert_invariants()``: every guard points at its holder and back, nobody lacks both contacts;
* after every step that tried a write (even one refused): the list
  (``GET /professionals?limit=100``) holds exactly the model's live people with the model's
  fields, newest first, e-mails and phones unique; ``updated_at`` stays put unless the model
  wrote the record, and never goes back;
* ``GET /professionals/{id}`` of every id the step wrote, deleted or read answers what the model
  says (404 once deleted);
* ``?email=`` / ``?phone=`` look-ups (in another spelling) of every value a record held before
  the step changed or deleted it find exactly the model's holder now, or nobody; a ``query``
  rule looks up any spelling, both values at once, and lists by source.

Each example starts from an empty table: the ``store`` fixture is per test function, so the
machine deletes every professional and guard (the API keys stay) when it starts, as
tests/test_bulk_properties.py does per example.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable
from urllib.parse import urlencode

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (Bundle, RuleBasedStateMachine, invariant, multiple, rule,
                                 run_state_machine_as_test)

from chalicelib import db
from chalicelib.models import GuardItem, ProfessionalItem
from infra.verify import scan_all
from tests.invariants import assert_invariants

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

# -- the value pools, with the normalised form of every spelling written out by hand -----------

EMAILS = {
    "ada@example.com": ["ada@example.com", "ADA@Example.com", "  Ada@EXAMPLE.COM "],
    "grace@example.com": ["grace@example.com", "Grace@Example.COM"],
    "alan@example.com": ["alan@example.com", "ALAN@example.com "],
    "linus@example.com": ["linus@example.com", "Linus@Example.com"],
    "edsger@example.com": ["edsger@example.com", "EDSGER@EXAMPLE.COM"],
}
PHONES = {
    "+14155550101": ["(415) 555-0101", "+1 415 555 0101", "415.555.0101"],
    "+14155550102": ["4155550102", "+1 (415) 555-0102"],
    "+14155550103": ["(415) 555-0103", "+14155550103"],
    "+14155550104": ["415-555-0104", "+1-415-555-0104"],
    "+14155550105": ["1 415 555 0105", "(415)555-0105"],
}
SPELLINGS = {"email": EMAILS, "phone": PHONES}
CANONICAL = {name: {spelling: canonical for canonical, group in groups.items()
                    for spelling in group} for name, groups in SPELLINGS.items()}
BAD = {"email": ["not-an-email", "ada@", "@example.com"],
       "phone": ["123", "+1 415 555", "555-0199"]}
NAMES = ["Ada Lovelace", "Grace Hopper", "  Alan Turing  "]
TITLES = ["Engineer", "Admiral", " Countess "]
COMPANIES = ["Analytical Engines", "Bletchley Park"]
SOURCES = ("direct", "partner", "internal")
TOO_LONG = "x" * 201  # optional text is at most 200 characters
BLANKS = ["", "   "]

WRITABLE = ("full_name", "email", "phone", "company_name", "job_title", "source")
RESOURCE_KEYS = {"id", "created_at", "updated_at", "resume", "email_verified", "consent", *WRITABLE}
MISSING = "<missing>"  # a drawn key with this value is left out of the body
INVALID = object()  # the model's verdict on a value: a validation error names this field
ABSENT = object()  # in a bulk row: blank or null, the same as leaving the field out

# The `keys` fixture's callers: who -> the partner name behind the key (None: not a partner).
PARTNER_NAME = {"staff": None, "partner": "acme", "other_partner": "globex", None: None}


def _expect(name: str, raw: Any, *, bulk: bool) -> Any:
    """The stored value the contract makes of ``raw`` for field ``name``: a value, None (clear,
    in create/PATCH), ABSENT (blank or null in a bulk row) or INVALID."""
    if name not in WRITABLE:
        return INVALID  # unknown field: a validation_error naming it
    if raw is None:
        return ABSENT if bulk else None
    if not isinstance(raw, str):
        return INVALID
    if not raw.strip():
        return ABSENT if bulk else None  # an empty string means null (absent in bulk)
    if name in SPELLINGS:
        return INVALID if raw in BAD[name] else CANONICAL[name][raw]
    if name == "source":
        return raw if raw in SOURCES else INVALID
    return INVALID if len(raw.strip()) > 200 else raw.strip()


# -- strategies -------------------------------------------------------------------------------

def _one_in(n: int, rare: st.SearchStrategy, common: st.SearchStrategy) -> st.SearchStrategy:
    # The rare pick is a middle value: Hypothesis draws the ends of a range more often.
    return st.integers(0, n - 1).flatmap(lambda i: rare if i == n // 2 else common)


def _maybe(strategy: st.SearchStrategy, present_out_of_ten: int) -> st.SearchStrategy:
    return st.integers(0, 9).flatmap(
        lambda n: strategy if n < present_out_of_ten else st.just(MISSING))


spelling = {name: st.sampled_from(list(CANONICAL[name])) for name in SPELLINGS}
contact_value = {name: _one_in(8, st.sampled_from(BAD[name] + BLANKS + [None]), spelling[name])
                 for name in SPELLINGS}
# In a PATCH, clearing an e-mail or phone (null or blank) is common: allowed only while the
# other remains.
patch_contact_value = {name: _one_in(10, st.sampled_from(BAD[name]), st.one_of(
    st.sampled_from(BLANKS + [None]), spelling[name], spelling[name])) for name in SPELLINGS}
name_value = _one_in(10, st.sampled_from(BLANKS + [None]), st.sampled_from(NAMES))
title_value = _one_in(8, st.sampled_from(BLANKS + [None, TOO_LONG]), st.sampled_from(TITLES))
company_value = _one_in(6, st.sampled_from(BLANKS + [None]), st.sampled_from(COMPANIES))
source_value = _one_in(5, st.sampled_from(["bogus", "", None]), st.sampled_from(SOURCES))
# An anonymous sign-up needs "consent": true (partners and staff may send true, false or null).
consent_value = _one_in(8, st.sampled_from([False, None, "yes"]), st.just(True))
STAFF_MOSTLY = _one_in(6, st.sampled_from(["partner", None]), st.just("staff"))
unknown_field = st.sampled_from(["nickname", "id", "created_at", "resume_text"])


def _body(draw, parts: dict[str, tuple[st.SearchStrategy, int]]) -> dict[str, Any]:
    body = {name: draw(_maybe(strategy, weight)) for name, (strategy, weight) in parts.items()}
    body = {k: v for k, v in body.items() if v is not MISSING}
    if draw(st.integers(0, 19)) == 0:
        body[draw(unknown_field)] = "x"
    return body


@st.composite
def create_bodies(draw) -> dict[str, Any]:
    return _body(draw, {"full_name": (name_value, 9), "email": (contact_value["email"], 7),
                        "phone": (contact_value["phone"], 6), "company_name": (company_value, 3),
                        "job_title": (title_value, 4), "source": (source_value, 2),
                        "consent": (consent_value, 9)})


@st.composite
def patch_bodies(draw) -> dict[str, Any]:
    return _body(draw, {"full_name": (name_value, 2), "email": (patch_contact_value["email"], 4),
                        "phone": (patch_contact_value["phone"], 4),
                        "company_name": (company_value, 3),
                        "job_title": (title_value, 4), "source": (source_value, 2)})


@st.composite
def taking_bodies(draw, others: list[Person]) -> dict[str, Any]:
    """A PATCH body giving this person someone else's e-mail or phone (in another spelling)."""
    other = draw(st.sampled_from(others))
    held = [name for name in SPELLINGS if getattr(other, name)]
    name = draw(st.sampled_from(held))
    body = {name: draw(st.sampled_from(SPELLINGS[name][getattr(other, name)]))}
    if draw(st.booleans()):
        body["job_title"] = draw(st.sampled_from(TITLES))
    return body


@st.composite
def taken_create_bodies(draw, people: list[Person]) -> dict[str, Any]:
    """A sign-up with a held e-mail and/or phone (respelled), maybe of two different people."""
    body = {"full_name": draw(st.sampled_from(NAMES)), "consent": True}
    for name in SPELLINGS:
        holders = [p for p in people if getattr(p, name)]
        choice = draw(st.sampled_from(holders) | st.sampled_from(["fresh", "leave out"])
                      if holders else st.sampled_from(["fresh", "leave out"]))
        if choice == "fresh":
            body[name] = draw(spelling[name])
        elif choice != "leave out":
            body[name] = draw(st.sampled_from(SPELLINGS[name][getattr(choice, name)]))
    return body


@st.composite
def bulk_rows(draw) -> Any:
    """A row from the pools: mostly well-formed, about one in ten malformed."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([
            "not an object",
            {"full_name": NAMES[0], "job_title": TITLES[0]},  # neither e-mail nor phone
            {"full_name": NAMES[1], "email": " ", "phone": None},  # only blanks
            {"email": "ada@example.com", "job_title": 7},  # not a string
        ]))
    contacts = draw(st.sampled_from(["email", "phone", "both", "both"]))
    parts = {"full_name": (name_value, 9), "company_name": (company_value, 2),
             "job_title": (title_value, 5), "source": (source_value, 4)}
    for name in SPELLINGS:
        if contacts in (name, "both"):
            parts[name] = (_one_in(15, st.sampled_from(BAD[name]), spelling[name]), 10)
    return _body(draw, parts)


@st.composite
def echo_rows(draw, people: list[Person]) -> dict[str, Any]:
    """A row about someone the model holds: their e-mail and/or phone (respelled) and some of
    their fields as stored, one of them sometimes changed (-> unchanged or updated)."""
    person = draw(st.sampled_from(people))
    held = [name for name in SPELLINGS if getattr(person, name)]
    keys = draw(st.sampled_from([held, held[:1], held[-1:]]))
    row = {name: draw(st.sampled_from(SPELLINGS[name][getattr(person, name)])) for name in keys}
    for name in ("full_name", "company_name", "job_title", "source"):
        if getattr(person, name) is not None and draw(st.booleans()):
            row[name] = getattr(person, name)
    if draw(st.booleans()):
        row["job_title"] = draw(st.sampled_from(TITLES))
    return row


@st.composite
def crossed_rows(draw, people: list[Person]) -> dict[str, Any]:
    """One person's e-mail with another person's phone (-> conflict), when two such exist."""
    pairs = [(a, b) for a in people for b in people if a.id != b.id and a.email and b.phone]
    if not pairs:
        return draw(bulk_rows())
    a, b = draw(st.sampled_from(pairs))
    row = {"email": draw(st.sampled_from(EMAILS[a.email])),
           "phone": draw(st.sampled_from(PHONES[b.phone]))}
    if draw(st.booleans()):
        row["full_name"] = draw(st.sampled_from(NAMES))
    return row


# -- the model --------------------------------------------------------------------------------

@dataclass
class Person:
    id: str
    full_name: str
    email: str | None
    phone: str | None
    company_name: str | None
    job_title: str | None
    source: str
    partner: str | None  # the partner whose key created the record
    created_at: str | None = None  # None until the store has told us (bulk creates)
    updated_at: str | None = None
    written: bool = False  # written since updated_at was last seen: it may only move forward
    verified: bool = False  # email_verified: a mailed link proved the address it holds now
    generation: int = 0  # credential generation: tokens of another one open nothing

    def fields(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in ("id",) + WRITABLE}


@dataclass
class Expected:
    status: int
    code: str | None = None
    fields: set[str] | None = None  # details.fields keys of a validation_error (None: unchecked)
    conflicts: list[tuple[str, str | None]] = field(default_factory=list)  # (field, holder id)


def _holder(people: dict[str, Person], name: str, value: str) -> str | None:
    holders = [p.id for p in people.values() if getattr(p, name) == value]
    assert len(holders) <= 1, f"model broken: {name} {value} held by {holders}"
    return holders[0] if holders else None


def _taken(people: dict[str, Person], values: dict[str, Any],
           old: Person | None = None) -> list[tuple[str, str]]:
    """(field, holder) for each e-mail/phone in values that someone else holds already."""
    found = []
    for name in SPELLINGS:
        value = values.get(name)
        if value and (old is None or value != getattr(old, name)):
            holder = _holder(people, name, value)
            if holder:
                found.append((name, holder))
    return found


def _check_error(response, expected: Expected, who: str | None, what: str) -> None:
    body = response.json
    assert response.status_code == expected.status, (what, response.status_code, body)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    _check_error_object(body["error"], expected, who, what)


def _check_error_object(error: dict, expected: Expected, who: str | None, what: str,
                        resolve: Callable[[str, Any, str], None] | None = None) -> None:
    """``resolve(model_id, reported_id, what)`` asserts that a reported id is the model's."""
    assert error["code"] == expected.code, (what, error)
    assert isinstance(error["message"], str) and error["message"], (what, error)
    if expected.fields is not None:
        assert set(error["details"].get("fields", {})) == expected.fields, (what, error)
    if expected.code == "conflict":
        got = sorted(error["details"]["conflicts"], key=lambda c: c["field"])
        want = sorted(expected.conflicts)
        assert [c["field"] for c in got] == [f for f, _ in want], (what, error, want)
        for entry, (_, holder) in zip(got, want):
            if who == "staff":
                assert set(entry) == {"field", "id"}, (what, error)
                if resolve:
                    resolve(holder, entry["id"], what)
                else:
                    assert entry["id"] == holder, (what, error, holder)
            else:  # partners and anonymous callers never learn who holds a value
                assert set(entry) == {"field"}, (what, error)


class ApiStateMachine(RuleBasedStateMachine):
    """Bound to a test's ``api`` fixture by the test function below."""

    api: Any = None
    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        _empty_professionals()
        self.people: dict[str, Person] = {}  # live professionals
        self.deleted: set[str] = set()
        # id -> (access token, the generation it was issued in): of a sign-up or a session
        self.tokens: dict[str, tuple[str, int]] = {}
        self.links: list[dict[str, Any]] = []  # mailed links minted so far (open_link)
        self.to_read: set[str] = set()  # ids to GET after this step
        self.to_look_up: set[tuple[str, str]] = set()  # (field, canonical value) likewise
        self.wrote = True  # a write was tried in this step: list everyone after it

    # -- helpers --------------------------------------------------------------------------

    def call(self, method: str, path: str, who: str | None = "staff", body: Any = None):
        self.wrote |= method != "GET"
        response = self.api.call(method, path, who=who, body=body)
        assert b"Traceback" not in (response.body or b""), response.body
        return response

    def reaches(self, who: str, pid: str) -> bool:
        """Staff reach every live record; a partner only those it created (docs/api.md, Partners):
        anyone else's is a 404 to it, as a missing one."""
        person = self.people.get(pid)
        return person is not None and PARTNER_NAME[who] in (None, person.partner)

    def touched(self, before: Person | None, after: Person | None) -> None:
        """A record changed, appeared or went: read it after the step, and look up the values
        it held (the look-up must now find their new holder, or nobody)."""
        self.to_read.add((before or after).id)
        if before:
            self.to_look_up |= {(n, getattr(before, n)) for n in SPELLINGS if getattr(before, n)}

    def check_resource(self, got: dict, person: Person, what: str) -> None:
        assert {k: got.get(k) for k in person.fields()} == person.fields(), (what, got, person)
        assert got["resume"] is None, (what, got)
        assert got["email_verified"] is person.verified, (what, got, person)
        assert TIMESTAMP.match(got["created_at"]) and TIMESTAMP.match(got["updated_at"]), got
        assert got["updated_at"] >= got["created_at"], (what, got)
        if person.created_at is not None:
            assert got["created_at"] == person.created_at, (what, got, person)
        if person.updated_at is not None:
            if person.written:
                assert got["updated_at"] >= person.updated_at, (what, got, person)
            else:  # nothing was written: updated_at stays
                assert got["updated_at"] == person.updated_at, (what, got, person)

    @staticmethod
    def learn_times(got: dict, person: Person) -> None:
        person.created_at, person.updated_at = got["created_at"], got["updated_at"]
        person.written = False

    # -- POST /professionals ----------------------------------------------------------------

    def expect_create(self, who: str | None, body: dict) -> tuple[Expected, dict]:
        if who is None and body.get("source") in SOURCES and body["source"] != "direct":
            return Expected(403, "forbidden"), {}  # the role check comes before validation
        if PARTNER_NAME[who]:
            body = {k: v for k, v in body.items() if k != "source"}  # partners' are "partner"
        consent = body.get("consent", MISSING)
        values = {k: _expect(k, v, bulk=False) for k, v in body.items() if k != "consent"}
        bad = {k for k, v in values.items() if v is INVALID}
        if consent is not True and (who is None or consent not in (False, None, MISSING)):
            bad.add("consent")  # anonymous: true only; keys: true, false or null
        if values.get("full_name") is None and "full_name" not in bad:
            bad.add("full_name")
        if values.get("email") is None and values.get("phone") is None \
                and not {"email", "phone"} & bad:
            bad |= {"email", "phone"}
        if who is None and values.get("email") is None and "email" not in bad:
            bad.add("email")  # an anonymous sign-up needs an email (a link is mailed to it)
        if bad:
            return Expected(400, "validation_error", bad), values
        taken = _taken(self.people, values)
        if taken:
            return Expected(409, "conflict", conflicts=taken), values
        return Expected(201), values

    CREATORS = st.sampled_from([None, "staff", "partner", "staff", "other_partner"])

    @rule(target=ids, who=CREATORS, body=create_bodies())
    def create(self, who, body):
        return self.do_create(who, body)

    @rule(target=ids, who=CREATORS, data=st.data())
    def create_taken(self, who, data):
        """A sign-up with e-mails and phones people hold (mostly a 409)."""
        people = list(self.people.values())  # in creation order: ids differ on replay
        return self.do_create(who, data.draw(taken_create_bodies(people), label="body"))

    def do_create(self, who: str | None, body: dict):
        expected, values = self.expect_create(who, body)
        response = self.call("POST", "/professionals", who=who, body=body)
        what = f"create {body!r} as {who}"
        if expected.status != 201:
            _check_error(response, expected, who, what)
            return multiple()
        assert response.status_code == 201, (what, response.json)
        got = response.json
        pid = got["id"]
        assert isinstance(pid, str) and pid and pid not in self.people | self.tokens, what
        assert pid not in self.deleted, what
        assert response.headers["Location"] == f"/professionals/{pid}", what
        source = ("partner" if PARTNER_NAME[who] else "direct" if who is None
                  else values.get("source") or "internal")
        person = Person(pid, values["full_name"], values.get("email"), values.get("phone"),
                        values.get("company_name"), values.get("job_title"), source,
                        PARTNER_NAME[who])
        if who is None:  # anonymous sign-ups get a token for their own record
            assert set(got) == RESOURCE_KEYS | {"access_token"} and got["access_token"], got
            self.tokens[pid] = (got["access_token"], 0)
        else:
            assert set(got) == RESOURCE_KEYS, got
        self.check_resource(got, person, what)
        assert got["created_at"] == got["updated_at"], got
        self.learn_times(got, person)
        self.people[pid] = person
        self.touched(None, person)
        if who is None:  # the token opens this record, and no other one
            self.read_with_token(pid, pid)
            for other in list(self.people)[:1] + sorted(self.deleted)[:1]:
                if other != pid:
                    self.read_with_token(other, pid)
        return pid

    # -- PATCH /professionals/{id} ----------------------------------------------------------

    @rule(pid=ids, body=patch_bodies(), who=STAFF_MOSTLY)
    def patch(self, pid, body, who):
        self.do_patch(pid, body, who)

    @rule(pid=ids, data=st.data())
    def patch_taking(self, pid, data):
        """Give someone the e-mail or phone another person holds (a 409), or clear one."""
        others = [p for p in self.people.values() if p.id != pid]  # in creation order
        strategy = st.sampled_from([{"email": None}, {"phone": ""}, {"email": " ", "phone": None}])
        if others:
            strategy = strategy | taking_bodies(others) | taking_bodies(others)
        self.do_patch(pid, data.draw(strategy, label="body"), "staff")

    def do_patch(self, pid: str, body: dict, who: str | None) -> None:
        what = f"PATCH {pid} {body!r} as {who}"
        response = self.call("PATCH", f"/professionals/{pid}", who=who, body=body)
        if who is None:
            return _check_error(response, Expected(401, "unauthorized"), who, what)
        partner = PARTNER_NAME[who]
        values = {k: _expect(k, v, bulk=False) for k, v in body.items()
                  if not (partner and k == "source")}
        bad = {k for k, v in values.items() if v is INVALID}
        if partner and "source" in body:  # a partner may not carry source, whatever its value
            bad.add("source")
        # Not optional fields: they cannot be cleared, by null or blank. (PATCH {"source": null}
        # answered 500 until commit 5aa2c56; this machine found it too.)
        for name in ("full_name", "source"):
            if name in values and values[name] is None:
                bad.add(name)
        if bad:  # validation (400) comes before existence (404)
            return _check_error(response, Expected(400, "validation_error", bad), who, what)
        if not self.reaches(who, pid):
            return _check_error(response, Expected(404, "not_found"), who, what)
        old = self.people[pid]
        new = replace(old, **values)
        new.verified = old.verified and new.email == old.email
        if new.email is None and new.phone is None:  # one may be cleared only while the other
            fields = {f for f in SPELLINGS if f in values}  # remains
            return _check_error(response, Expected(400, "validation_error", fields), who, what)
        taken = _taken(self.people, values, old)
        if taken:
            return _check_error(response, Expected(409, "conflict", conflicts=taken), who, what)
        assert response.status_code == 200, (what, response.json)
        assert set(response.json) == RESOURCE_KEYS, response.json
        new.written = new.fields() != old.fields()
        self.check_resource(response.json, new, what)
        self.learn_times(response.json, new)
        self.people[pid] = new
        if new.written:
            self.touched(old, new)

    # -- DELETE /professionals/{id} ---------------------------------------------------------

    @rule(pid=ids, who=STAFF_MOSTLY)
    def delete(self, pid, who):
        what = f"DELETE {pid} as {who}"
        response = self.call("DELETE", f"/professionals/{pid}", who=who)
        if who is None:
            return _check_error(response, Expected(401, "unauthorized"), who, what)
        if not self.reaches(who, pid):
            return _check_error(response, Expected(404, "not_found"), who, what)
        assert response.status_code == 204 and not response.body, (what, response.body)
        self.touched(self.people.pop(pid), None)  # its e-mail and phone are free now
        self.deleted.add(pid)

    # -- POST /professionals/bulk -----------------------------------------------------------

    def expect_bulk(self, rows: list, who: str) -> tuple[dict[str, Person], list]:
        """Apply the rows one by one, in order, to a copy of the model (docs/api.md, bulk;
        "Bulk upsert semantics"). New people get provisional ids ``new#<row>``.

        Returns the copy and, per row, (status, model id or None, Expected or None)."""
        people = {pid: replace(p) for pid, p in self.people.items()}
        partner = PARTNER_NAME[who]
        outcomes = []
        for index, row in enumerate(rows):
            if not isinstance(row, dict):  # the contract names no field for this; code only
                outcomes.append(("failed", None, Expected(207, "validation_error")))
                continue
            if partner:
                row = {k: v for k, v in row.items() if k != "source"}  # dropped, not checked
            values = {k: _expect(k, v, bulk=True) for k, v in row.items()}
            bad = {k for k, v in values.items() if v is INVALID}
            if bad:
                outcomes.append(("failed", None, Expected(207, "validation_error", bad)))
                continue
            values = {k: v for k, v in values.items() if v is not ABSENT}
            if "email" not in values and "phone" not in values:
                outcomes.append(("failed", None,
                                 Expected(207, "validation_error", {"email", "phone"})))
                continue
            matched = _taken(people, values)  # by e-mail, by phone
            if len({holder for _, holder in matched}) > 1:  # two different people
                outcomes.append(("failed", None, Expected(207, "conflict", conflicts=matched)))
                continue
            if not matched:
                if "full_name" not in values:
                    outcomes.append(("failed", None,
                                     Expected(207, "validation_error", {"full_name"})))
                    continue
                pid = f"new#{index}"
                source = "partner" if partner else values.get("source", "internal")
                people[pid] = Person(pid, values["full_name"], values.get("email"),
                                     values.get("phone"), values.get("company_name"),
                                     values.get("job_title"), source, partner)
                outcomes.append(("created", pid, None))
                continue
            target = people[matched[0][1]]
            if [f for f, _ in matched] == ["phone"] and "email" in values and target.email:
                # 8.5: the phone's holder has another email; the row is someone else
                outcomes.append(("failed", None, Expected(207, "conflict", conflicts=matched)))
                continue
            if partner and target.partner != partner:  # a partner updates only its own
                outcomes.append(("failed", None, Expected(
                    207, "conflict", conflicts=[(f, None) for f, _ in matched])))
                continue
            if all(getattr(target, k) == v for k, v in values.items()):
                outcomes.append(("unchanged", target.id, None))
                continue
            people[target.id] = replace(target, **values, written=True,
                                        verified=target.verified and values.get(
                                            "email", target.email) == target.email)
            outcomes.append(("updated", target.id, {
                k: {"from": getattr(target, k), "to": v} for k, v in values.items()
                if getattr(target, k) != v}))
        return people, outcomes

    @rule(target=ids, who=st.sampled_from(["staff", "staff", "partner", "other_partner"]),
          data=st.data(), dry_run=st.sampled_from([False, False, False, True]))
    def bulk(self, who, data, dry_run):
        people = list(self.people.values())  # in creation order: ids differ on replay
        row = bulk_rows()
        if people:
            row = st.one_of(row, row, echo_rows(people), crossed_rows(people))
        rows = data.draw(st.lists(row, min_size=1, max_size=6), label="rows")
        path = "/professionals/bulk" + ("?dry_run=true" if dry_run else "")
        response = self.call("POST", path, who=who, body=rows)
        assert response.status_code == 207, (rows, who, response.json)
        body = response.json
        assert set(body) == {"summary", "results"}, body
        results = body["results"]
        assert [r["index"] for r in results] == list(range(len(rows))), body
        assert body["summary"] == {s: sum(r["status"] == s for r in results)
                                   for s in ("created", "updated", "unchanged", "failed")}, body
        after, outcomes = self.expect_bulk(rows, who)

        # Model id -> the id the response gives it. Existing people keep theirs; a person this
        # request creates takes the id its "created" row reports or, in a dry run (where that
        # row's id is null), whatever id a later row reports for it.
        real = {pid: pid for pid in self.people}
        known = set(self.people) | self.deleted

        def resolve(pid: str, reported: Any, what: str) -> None:
            if pid in real:
                assert reported == real[pid], (what, pid, real)
                return
            # A person this request creates. For a dry run the contract says an update reports
            # "the matched id", but that person has no id yet, so the model cannot predict the
            # value: it requires a fresh id, the same on every row about that person, and
            # nobody else's.
            assert isinstance(reported, str) and reported, what
            assert reported not in known and reported not in real.values(), (what, real)
            real[pid] = reported

        for index, (row, result, (status, pid, expected)) in enumerate(
                zip(rows, results, outcomes)):
            what = f"bulk row {index} {row!r} as {who} (dry run {dry_run}): {result}"
            assert set(result) == {"index", "status", "id", "error"} | (
                {"changes"} if status == "updated" else set()), what
            assert result["status"] == status, (what, expected, rows, outcomes)
            if status == "failed":
                assert result["id"] is None and result["error"] is not None, what
                assert set(result["error"]) == {"code", "message", "details"}, what
                _check_error_object(result["error"], expected, who, what, resolve)
            elif status == "created" and dry_run:
                assert result["id"] is None and result["error"] is None, what
            else:
                assert result["error"] is None, what
                resolve(pid, result["id"], what)
                if status == "updated":  # 8.5: what changed, from what, to what
                    assert result["changes"] == expected, (what, expected)
        if dry_run:
            return multiple()  # nothing was written: the checks after the step see to it
        before, self.people, created = self.people, {}, []
        for pid, person in after.items():
            assert pid in real, f"model person {pid} got no id: {outcomes}"
            if pid not in before:  # created by this request; its times come with the list
                person = replace(person, id=real[pid])
                created.append(real[pid])
                self.touched(None, person)
            elif person.fields() != before[pid].fields():
                self.touched(before[pid], person)
            self.people[real[pid]] = person
        return multiple(*created)

    # -- reads (two rules, so that most steps write) ----------------------------------------

    @rule(pid=ids, data=st.data())
    def read(self, pid, data):
        """GET one id as staff, as a partner, or with an anonymous sign-up's token."""
        owner = data.draw(st.sampled_from(list(self.tokens)) | st.none() if self.tokens
                          else st.none(), label="token of")
        partner = data.draw(st.sampled_from([None, None, "partner", "other_partner"]),
                            label="partner")
        if partner is not None:
            self.read_as_partner(pid, partner)
        elif owner is None:
            self.to_read.add(pid)  # read after the step, with everything else
        else:
            self.read_with_token(pid, owner)

    def read_as_partner(self, pid: str, who: str) -> None:
        """A partner reads what it created; anything else is a 404 with a missing id's body."""
        response = self.call("GET", f"/professionals/{pid}", who=who)
        what = f"GET {pid} as {who}"
        if not self.reaches(who, pid):
            _check_error(response, Expected(404, "not_found"), who, what)
            missing = self.call("GET", "/professionals/no-such-id", who=who)
            assert response.json == {"error": {**missing.json["error"], "message": missing.json[
                "error"]["message"].replace("no-such-id", pid)}}, (what, response.json)
            return
        assert response.status_code == 200, (what, response.json)
        self.check_resource(response.json, self.people[pid], what)

    def read_with_token(self, pid: str, owner: str) -> None:
        """A sign-up's token reads its own record and no other (403), and nothing at all once
        its professional is gone (401); its own PATCH may not carry `source` (400)."""
        token = f"Bearer {self.tokens[owner][0]}"
        response = self.call("GET", f"/professionals/{pid}", who=token)
        what = f"GET {pid} with the token of {owner}"
        if owner not in self.people or self.people[owner].generation != self.tokens[owner][1]:
            return _check_error(response, Expected(401, "unauthorized"), None, what)
        if pid != owner:
            return _check_error(response, Expected(403, "forbidden"), None, what)
        assert response.status_code == 200, (what, response.json)
        assert set(response.json) == RESOURCE_KEYS | {"resume_text"}, response.json
        self.check_resource(response.json, self.people[pid], what)
        assert response.json["resume_text"] is None
        _check_error(self.call("PATCH", f"/professionals/{pid}", who=token,
                               body={"source": "internal", "job_title": "Hacker"}),
                     Expected(400, "validation_error", {"source"}), None,
                     f"PATCH {pid} with its own token")

    # -- mailed links and sessions (contract 7.4, 8.1) -----------------------------------------

    @rule(pid=ids)
    def open_link(self, pid):
        """Mint the link the mail worker would send to the record's address, and open it."""
        person = self.people.get(pid)
        if person is None or person.email is None:
            return
        from chalicelib import auth
        item = db.get(f"PRO#{pid}")
        link = {"pid": pid, "token": auth.issue_email_token(item), "email": person.email,
                "generation": person.generation, "used": False}
        self.links.append(link)
        self.open_session(link)

    @rule(data=st.data())
    def reopen_link(self, data):
        """Open a link minted earlier: used, of an old generation or address, or of someone
        deleted, it opens nothing (400)."""
        if self.links:
            self.open_session(data.draw(st.sampled_from(self.links), label="link"))

    def open_session(self, link: dict[str, Any]) -> None:
        response = self.call("POST", "/sessions", who=None, body={"token": link["token"]})
        what = f"POST /sessions with a link of {link}"
        person = self.people.get(link["pid"])
        if link["used"] or person is None or person.email != link["email"] \
                or person.generation != link["generation"]:
            return _check_error(response, Expected(400, "bad_request"), None, what)
        assert response.status_code == 200, (what, response.json)
        link["used"] = True
        new = replace(person, verified=True, written=not person.verified,
                      generation=person.generation + (not person.verified))
        self.check_resource(response.json["professional"], new, what)
        self.learn_times(response.json["professional"], new)
        self.people[new.id] = new
        self.tokens[new.id] = (response.json["access_token"], new.generation)
        self.touched(person, new)
        self.read_with_token(new.id, new.id)

    @rule(email=st.none() | spelling["email"], phone=st.none() | spelling["phone"],
          source=st.none() | st.sampled_from(SOURCES),
          who=st.sampled_from(["staff", "staff", "partner", "other_partner"]))
    def query(self, email, phone, source, who):
        """?email= and/or ?phone= in any spelling, maybe with ?source=: 0 or 1 item; or, with
        neither, the list of one source: exactly the model's people of that source. A partner
        sees only the people it created (docs/api.md, Partners)."""
        query = {k: v for k, v in (("email", email), ("phone", phone), ("source", source)) if v}
        response = self.call("GET", "/professionals?" + urlencode(query or {"limit": "100"}),
                             who=who)
        assert response.status_code == 200, (query, response.json)
        assert response.json["next_cursor"] is None, response.json
        got = [i["id"] for i in response.json["items"]]
        visible = {pid for pid in self.people if self.reaches(who, pid)}
        if not {"email", "phone"} & set(query):
            assert sorted(got) == sorted(p.id for p in self.people.values() if p.id in visible
                                         and source in (None, p.source)), (query, who, got)
        else:
            holders = {_holder(self.people, n, CANONICAL[n][query[n]]) for n in SPELLINGS
                       if n in query}
            found = holders.pop() if len(holders) == 1 else None  # both: the same person
            if found and ((source and self.people[found].source != source)
                          or found not in visible):
                found = None
            assert got == ([found] if found else []), (query, response.json)
        for item in response.json["items"]:
            self.check_resource(item, self.people[item["id"]], f"query {query}")

    # -- the checks after every step --------------------------------------------------------

    @invariant()
    def table_passes_the_invariant_checker(self):
        assert_invariants()

    @invariant()
    def list_matches_the_model(self):
        """After every step that tried a write, even one that failed (a read that wrote would
        show after the next write)."""
        if not self.wrote:
            return
        self.wrote = False
        assert len(self.people) <= len(EMAILS) + len(PHONES)  # so one page holds everyone
        response = self.call("GET", "/professionals?limit=100")
        assert response.status_code == 200, response.json
        assert response.json["next_cursor"] is None, response.json
        items = response.json["items"]
        assert sorted(i["id"] for i in items) == sorted(self.people), (items, self.people)
        created = [i["created_at"] for i in items]
        assert created == sorted(created, reverse=True), created  # newest first
        for name in SPELLINGS:
            values = [i[name] for i in items if i[name] is not None]
            assert len(values) == len(set(values)), (name, values)
        for item in items:
            assert set(item) == RESOURCE_KEYS, item  # no resume_text in the list
            person = self.people[item["id"]]
            self.check_resource(item, person, "list")
            self.learn_times(item, person)

    @invariant()
    def reads_and_look_ups_match_the_model(self):
        for pid in sorted(self.to_read):
            response = self.call("GET", f"/professionals/{pid}")
            if pid in self.people:
                assert response.status_code == 200, (pid, response.json)
                assert set(response.json) == RESOURCE_KEYS | {"resume_text"}, response.json
                self.check_resource(response.json, self.people[pid], f"GET {pid}")
                assert response.json["resume_text"] is None
            else:
                assert pid in self.deleted, pid
                _check_error(response, Expected(404, "not_found"), "staff", f"GET deleted {pid}")
        self.to_read.clear()
        for name, value in sorted(self.to_look_up):
            holder = _holder(self.people, name, value)
            spellings = SPELLINGS[name][value]
            written = spellings[len(self.people) % len(spellings)]  # not always the stored form
            response = self.call("GET", "/professionals?" + urlencode({name: written}))
            assert response.status_code == 200, response.json
            assert [i["id"] for i in response.json["items"]] == ([holder] if holder else []), (
                name, written, response.json, holder)
        self.to_look_up.clear()


def _empty_professionals() -> None:
    """Delete every professional and guard (the API keys stay): each example starts empty."""
    client = db._client()
    keys = [{"DeleteRequest": {"Key": {"pk": {"S": item.pk}}}} for item in scan_all()
            if isinstance(item, (ProfessionalItem, GuardItem))]
    for start in range(0, len(keys), 25):
        client.batch_write_item(RequestItems={db.bind(): keys[start:start + 25]})


def test_api_matches_a_model_of_the_contract(api):
    machine = type("ApiMachine", (ApiStateMachine,), {"api": api})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=40, stateful_step_count=15, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow]))
