"""Where a resumable operator command (``search reindex``, ``vectors reindex``) stopped: one
item of the search index table, so a run cut short (Ctrl-C, a lost session) goes on from there
and a finished run leaves nothing behind."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.search import index


class Checkpoint:
    def __init__(self, name: str) -> None:
        self.key = {"pk": f"META#{name}", "sk": "META"}

    def load(self) -> dict[str, Any] | None:
        raw = index.get_item(self.key)
        return json.loads(raw["position"]) if raw and "position" in raw else None

    def save(self, position: dict[str, Any]) -> None:
        index.put_item({**self.key, "position": json.dumps(position)})

    def clear(self) -> None:
        index.delete_item(self.key)
