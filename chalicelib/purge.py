"""The 30-day purge: anonymous sign-ups whose address nobody confirmed are erased.

Candidates come from the sparse ``by_unconfirmed`` index (only unconfirmed anonymous sign-ups
carry its keys, ordered by ``confirm_by``), one Query a page, never a Scan. Each is read again
(strongly) and erased only while it is still unconfirmed and past its deadline, exactly as a
DELETE would (professionals.delete: record, guards, resume files; the stream takes the search
entries), so a confirmation that lands first wins. Runs hourly (``@app.schedule`` deployed;
infra/local/purge_runner.py locally; ``python -m infra purge-unconfirmed`` by hand).
"""
from __future__ import annotations

from datetime import datetime

from chalicelib import clock, db, metrics
from chalicelib.confirmation import UNCONFIRMED
from chalicelib.errors import NotFound
from chalicelib.history import actors
from chalicelib.logs import log
from chalicelib.models import ProfessionalItem

PAGE = 100


def due(now: datetime | None = None) -> list[ProfessionalItem]:
    """Unconfirmed sign-ups past their deadline at ``now``, as the index shows them."""
    moment = clock.iso(now or clock.now())
    return db.query(ProfessionalItem.by_unconfirmed, UNCONFIRMED,
                    range_key_condition=ProfessionalItem.confirm_by <= moment, page_size=PAGE)


def purge_unconfirmed(now: datetime | None = None, *, dry_run: bool = False) -> list[str]:
    """Erase what is due at ``now`` (injected by tests); returns the ids erased (or, in a dry
    run, that would be)."""
    from chalicelib import professionals
    moment = clock.iso(now or clock.now())

    def still_due(item: ProfessionalItem) -> bool:
        return item.unconfirmed == UNCONFIRMED and not item.email_verified \
            and item.confirm_by is not None and item.confirm_by <= moment

    erased = []
    for candidate in due(now):
        if dry_run:
            erased.append(candidate.id)
            continue
        try:
            if professionals.delete(candidate.id, only_if=still_due,
                                    by=actors.PURGER) is not None:
                erased.append(candidate.id)
        except NotFound:
            continue  # erased meanwhile (by the person, or an overlapping run)
    log.info("purge unconfirmed", erased=len(erased), dry_run=dry_run, before=moment)
    if erased and not dry_run:
        metrics.emit({"UnconfirmedPurged": len(erased)})
    return erased
