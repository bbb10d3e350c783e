"""The staff dashboard in Debian's headless Chromium against the real local stack (issue 22,
contract 8.6): a sign-up through the SPA counted within 10 s, the five charts drawn, every table
equal to ``GET /stats``, the 7/30/90-day picker in the URL, axe-core clean
(``frontend/e2e/dashboard.e2e.test.mjs``, ``npm run e2e:dashboard``)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_spa import spa_env

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"

pytestmark = pytest.mark.e2e


def test_dashboard_in_chromium(stack):
    env = spa_env(stack)
    run = subprocess.run(["npm", "run", "--silent", "e2e:dashboard"], cwd=FRONTEND, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
