"""The SPA in Debian's headless Chromium against the real local stack (frontend/e2e): the sign-up,
bulk import and staff console (``npm run e2e``), and the self-service pages of issue 13 with the
mailed link read from the stack's mail viewer (``npm run e2e:self-service``)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("script", ["e2e", "e2e:self-service", "e2e:import-job"])
def test_spa_in_chromium(stack, script):
    env = {**os.environ, "E2E_BASE_URL": stack.url, "E2E_STAFF_KEY": stack.keys["staff"],
           "E2E_OUTPUT_DIR": str(FRONTEND / "test-output" / stack.emulator)}
    run = subprocess.run(["npm", "run", "--silent", script], cwd=FRONTEND, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
