"""The SPA in Debian's headless Chromium against the real local stack (frontend/e2e)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"

pytestmark = pytest.mark.e2e


def test_spa_in_chromium(stack):
    env = {**os.environ, "E2E_BASE_URL": stack.url, "E2E_STAFF_KEY": stack.keys["staff"],
           "E2E_OUTPUT_DIR": str(FRONTEND / "test-output" / stack.emulator)}
    run = subprocess.run(["npm", "run", "--silent", "e2e"], cwd=FRONTEND, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
