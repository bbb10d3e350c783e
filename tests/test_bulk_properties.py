"""Property: one bulk upsert of N rows == N single-row bulk upserts, in order (docs/api.md, bulk).

Hypothesis draws a few rows from a deliberately small pool of values (3 e-mails, 3 phones written
in several formats that normalise to the same E.164 number, 2 names, 2 job titles, ...), so rows
collide a lot: matches by e-mail, by phone, e-mail and phone of two different people, a phone match
that brings a new e-mail (a conflict when the phone's holder has another e-mail, contract 8.5), partners touching records they did not create, invalid rows. Each example
runs twice from the same starting state, on the moto table of the ``store`` fixture, emptied
before each run:

* run A: ``bulk_upsert(rows)`` once;
* run B: ``bulk_upsert([row])`` for each row, in order.

Both must give the same per-row outcome and the same final set of professionals, with ids that
correspond one-to-one, and the table must pass the invariant checker after each run. Run B is
also checked against a small reference model written straight from the contract, so that both
runs being wrong in the same way is caught too.
"""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib import db, professionals, validation
from chalicelib.auth import Caller
from chalicelib.bulk import bulk_upsert
from chalicelib.errors import Conflict
from chalicelib.models import ProfessionalItem
from infra.verify import scan_all
from tests.invariants import assert_invariants

STAFF = Caller(role="staff", name="ops")
ACME = Caller(role="partner", name="acme", key_id="k1")
GLOBEX = Caller(role="partner", name="globex", key_id="k2")

# Each inner list is one person's e-mail / phone, written in ways that normalise to one value.
EMAILS = [["ada@example.com", " ADA@Example.COM "],
          ["grace@example.com", "Grace@EXAMPLE.com"],
          ["alan@example.com"]]
PHONES = [["(415) 555-0101", "+1 415 555 0101", "415.555.0101"],
          ["4155550102", "+1 (415) 555-0102"],
          ["(415) 555-0103", "+14155550103"]]
NAMES = ["Ada Lovelace", "Grace Hopper"]
TITLES = ["Engineer", "Admiral"]
COMPANIES = ["Analytical Engines"]
SOURCES = ["direct", "partner", "internal"]
FIELDS = ("full_name", "email", "phone", "company_name", "job_title", "source", "partner")

any_email = st.sampled_from([e for group in EMAILS for e in group])
any_phone = st.sampled_from([p for group in PHONES for p in group])
blank = st.sampled_from(["", "   ", None])  # in a bulk row: absent


def often(strategy: st.SearchStrategy, out_of_ten: int) -> st.SearchStrategy:
    """``strategy``'s value about out_of_ten times in ten, else None (the key is left out)."""
    return st.integers(0, 9).flatmap(lambda n: strategy if n < out_of_ten else st.none())


@st.composite
def valid_rows(draw) -> dict:
    """A well-formed row: an e-mail and/or a phone, and a few other fields."""
    keys = draw(st.sampled_from(["email", "phone", "both", "both"]))
    row = {
        "email": draw(any_email) if keys in ("email", "both") else None,
        "phone": draw(any_phone) if keys in ("phone", "both") else None,
        "full_name": draw(often(st.sampled_from(NAMES), 7)),
        "job_title": draw(often(st.sampled_from(TITLES), 5)),
        "company_name": draw(often(st.sampled_from(COMPANIES), 3)),
        "source": draw(often(st.sampled_from(SOURCES), 3)),
    }
    row = {k: v for k, v in row.items() if v is not None}
    blanked = draw(often(st.sampled_from(["full_name", "job_title", "company_name"]), 2))
    if blanked:
        row[blanked] = draw(blank)  # the same as leaving the field out
    return row


invalid_rows = st.sampled_from([
    {"full_name": NAMES[0], "job_title": TITLES[0]},  # neither e-mail nor phone
    {"full_name": NAMES[0], "email": "  ", "phone": ""},  # only blanks
    {"full_name": NAMES[1], "email": "not-an-email"},
    {"email": EMAILS[0][0], "phone": "123"},  # one bad field fails the whole row
    {"email": EMAILS[1][0], "source": "bogus"},  # (a partner's source is dropped, not checked)
    {"full_name": NAMES[0], "email": EMAILS[0][0], "nickname": "x"},  # unknown field
    {"full_name": NAMES[0], "phone": PHONES[0][0], "job_title": 7},  # not a string
    "not an object",
])

# About one row in six is invalid; the rest collide through the small pools.
row_strategy = st.one_of(valid_rows(), valid_rows(), valid_rows(), valid_rows(), valid_rows(),
                         invalid_rows)

create_body = st.fixed_dictionaries(
    {"full_name": st.sampled_from(NAMES)},
    optional={"company_name": st.sampled_from(COMPANIES), "job_title": st.sampled_from(TITLES)},
).flatmap(lambda body: st.sampled_from([
    {"email": True}, {"phone": True}, {"email": True, "phone": True}]).flatmap(
    lambda which: st.fixed_dictionaries({
        **{k: st.just(v) for k, v in body.items()},
        **({"email": any_email} if "email" in which else {}),
        **({"phone": any_phone} if "phone" in which else {}),
    })))

initial_strategy = st.lists(st.tuples(st.sampled_from([STAFF, ACME, GLOBEX]), create_body),
                            max_size=3)


# -- helpers ------------------------------------------------------------------------------------

def _empty_table() -> None:
    """Delete every item of the bound table (a few dozen at most): each run starts empty.

    Cheaper than a new table per run: rebinding builds new botocore clients, and table
    creation describes the table, which together cost more than the example itself."""
    client = db._client()
    keys = [{"DeleteRequest": {"Key": {"pk": {"S": item.pk}}}} for item in scan_all()]
    for start in range(0, len(keys), 25):
        client.batch_write_item(RequestItems={db.bind(): keys[start:start + 25]})


def _seed(initial: list[tuple[Caller, dict]]) -> list[str | None]:
    ids = []
    for caller, body in initial:
        try:
            ids.append(professionals.create(body, caller).id)
        except Conflict:
            ids.append(None)
    return ids


def _people() -> dict[str, ProfessionalItem]:
    return {item.id: item for item in scan_all() if isinstance(item, ProfessionalItem)}


def _state(people: dict[str, ProfessionalItem]) -> dict[str, tuple]:
    """What the comparison looks at: the fields, not ids or timestamps."""
    return {pid: tuple(getattr(item, f) for f in FIELDS) for pid, item in people.items()}


class IdMap:
    """A bijection between the ids of two runs, built as results are paired up."""

    def __init__(self) -> None:
        self.forward: dict[str, str] = {}
        self.backward: dict[str, str] = {}

    def link(self, a: str | None, b: str | None, what: str) -> None:
        assert (a is None) == (b is None), f"{what}: id {a!r} in one run, {b!r} in the other"
        if a is None:
            return
        assert self.forward.setdefault(a, b) == b, f"{what}: {a} maps to two ids"
        assert self.backward.setdefault(b, a) == a, f"{what}: {b} maps to two ids"


def _link_error(ids: IdMap, a: dict | None, b: dict | None, what: str) -> None:
    """Errors must agree on code, fields and conflicting fields; conflict ids must correspond."""
    assert (a is None) == (b is None), what
    if a is None:
        return
    assert a["code"] == b["code"], (what, a, b)
    assert sorted(a["details"].get("fields", {})) == sorted(b["details"].get("fields", {})), what
    conflicts_a = a["details"].get("conflicts", [])
    conflicts_b = b["details"].get("conflicts", [])
    assert [c["field"] for c in conflicts_a] == [c["field"] for c in conflicts_b], (what, a, b)
    for ca, cb in zip(conflicts_a, conflicts_b):
        ids.link(ca.get("id"), cb.get("id"), what)


# -- a reference model, straight from the contract ------------------------------------------------

def _model_apply(state: dict[str, dict], row: Any,
                 caller: Caller) -> tuple[str, str | None, str | None]:
    """Apply one row to ``state`` (id -> fields); returns (status, id, error code).

    A created person gets a provisional id, which the caller renames to the real one."""
    if caller.role == "partner" and isinstance(row, dict):
        row = {k: v for k, v in row.items() if k != "source"}
    try:
        fields = validation.clean(row, mode=validation.BULK, default_region="US")
    except Exception:  # noqa: BLE001 - ValidationFailed: the model only needs "it fails"
        return "failed", None, "validation_error"
    if not fields.get("email") and not fields.get("phone"):
        return "failed", None, "validation_error"
    owners = {pid for f in ("email", "phone") for pid, person in state.items()
              if fields.get(f) and person[f] == fields[f]}
    if len(owners) > 1:
        return "failed", None, "conflict"
    if not owners:
        if not fields.get("full_name"):
            return "failed", None, "validation_error"
        pid = f"m{len(state)}"
        state[pid] = {f: None for f in FIELDS} | {
            k: v for k, v in fields.items() if k != "source"} | {
            "source": "partner" if caller.role == "partner" else fields.get("source", "internal"),
            "partner": caller.name if caller.role == "partner" else None}
        return "created", pid, None
    pid = owners.pop()
    person = state[pid]
    if fields.get("email") and person["email"] not in (None, fields["email"]):
        return "failed", None, "conflict"  # 8.5: matched by phone, holds another email
    if caller.role == "partner" and person["partner"] != caller.name:
        return "failed", None, "conflict"
    if all(person[k] == v for k, v in fields.items()):
        return "unchanged", pid, None
    person.update(fields)
    return "updated", pid, None


# -- the property ---------------------------------------------------------------------------------

def _check_one_example(initial, rows, caller) -> None:
    # Run A: one call.
    _empty_table()
    seeded_a = _seed(initial)
    seeded_people = _people()
    initial_state_a = _state(seeded_people)
    result_a = bulk_upsert(rows, caller)
    assert_invariants()
    people_a = _people()
    state_a = _state(people_a)

    # Run B: one call per row, in order, on an identical start (the same table, emptied).
    _empty_table()
    seeded_b = _seed(initial)
    results_b = []
    for row in rows:
        one = bulk_upsert([row], caller)
        assert [r["index"] for r in one["results"]] == [0]
        results_b.append(one["results"][0])
    assert_invariants()
    state_b = _state(_people())

    # Shape of the bulk answer.
    results_a = result_a["results"]
    assert [r["index"] for r in results_a] == list(range(len(rows)))
    assert result_a["summary"] == {s: sum(r["status"] == s for r in results_a)
                                   for s in ("created", "updated", "unchanged", "failed")}

    # Same outcome per row, ids in one-to-one correspondence.
    ids = IdMap()
    for a, b in zip(seeded_a, seeded_b):
        ids.link(a, b, "seed")
    for i, (a, b) in enumerate(zip(results_a, results_b)):
        what = f"row {i} {rows[i]!r}: bulk {a} vs one-by-one {b}"
        assert a["status"] == b["status"], what
        assert a["status"] in ("created", "updated", "unchanged", "failed"), what
        assert (a["status"] == "failed") == (a["id"] is None), what
        assert (a["status"] == "failed") == (a["error"] is not None), what
        ids.link(a["id"], b["id"], what)
        _link_error(ids, a["error"], b["error"], what)
        if caller.role == "partner" and a["error"]:
            assert all("id" not in c for c in a["error"]["details"].get("conflicts", [])), what

    # Same final state: every professional of A corresponds to one of B with equal fields.
    assert sorted(map(repr, state_a.values())) == sorted(map(repr, state_b.values()))
    assert set(state_a) == set(ids.forward), "a professional no row or seed accounts for"
    for a_id, b_id in ids.forward.items():
        assert state_a[a_id] == state_b[b_id], (a_id, state_a[a_id], state_b[b_id])

    # A seeded professional that no row created or updated was not written at all.
    written = {r["id"] for r in results_a if r["status"] in ("created", "updated")}
    for pid, before in seeded_people.items():
        if pid not in written:
            after = people_a[pid]
            assert (after.version, after.updated_at) == (before.version, before.updated_at), pid

    # Partners touch only their own records; everybody else's are exactly as seeded.
    if caller.role == "partner":
        for pid, before in initial_state_a.items():
            if before[FIELDS.index("partner")] != caller.name:
                assert state_a[pid] == before, "a partner row changed someone else's record"
        for r in results_a:
            if r["status"] in ("created", "updated", "unchanged"):
                assert state_a[r["id"]][FIELDS.index("partner")] == caller.name

    # Run B against the reference model.
    # The model keys people by run B's ids; the seeded ones come from A's seed, mapped.
    model = {ids.forward[a_id]: dict(zip(FIELDS, fields))
             for a_id, fields in initial_state_a.items()}
    for i, (row, b) in enumerate(zip(rows, results_b)):
        status, pid, code = _model_apply(model, row, caller)
        assert status == b["status"], (i, row, status, b)
        assert code == (b["error"] or {}).get("code"), (i, row, code, b)
        if status == "created":  # rename the model's id to the real one
            model[b["id"]] = model.pop(pid)
        elif pid is not None:
            assert pid == b["id"], (i, row, pid, b)
    assert {pid: tuple(p[f] for f in FIELDS) for pid, p in model.items()} == state_b


@pytest.mark.parametrize("caller", [STAFF, ACME], ids=["staff", "partner"])
def test_bulk_equals_rows_one_by_one(store, caller):
    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(initial=initial_strategy, rows=st.lists(row_strategy, min_size=1, max_size=12))
    def property_holds(initial, rows):
        _check_one_example(initial, rows, caller)

    property_holds()


# -- hand-picked cases the property must also cover -----------------------------------------------

def test_partner_cannot_update_a_record_it_did_not_create(store):
    staff_made = professionals.create({"full_name": "Ada", "email": "ada@example.com"}, STAFF)
    rows = [{"email": "ADA@example.com", "job_title": "Spy"},
            {"full_name": "Grace", "email": "grace@example.com"},
            {"email": "grace@example.com", "job_title": "Admiral"}]
    results = bulk_upsert(rows, ACME)["results"]
    assert [r["status"] for r in results] == ["failed", "created", "updated"]
    assert results[0]["id"] is None
    assert results[0]["error"]["code"] == "conflict"
    # No id for partners: they may not learn who holds an e-mail.
    assert results[0]["error"]["details"]["conflicts"] == [{"field": "email"}]
    assert results[2]["id"] == results[1]["id"]
    assert professionals.get(staff_made.id).job_title is None
    assert bulk_upsert(rows[2:], GLOBEX)["results"][0]["error"]["code"] == "conflict"
    assert_invariants()


def test_phone_in_another_format_matches_and_brings_an_email_to_a_phone_only_record(store):
    ada = professionals.create({"full_name": "Ada", "phone": "(415) 555-0101"}, STAFF)
    results = bulk_upsert([{"phone": "+1 415 555 0101", "email": "lovelace@example.com"},
                           {"full_name": "Eve", "email": "lovelace@example.com"}],
                          STAFF)["results"]
    assert [(r["status"], r["id"]) for r in results] == [("updated", ada.id), ("updated", ada.id)]
    assert results[0]["changes"] == {"email": {"from": None, "to": "lovelace@example.com"}}
    assert professionals.get(ada.id).full_name == "Eve"
    assert_invariants()


def test_a_phone_shared_with_someone_of_another_email_is_a_conflict(store):
    """Issue 23: "Mary Miller" with a new email and Alan Turing's phone replaced Alan's name,
    email and company. A row that brings an email nobody has is another person."""
    alan = professionals.create({"full_name": "Alan Turing", "email": "alan@example.com",
                                 "phone": "+1 415 555 0101", "company_name": "Bletchley"}, STAFF)
    rows = [{"full_name": "Mary Miller", "email": "mary@example.com", "phone": "(415) 555-0101",
             "company_name": "Miller & Co"}]
    for dry_run in (True, False):
        (result,) = bulk_upsert(rows, STAFF, dry_run=dry_run)["results"]
        assert (result["status"], result["id"]) == ("failed", None)
        assert result["error"]["code"] == "conflict"
        assert result["error"]["details"]["conflicts"] == [{"field": "phone", "id": alan.id}]
        assert "changes" not in result
    kept = professionals.get(alan.id)
    assert (kept.full_name, kept.email, kept.company_name) == (
        "Alan Turing", "alan@example.com", "Bletchley")
    assert professionals.find_by("email", "mary@example.com") is None
    assert_invariants()


def test_bulk_row_racing_an_email_change_keeps_emails_unique(store, monkeypatch):
    ada = professionals.create({"full_name": "Ada", "email": "a@example.com"}, STAFF)
    real_batch_get, calls = db.batch_get, []

    def racing_batch_get(pks, **kwargs):
        found = real_batch_get(pks, **kwargs)
        calls.append(1)
        if len(calls) == 1:  # between the guard read and the professional read...
            professionals.patch(ada.id, {"email": "b@example.com"}, STAFF)  # ...Ada's e-mail moves
        return found

    monkeypatch.setattr(db, "batch_get", racing_batch_get)
    result = bulk_upsert([{"email": "a@example.com", "job_title": "CTO"}], STAFF)["results"][0]
    # Re-read, the row matches nobody (Ada moved to b@) and, with no full_name, cannot create.
    assert (result["status"], result["error"]["code"]) == ("failed", "validation_error")
    assert professionals.get(ada.id).job_title is None
    try:
        professionals.create({"full_name": "Eve", "email": "a@example.com"}, STAFF)
    except Conflict:
        pass
    emails = [item.email for item in scan_all() if isinstance(item, ProfessionalItem)]
    assert len(emails) == len(set(emails)), emails
    assert_invariants()
