"""The tests' entry to the invariant checker that `python -m infra verify` runs on real tables."""
from infra.verify import find_violations


def assert_invariants() -> None:
    violations = find_violations()
    assert violations == [], violations
