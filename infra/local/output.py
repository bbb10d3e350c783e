"""The stack's output: one line at a time, prefixed with the component's name."""
from __future__ import annotations

import re
import sys
import threading
import time
from typing import IO

print_lock = threading.Lock()
ANSI = re.compile(r"\x1b\[[0-9;]*m")
_STARTED = time.monotonic()


def emit(prefix: str, line: str, stream: IO[str] | None = None) -> None:
    with print_lock:
        out = stream or sys.stdout
        try:
            out.write(f"[{prefix}] {line.rstrip()}\n")
            out.flush()
        except (OSError, ValueError):
            pass  # the terminal is gone: keep draining the children's output all the same


def say(line: str) -> None:
    emit("stack", f"{time.monotonic() - _STARTED:5.1f}s {line}")
