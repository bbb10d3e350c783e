"""What every part of the local stack shares: paths, the host, the stage, the stack's error."""
from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = PROJECT_ROOT / ".local"
HOST = "127.0.0.1"
STAGE = "local"
EMULATORS = ("moto", "localstack")
EXIT_BUSY = 3  # port taken, or a stack already runs from this data folder


class StackError(RuntimeError):
    """The stack cannot start; the message says why and what to do."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code
