"""The SPA in Debian's headless Chromium against the real local stack (frontend/e2e): the sign-up,
bulk import and staff console (``npm run e2e``), the self-service pages of issue 13 with the
mailed link read from the stack's mail viewer (``npm run e2e:self-service``), and the staff
accounts of contract 8.2 (``npm run e2e:staff-roles``: a viewer invited with a temporary password,
viewer mode, the History panel). The console signs in as the stack's admin user."""
from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest

from infra.local import cognito as local_cognito
from tests.cognito_helpers import new_password, stack_cognito

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"

pytestmark = pytest.mark.e2e


def spa_env(stack) -> dict[str, str]:
    """What every SPA e2e script needs: the stack, its staff key (the scripts' own API calls) and
    its admin user (the console's sign-in)."""
    pool = stack_cognito(stack)
    return {**os.environ, "E2E_BASE_URL": stack.url, "E2E_STAFF_KEY": stack.keys["staff"],
            "E2E_ADMIN_EMAIL": pool.admin_email, "E2E_ADMIN_PASSWORD": pool.admin_password,
            "E2E_OUTPUT_DIR": str(FRONTEND / "test-output" / stack.emulator)}


def invite_viewer(stack) -> dict[str, str]:
    """A viewer invited as ``python -m infra staff add`` does: a temporary password, to be
    replaced at the first sign-in; and a user in no group."""
    pool = stack_cognito(stack)
    client = pool.client()
    email = f"viewer-{secrets.token_hex(4)}@example.com"
    temporary = new_password()
    client.admin_create_user(
        UserPoolId=pool.user_pool_id, Username=email, TemporaryPassword=temporary,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}])
    local_cognito.set_group(client, pool.user_pool_id, email, "viewer")
    # And a user in no group yet, with a permanent password.
    nobody, password = f"norole-{secrets.token_hex(4)}@example.com", new_password()
    pool.token(nobody, None, password)
    return {"E2E_VIEWER_EMAIL": email, "E2E_VIEWER_TEMP_PASSWORD": temporary,
            "E2E_NOROLE_EMAIL": nobody, "E2E_NOROLE_PASSWORD": password}


@pytest.mark.parametrize("script", ["e2e", "e2e:self-service", "e2e:import-job", "e2e:staff-roles"])
def test_spa_in_chromium(stack, script):
    env = spa_env(stack)
    if script == "e2e:staff-roles":
        env.update(invite_viewer(stack))
    run = subprocess.run(["npm", "run", "--silent", script], cwd=FRONTEND, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
