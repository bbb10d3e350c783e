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


# -- the search index against the table ---------------------------------------------------------

def check_search_index(sample: int | None = 200) -> dict:
    """Compare the search index with the table: each checked professional's DOC item reflects its
    current version and content, and every posting it should have is there; with ``sample=None``
    (whole), also no posting or document of a professional that is gone or that its DOC item
    does not list. Writes in flight (the stream is asynchronous) show up as problems: run it on
    a quiet table, or again."""
    import random

    from chalicelib.search import index, indexer
    people = [i for i in scan_all() if isinstance(i, ProfessionalItem)]
    checked = people if sample is None else random.sample(people, min(sample, len(people)))
    problems: list[str] = []
    expected_keys: dict[str, set] = {}
    for person in checked:
        state = index.read_state(person.id)
        doc = indexer.document(dict(person.attribute_values), None)
        want = set(doc.postings())
        expected_keys[person.id] = want
        if state is None or state.gone:
            problems.append(f"professional {person.id} is not indexed")
            continue
        if state.version != person.version or state.digest != doc.digest():
            problems.append(f"professional {person.id}: index at version {state.version}, "
                            f"table at {person.version}")
        if set(state.keys) != want:
            problems.append(f"professional {person.id}: {len(want - set(state.keys))} posting(s) "
                            f"missing, {len(set(state.keys) - want)} stale")
        present = index.existing_keys(sorted(want))
        if present != want:
            problems.append(f"professional {person.id}: {len(want - present)} posting(s) absent "
                            "from the index table")
    if sample is None:
        alive = {p.id for p in people}
        for item in index.scan_items():
            if index.is_shared(item):
                continue
            owner = item.get("id")
            if item["sk"] == index.DOC_SK:
                if owner not in alive and not item.get("gone"):
                    problems.append(f"document of deleted professional {owner}")
            elif owner not in alive:
                problems.append(f"posting {item['pk']} of deleted professional {owner}")
            elif (item["pk"], item["sk"]) not in expected_keys.get(owner, set()):
                problems.append(f"posting {item['pk']} / {item['sk']} no longer matches {owner}")
    return {"checked": len(checked), "professionals": len(people), "problems": problems}
