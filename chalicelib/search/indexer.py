"""The professionals table's stream -> the search index (work in progress)."""
from __future__ import annotations

from typing import Any

PLACEHOLDER_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/professionals/stream/placeholder"


def handle_stream_records(records: list[dict[str, Any]]) -> list[str]:
    """Index each record in order; returns the sequence numbers to retry (the first failure)."""
    return []
