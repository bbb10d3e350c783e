"""Bulk upsert: rows applied as if one by one, in order, each atomic, at batched cost.

A round reads every guard the rows name (BatchGetItem), then the professionals those guards
point at, then decides every row in memory against that snapshot, in order. Rows that touch the
same professional or the same e-mail/phone fall into one unit; each unit is written by one
transaction action set, and units are packed into transactions of at most 100 actions. When a
transaction is cancelled, it is retried without the units its cancellation reasons name, and
those units' rows are re-read and re-decided in the next round: a row that lost a race to a
concurrent writer is reported as what it finally did, never dropped.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import confirmation, db, validation
from chalicelib.auth import PARTNER, Caller
from chalicelib.clock import now_iso
from chalicelib.errors import PayloadTooLarge, ValidationFailed, envelope
from chalicelib.history import actors
from chalicelib.logs import log
from chalicelib.models import GuardItem, ProfessionalItem, guard_pk, professional_pk
from chalicelib.payloads import CsvRowError
from chalicelib.professionals import (UNIQUE_FIELDS, conflict_entry, copy_item, email_moved,
                                      new_item)
from chalicelib.settings import get_settings

MAX_ROWS = 1000
MAX_ROUNDS = 6
TRANSACTION_ATTEMPTS = 4

Row = tuple[int, dict[str, str]]


@dataclass
class Outcome:
    status: str
    id: str | None = None
    error: dict[str, Any] | None = None
    changes: dict[str, dict[str, Any]] | None = None  # an update's {field: {"from", "to"}}


def bulk_upsert(rows: list[Any], caller: Caller, *, dry_run: bool = False,
                via: str = actors.BULK) -> dict[str, Any]:
    """``via``: what the history names as the way in (the bulk route; an import job's worker)."""
    if len(rows) > MAX_ROWS:
        raise PayloadTooLarge(f"At most {MAX_ROWS} rows per request; this one has {len(rows)}.",
                              {"max_rows": MAX_ROWS, "rows": len(rows)})
    outcomes: dict[int, Outcome] = {}
    pending: list[Row] = []
    region = get_settings().default_phone_region
    for index, row in enumerate(rows):
        try:
            pending.append((index, _clean_row(row, caller, region)))
        except ValidationFailed as exc:
            outcomes[index] = Outcome("failed", error=exc.body()["error"])
    _run(pending, caller, dry_run, outcomes, via)
    results = [_result(i, outcomes[i]) for i in range(len(rows))]
    summary = {s: sum(r["status"] == s for r in results)
               for s in ("created", "updated", "unchanged", "failed")}
    log.info("bulk upsert", rows=len(rows), dry_run=dry_run, summary=summary)
    return {"summary": summary, "results": results}


def _result(index: int, outcome: Outcome) -> dict[str, Any]:
    result = {"index": index, "status": outcome.status, "id": outcome.id, "error": outcome.error}
    if outcome.status == "updated":  # who would change, what from, what to: dry runs too
        result["changes"] = outcome.changes
    return result


def _clean_row(row: Any, caller: Caller, region: str) -> dict[str, str]:
    if isinstance(row, CsvRowError):
        raise ValidationFailed({"row": [row.message]}, row.message)
    if caller.role == PARTNER and isinstance(row, dict):
        row = {k: v for k, v in row.items() if k != "source"}  # partners' rows are always theirs
    fields = validation.clean(row, mode=validation.BULK, default_region=region)
    if not fields.get("email") and not fields.get("phone"):
        raise ValidationFailed({"email": ["A row needs an email or a phone."],
                                "phone": ["A row needs an email or a phone."]})
    return fields  # type: ignore[return-value]


def _run(pending: list[Row], caller: Caller, dry_run: bool, outcomes: dict[int, Outcome],
         via: str) -> None:
    for round_number in range(MAX_ROUNDS):
        if not pending:
            return
        if round_number:
            db.backoff(round_number)
        try:
            plan = Plan(pending, caller, via)
        except db.StoreUnavailable:
            continue
        for index, outcome in plan.outcomes.items():
            if dry_run and outcome.status == "created":
                outcome = Outcome("created")
            outcomes[index] = outcome
        if dry_run:
            return
        pending, oversized = plan.commit()
        for row in oversized:  # a unit too big for one transaction: its rows go one at a time
            _run([row], caller, dry_run, outcomes, via)
    for index, _ in pending:
        outcomes[index] = Outcome("failed", error=envelope(
            "unavailable", "The row could not be written after several retries; send it again.")
            ["error"])


class Plan:
    """One round: a snapshot of the store, every row decided against it, and the writes."""

    def __init__(self, rows: list[Row], caller: Caller, via: str = actors.BULK):
        self.rows = rows
        self.caller = caller
        self.actor = actors.of(caller, via)  # on every professional this round writes
        self.now = now_iso()
        keys = {guard_pk(f, fields[f]) for _, fields in rows for f in UNIQUE_FIELDS if f in fields}
        found = db.batch_get(keys)
        self.original_owner = {pk: item.owner_id for pk, item in found.items()
                               if isinstance(item, GuardItem)}
        people = db.batch_get(professional_pk(i) for i in set(self.original_owner.values()))
        self.original = {item.id: item for item in people.values()
                         if isinstance(item, ProfessionalItem)}
        # The guards of the values these people hold now, which a row may free, were not read;
        # the invariant says each points at its holder.
        for person in self.original.values():
            for field in UNIQUE_FIELDS:
                if getattr(person, field):
                    self.original_owner.setdefault(guard_pk(field, getattr(person, field)),
                                                   person.id)
        self.owner = dict(self.original_owner)
        self.current = dict(self.original)
        self.created: set[str] = set()
        self.parent: dict[str, str] = {}
        self.outcomes: dict[int, Outcome] = {}
        self.stale: list[Row] = []
        for index, fields in rows:
            self._decide(index, fields)

    # -- deciding ---------------------------------------------------------------------------

    def _decide(self, index: int, fields: dict[str, str]) -> None:
        row_key = f"row#{index}"
        keys = {f: guard_pk(f, fields[f]) for f in UNIQUE_FIELDS if f in fields}
        for key in keys.values():
            self._union(row_key, key)
        owners = {f: self.owner.get(key) for f, key in keys.items()}
        matched = {f: owner for f, owner in owners.items() if owner}
        if any(owner not in self.current or getattr(self.current[owner], f) != fields[f]
               for f, owner in matched.items()):
            # The guard and its professional disagree: a writer came between our two reads
            # (they always change together). Read both again next round.
            self.stale.append((index, fields))
            return
        for owner in matched.values():
            self._union(row_key, f"pro#{owner}")
        if len(set(matched.values())) > 1:
            self._fail(index, "conflict", "The email and the phone belong to two different "
                       "professionals.", conflicts=[conflict_entry(f, o, self.caller)
                                                    for f, o in matched.items()])
            return
        target = matched.get("email") or matched.get("phone")
        if "email" in fields and "email" not in matched and target is not None \
                and self.current[target].email:
            # Phones are shared (switchboards, family lines, recycled numbers): a row that
            # brings an email nobody has is another person, not a correction of this one.
            self._fail(index, "conflict", "The phone belongs to a professional with another "
                       "email; a row with a different email is another person.",
                       conflicts=[conflict_entry("phone", target, self.caller)])
            return
        if target is None:
            self._create(index, fields, row_key)
            return
        person = self.current[target]
        if self.caller.role == PARTNER and person.partner != self.caller.name:
            self._fail(index, "conflict", "This professional was not created by your key.",
                       conflicts=[{"field": f} for f in matched])
            return
        changes = {f: v for f, v in fields.items() if getattr(person, f) != v}
        if not changes:
            self.outcomes[index] = Outcome("unchanged", target)
            return
        updated = copy_item(person)
        for name, value in changes.items():
            setattr(updated, name, value)
        confirmation.email_changed(person, updated)
        for field in UNIQUE_FIELDS:
            if field in changes:
                old = getattr(person, field)
                if old:
                    self._union(row_key, guard_pk(field, old))
                    self.owner[guard_pk(field, old)] = None
                self.owner[guard_pk(field, changes[field])] = target
        self.current[target] = updated
        self.outcomes[index] = Outcome("updated", target, changes={
            name: {"from": getattr(person, name), "to": value} for name, value in changes.items()})

    def _create(self, index: int, fields: dict[str, str], row_key: str) -> None:
        if not fields.get("full_name"):
            self._fail(index, "validation_error", "A new professional needs a full_name.",
                       fields={"full_name": ["Required to create a professional."]})
            return
        source = "partner" if self.caller.role == PARTNER else fields.get("source", "internal")
        item = new_item(fields, source=source, caller=self.caller)
        self.current[item.id] = item
        self.created.add(item.id)
        self._union(row_key, f"pro#{item.id}")
        for field in UNIQUE_FIELDS:
            if getattr(item, field):
                self.owner[guard_pk(field, getattr(item, field))] = item.id
        self.outcomes[index] = Outcome("created", item.id)

    def _fail(self, index: int, code: str, message: str, **details: Any) -> None:
        self.outcomes[index] = Outcome("failed", error=envelope(code, message, details)["error"])

    def _find(self, key: str) -> str:
        root = self.parent.setdefault(key, key)
        while root != self.parent[root]:
            self.parent[root] = self.parent[self.parent[root]]
            root = self.parent[root]
        return root

    def _union(self, a: str, b: str) -> None:
        self.parent[self._find(a)] = self._find(b)

    # -- writing ----------------------------------------------------------------------------

    def _unit_actions(self) -> dict[str, list[db.Action]]:
        units: dict[str, list[db.Action]] = {}
        for pid, item in self.current.items():
            unit = self._find(f"pro#{pid}")
            if pid in self.created or item is not self.original.get(pid):
                item.changed_by = self.actor
            if pid in self.created:
                action = db.Action("put", item, ProfessionalItem.pk.does_not_exist(), tag=unit)
            elif item is not self.original.get(pid):
                before = self.original[pid]
                item.version, item.updated_at = before.version + 1, self.now
                action = db.Action("put", item, ProfessionalItem.version == before.version,
                                   tag=unit)
            else:
                continue
            units.setdefault(unit, []).append(action)
        for pk, owner in self.owner.items():
            before = self.original_owner.get(pk)
            if owner == before:
                continue
            unit = self._find(pk)
            if owner is None:
                action = db.Action("delete", GuardItem(pk=pk), GuardItem.owner_id == before,
                                   tag=unit)
            else:
                condition = (GuardItem.pk.does_not_exist() if before is None
                             else GuardItem.owner_id == before)
                action = db.Action("put", GuardItem(pk=pk, owner_id=owner), condition, tag=unit)
            units.setdefault(unit, []).append(action)
        return units

    def commit(self) -> tuple[list[Row], list[Row]]:
        """Write every unit; returns (rows to re-decide next round, rows of oversized units)."""
        units = self._unit_actions()
        rows_of: dict[str, list[Row]] = {}
        for row in self.rows:
            rows_of.setdefault(self._find(f"row#{row[0]}"), []).append(row)
        retry = set()
        oversized = [u for u, actions in units.items() if len(actions) > db.TRANSACTION_MAX]
        packs: list[list[str]] = [[]]
        size = 0
        for unit in sorted(set(units) - set(oversized), key=lambda u: rows_of[u][0][0]):
            if size + len(units[unit]) > db.TRANSACTION_MAX:
                packs.append([])
                size = 0
            packs[-1].append(unit)
            size += len(units[unit])
        for pack in packs:
            retry |= self._commit_pack(pack, units)
        self._notify(set(units) - retry - set(oversized))
        # A fold that was cancelled is undone as a whole: its rows' outcomes come next round.
        again = {row[0]: row for unit in retry for row in rows_of.get(unit, [])}
        again.update((row[0], row) for row in self.stale)
        big = [row for unit in oversized for row in rows_of[unit]]
        return [again[i] for i in sorted(again)], sorted(big, key=lambda row: row[0])

    def _notify(self, written: set[str]) -> None:
        """Tell the verified previous address of every email the written units moved."""
        for pid, item in self.current.items():
            before = self.original.get(pid)
            if before is not None and before.email != item.email \
                    and self._find(f"pro#{pid}") in written:
                email_moved(before)

    def _commit_pack(self, pack: list[str], units: dict[str, list[db.Action]]) -> set[str]:
        remaining = list(pack)
        named: set[str] = set()
        for attempt in range(TRANSACTION_ATTEMPTS):
            if not remaining:
                return named
            try:
                db.transact([a for unit in remaining for a in units[unit]])
                return named
            except db.Cancelled as cancelled:
                failed = {action.tag for action, _, _ in cancelled.failed}
                named |= failed
                remaining = [u for u in remaining if u not in failed]
            except db.StoreUnavailable:
                db.backoff(attempt)
        return named | set(remaining)

