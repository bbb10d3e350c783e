"""docs/operations.md against the template: every function is in the stage's table and in
Permissions (issue 22 found the lists functions behind), and nothing is listed that is gone."""
from __future__ import annotations

import re
from pathlib import Path

from infra import template

OPERATIONS = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def _section(text: str, heading: str) -> str:
    return text[text.index(f"\n## {heading}\n"):].split("\n## ")[1]


def test_operations_md_lists_every_function_of_the_template():
    functions = {name for name, resource in template.build("dev")["Resources"].items()
                 if "Runtime" in resource.get("Properties", {})}
    text = OPERATIONS.read_text()
    stage = set(re.findall(r"^\| Lambda `(\w+)` \|", _section(text, "What a stage is made of"),
                           re.M))
    permissions = set(re.findall(r"^\| `(\w+)` \|", _section(text, "Permissions"), re.M))
    assert len(functions) >= 8
    assert stage == functions
    assert permissions == functions


def test_operations_md_names_every_metric_the_code_emits():
    root = OPERATIONS.parents[1]
    source = "\n".join(path.read_text() for path in [root / "app.py",
                                                     *(root / "chalicelib").rglob("*.py")])
    emitted = {name for values in re.findall(r"metrics\.emit\(\{([^}]*)\}", source)
               for name in re.findall(r'"(\w+)":', values)}
    emitted |= set(re.findall(r'metrics\.duration\("(\w+)"', source))
    assert {"RowsCreated", "MailSent", "UnconfirmedPurged", "SearchLatency"} <= emitted
    documented = set(re.findall(r"`(\w+)`", _section(OPERATIONS.read_text(), "Logs and metrics")))
    assert emitted - documented == set()
