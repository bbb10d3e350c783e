"""The uniqueness invariant, checked over a whole table.

Every guard points at a professional that holds its value, and every professional's e-mail and
phone have a guard pointing back. Run by the tests after writing, and against a real table with
``python -m infra verify``.
"""
from __future__ import annotations

from chalicelib import db
from chalicelib.models import GuardItem, ProfessionalItem, TableItem, guard_pk
from chalicelib.professionals import UNIQUE_FIELDS


def scan_all() -> list[TableItem]:
    table = db.bind()
    paginator = db.connection().client.get_paginator("scan")
    items = []
    for page in paginator.paginate(TableName=table, ConsistentRead=True):
        items.extend(TableItem.from_raw_data(raw) for raw in page.get("Items", []))
    return items


def find_violations() -> list[str]:
    items = scan_all()
    people = {i.id: i for i in items if isinstance(i, ProfessionalItem)}
    guards = {i.pk: i.owner_id for i in items if isinstance(i, GuardItem)}
    problems = []
    for pk, owner in guards.items():
        field, _, value = pk.partition("#")
        person = people.get(owner)
        if person is None:
            problems.append(f"guard {pk} points at missing professional {owner}")
        elif getattr(person, field.lower()) != value:
            problems.append(f"guard {pk} points at {owner}, whose {field.lower()} differs")
    for person in people.values():
        for field in UNIQUE_FIELDS:
            value = getattr(person, field)
            if value and guards.get(guard_pk(field, value)) != person.id:
                problems.append(f"professional {person.id} has a {field} without its guard")
        if not person.email and not person.phone:
            problems.append(f"professional {person.id} has neither email nor phone")
    return problems
