"""The local keys and the demo professionals, stored through the app's own code."""
from __future__ import annotations

from typing import Any

from infra.local.datadir import DataDir
from infra.local.output import say

DEMO_PROFESSIONALS = [
    # (full_name, email, phone, company_name, job_title, source)
    ("Ada Lovelace", "ada.lovelace@example.com", "+14155550101", "Analytical Engines Ltd",
     "Engineer", "internal"),
    ("Grace Hopper", "grace.hopper@example.com", "+14155550102", "Compiler Works",
     "Rear Admiral", "internal"),
    ("Alan Turing", "alan.turing@example.org", "+442079460103", "Bletchley Park Labs",
     "Mathematician", "direct"),
    ("Katherine Johnson", "katherine.johnson@example.com", "+17575550104", "Langley Research",
     "Mathematician", "direct"),
    ("Edsger Dijkstra", "edsger.dijkstra@example.org", "", "Structured Programs BV",
     "Professor", "internal"),
    ("Barbara Liskov", "", "+16175550106", "Substitution Systems", "Professor", "direct"),
    ("Margaret Hamilton", "margaret.hamilton@example.com", "+16175550107", "Apollo Software",
     "Director", "partner"),
    ("Donald Knuth", "donald.knuth@example.com", "+16505550108", "TeX Users Group",
     "Author", "partner"),
    ("Radia Perlman", "radia.perlman@example.com", "+14255550109", "Spanning Trees Inc",
     "Network Engineer", "partner"),
    ("Linus Torvalds", "linus.torvalds@example.org", "+15035550110", "", "Maintainer",
     "internal"),
]


def store_keys_and_seed(data: DataDir, staff_key: str | None, partner_key: str | None,
                        seed: bool) -> dict[str, str]:
    """Store the staff and partner keys, seed the demo data, mark the table ready; the keys."""
    from chalicelib import auth, db
    keys = data.keys(staff_key, partner_key)
    _, staff = auth.create_key("staff", "local-staff", keys["staff"])
    _, partner = auth.create_key("partner", "local-partner", keys["partner"])
    say("stored the local staff and partner keys")
    if seed:
        outcome = seed_demo_data(
            auth.Caller(role="staff", name=staff.name, key_id=staff.key_id),
            auth.Caller(role="partner", name=partner.name, key_id=partner.key_id))
        say(f"demo data: {outcome}")
    db.mark_ready()  # /api/health answers 200 from now on
    return keys


def seed_demo_data(staff: Any, partner: Any) -> str:
    """Upsert the demo professionals (partner ones through the partner key): idempotent."""
    from chalicelib import bulk
    fields = ("full_name", "email", "phone", "company_name", "job_title")
    staff_rows, partner_rows = [], []
    for name, email, phone, company, title, source in DEMO_PROFESSIONALS:
        row = {k: v for k, v in zip(fields, (name, email, phone, company, title)) if v}
        if source == "partner":
            partner_rows.append(row)
        else:
            staff_rows.append({**row, "source": source})
    summary = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    failures = []
    for rows, caller in ((staff_rows, staff), (partner_rows, partner)):
        result = bulk.bulk_upsert(rows, caller)
        for key, value in result["summary"].items():
            summary[key] += value
        failures += [r["error"] for r in result["results"] if r["status"] == "failed"]
    for error in failures:
        say(f"warning: a demo row failed: {error}")
    return ", ".join(f"{n} {k}" for k, n in summary.items())
