"""``python -m infra emails canonicalize [--dry-run]``: bring stored emails to their canonical form.

Contract 8.1, "One mailbox, one record": an email is stored as Unicode NFC, lower-cased, with
its domain as U-labels (chalicelib.validation.normalise_email). Records written before that rule
may hold another spelling of their mailbox (decomposed, or an ``xn--`` domain), which the API no
longer writes and no longer finds. Run once after deploying the version with the rule, dry run
first (docs/operations.md). For each professional:

- stored email already canonical: nothing;
- another spelling: the record (conditioned on its version) and its ``EMAIL#`` guard (the old
  one deleted on condition that it is the record's, the new one put only if free) are rewritten
  in ONE TransactWriteItems. ``email_verified`` and the rest stay as they are: it is the same
  mailbox, only spelt the way the API spells it now;
- the canonical form is held by another professional, or two records hold two spellings of one
  mailbox: a collision, reported with every id and stored spelling; nothing is merged or changed
  (the operator decides: erase or merge by hand, then run again);
- the stored address is no longer valid (letters of two scripts in one part): reported, unchanged.

Idempotent: a second run changes nothing. Exit status 1 while a collision, an invalid address
or a record that changed under the run remains.
"""
from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator


@dataclass
class Report:
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # id, stored, canonical
    collisions: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    invalid: list[tuple[str, str, str]] = field(default_factory=list)  # id, stored, reason
    skipped: list[tuple[str, str]] = field(default_factory=list)  # id, why
    canonical: int = 0

    @property
    def remaining(self) -> int:
        return len(self.collisions) + len(self.invalid) + len(self.skipped)


def add_command(commands: Any) -> None:
    emails = commands.add_parser("emails", help="stored emails: canonicalize")
    actions = emails.add_subparsers(dest="action", required=True)
    command = actions.add_parser(
        "canonicalize", help="rewrite stored emails to the canonical form; report collisions",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    command.add_argument("--dry-run", action="store_true",
                         help="report what would change, collide or be invalid; write nothing")


def run(args: argparse.Namespace) -> int:
    from chalicelib import db
    report = canonicalize(dry_run=args.dry_run, say=lambda line: print(line, flush=True))
    verb = "would change" if args.dry_run else "changed"
    print(f"{len(report.changed)} {verb}, {len(report.collisions)} collision(s), "
          f"{len(report.invalid)} invalid, {len(report.skipped)} skipped, {report.canonical} "
          f"already canonical, in table {db.bind()}"
          f"{' (dry run: nothing written)' if args.dry_run else ''}")
    return 1 if report.remaining else 0


def canonicalize(*, dry_run: bool = False, say: Callable[[str], None] = print) -> Report:
    from chalicelib import validation
    report = Report()
    pending: dict[str, list[tuple[str, str]]] = defaultdict(list)  # canonical -> [(id, stored)]
    for professional_id, stored in _stored_emails():
        try:
            canonical = validation.normalise_email(stored)
        except ValueError as exc:
            report.invalid.append((professional_id, stored, str(exc)))
            say(f"invalid   {professional_id}: {_shown(stored)}: {exc}")
            continue
        if canonical == stored:
            report.canonical += 1
        else:
            pending[canonical].append((professional_id, stored))
    for canonical, holders in pending.items():
        holder = _guard_owner(canonical)
        ids = {professional_id for professional_id, _ in holders}
        if holder and holder not in ids:  # a record already stored in the canonical spelling
            holders = [(holder, canonical), *holders]
        if len(holders) > 1:
            _collision(report, say, canonical, holders)
        else:
            _move(report, say, canonical, *holders[0], dry_run=dry_run)
    return report


def _stored_emails() -> Iterator[tuple[str, str]]:
    """(id, email) of every professional with an email. An operator's one-off over the whole
    table, so a Scan (paginated, projected to three attributes) is acceptable here; the API
    never scans."""
    from chalicelib import db
    table = db.bind()
    paginator = db.connection().client.get_paginator("scan")
    pages = paginator.paginate(
        TableName=table, ConsistentRead=True, ProjectionExpression="#id, #email",
        FilterExpression="#kind = :professional AND attribute_exists(#email)",
        ExpressionAttributeNames={"#id": "id", "#email": "email", "#kind": "kind"},
        ExpressionAttributeValues={":professional": {"S": "professional"}})
    for page in pages:
        for raw in page.get("Items", []):
            yield raw["id"]["S"], raw["email"]["S"]


def _guard_owner(email: str) -> str | None:
    from chalicelib import db
    from chalicelib.models import GuardItem, guard_pk
    guard = db.get(guard_pk("email", email))
    return guard.owner_id if isinstance(guard, GuardItem) else None


def _move(report: Report, say: Callable[[str], None], canonical: str, professional_id: str,
          stored: str, *, dry_run: bool) -> None:
    """Re-spell one record's email and move its guard, in one transaction."""
    from chalicelib import db
    from chalicelib.clock import now_iso
    from chalicelib.models import ProfessionalItem, professional_pk
    from chalicelib.professionals import copy_item, guard_moves
    item = db.get(professional_pk(professional_id))  # afresh: the scan may be minutes old
    if not isinstance(item, ProfessionalItem) or item.email != stored:
        report.skipped.append((professional_id, "changed while this ran"))
        say(f"skipped   {professional_id}: changed while this ran; run the command again")
        return
    new = copy_item(item)
    # Same mailbox, another spelling: email_verified stays (confirmation.email_changed, which
    # unverifies a new address, is deliberately not called), and no notice is mailed.
    new.email, new.version, new.updated_at = canonical, item.version + 1, now_iso()
    if not dry_run:
        try:
            db.transact([db.Action("put", new, ProfessionalItem.version == item.version),
                         *guard_moves(item, new)])
        except db.Cancelled as cancelled:
            owners = [raw.get("owner_id", {}).get("S", "?") if raw else "?"
                      for action, code, raw in cancelled.failed
                      if action.tag == "email" and code == "ConditionalCheckFailed"]
            if owners:  # taken between the look-up and the write
                _collision(report, say, canonical, [(owners[0], canonical),
                                                    (professional_id, stored)])
            else:
                report.skipped.append((professional_id, "changed while this ran"))
                say(f"skipped   {professional_id}: changed while this ran; run the command "
                    "again")
            return
    report.changed.append((professional_id, stored, canonical))
    say(f"{'would change' if dry_run else 'changed'}   {professional_id}: {_shown(stored)} -> "
        f"{_shown(canonical)}")


def _collision(report: Report, say: Callable[[str], None], canonical: str,
               holders: list[tuple[str, str]]) -> None:
    report.collisions.append((canonical, holders))
    held = "; ".join(f"{professional_id} holds {_shown(stored)}"
                     for professional_id, stored in holders)
    say(f"collision {_shown(canonical)}: {held}; nothing changed (erase or merge by hand)")


def _shown(email: str) -> str:
    """An address as stored, followed by its escaped form when it is not ASCII: NFD and NFC
    spellings look the same on a terminal."""
    return email if email.isascii() else f"{email} {ascii(email)}"
