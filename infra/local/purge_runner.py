"""The local stand-in for the hourly ``purge_unconfirmed`` schedule (EventBridge, deployed).

Every ``PURGE_INTERVAL_SECONDS`` (default 3600), and once shortly after start, it runs
``chalicelib.purge.purge_unconfirmed`` (what the scheduled Lambda calls): anonymous sign-ups
whose address was not confirmed within 30 days are erased. A failed run (the emulator
restarting, say) is logged and tried again at the next tick, as the next scheduled event would.

Run by ``infra.local_stack``; alone: ``python -m infra.local.purge_runner`` with the stack's env.
By hand, once: ``python -m infra purge-unconfirmed [--dry-run]``.
"""
from __future__ import annotations

import logging
import os
import threading

from infra.local.workers import run_until_sigterm, setup_logging

FIRST_RUN_DELAY_SECONDS = 5.0
log = logging.getLogger("signup.purge_runner")


def run(interval: float, stopping: threading.Event) -> None:
    from chalicelib import purge
    log.info("purging unconfirmed sign-ups every %.0f s", interval)
    wait = FIRST_RUN_DELAY_SECONDS
    while not stopping.wait(wait):
        wait = interval
        try:
            erased = purge.purge_unconfirmed()
            if erased:
                log.info("erased %d unconfirmed sign-up(s): %s", len(erased), ", ".join(erased))
        except Exception:  # the next tick tries again, as the next scheduled event would
            log.exception("purge failed; trying again in %.0f s", interval)


def main() -> int:
    setup_logging()
    interval = float(os.environ.get("PURGE_INTERVAL_SECONDS") or 3600)
    stopping = threading.Event()
    return run_until_sigterm(lambda: run(interval, stopping), stopping.set, log)


if __name__ == "__main__":
    raise SystemExit(main())
