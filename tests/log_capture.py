"""The JSON lines the app's logger (chalicelib.logs) writes during a test, parsed."""
from __future__ import annotations

import io
import json
import logging

import pytest

from chalicelib import logs


@pytest.fixture
def log_lines():
    """``log_lines()``: every line so far; ``log_lines("request")``: those with that message.

    The lines are formatted by the logger's own Powertools formatter, as in Lambda."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.log.registered_formatter)
    logger = logging.getLogger(logs.SERVICE)
    logger.addHandler(handler)

    def lines(message: str | None = None) -> list[dict]:
        parsed = [json.loads(line) for line in stream.getvalue().splitlines()]
        return [line for line in parsed if message is None or line["message"] == message]
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
