"""Staff accounts (contract 8.2) over HTTP on the running local stack, both emulators: the
printed admin signs in to the stack's Cognito (moto; beside LocalStack too), the API takes the
access token; a viewer added with ``python -m infra staff`` reads and is refused every write;
a disabled user's refresh token dies."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.cognito_helpers import stack_cognito
from tests.e2e.conftest import unique_email
from tests.e2e.stack import PROJECT_ROOT, stack_env

pytestmark = pytest.mark.e2e


def staff_cli(stack, *args: str) -> dict | list:
    """``python -m infra staff ...`` as an operator runs it beside ``make run``: the shell names
    no pool; the command finds the running stack in its data folder."""
    done = subprocess.run([sys.executable, "-m", "infra", "staff", *args], cwd=PROJECT_ROOT,
                          env=stack_env(LOCAL_DATA_DIR=str(stack.data_dir)),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return lines[0] if args[0] != "list" else lines


def test_auth_config_names_the_stacks_pool(stack, http):
    pool = stack_cognito(stack)
    config = http.get(f"{stack.api}/auth/config", timeout=30).json()
    assert config == {"region": pool.region, "user_pool_id": pool.user_pool_id,
                      "client_id": pool.client_id, "endpoint": pool.endpoint}
    # The SPA's way in (SRP) and the tools' (ADMIN_USER_PASSWORD_AUTH) are both allowed.
    described = pool.client().describe_user_pool_client(UserPoolId=pool.user_pool_id,
                                                        ClientId=pool.client_id)
    assert {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
            "ALLOW_ADMIN_USER_PASSWORD_AUTH"} <= set(
        described["UserPoolClient"]["ExplicitAuthFlows"])


def test_the_printed_admin_signs_in_and_uses_the_api(stack, http):
    pool = stack_cognito(stack)
    assert pool.admin_email in stack.log() and pool.admin_password in stack.log()  # printed
    admin = {"Authorization": f"Bearer {pool.admin_token()}"}
    listed = http.get(f"{stack.api}/professionals", headers=admin, timeout=30)
    assert listed.status_code == 200, listed.text
    created = http.post(f"{stack.api}/professionals", headers=admin, timeout=30,
                        json={"full_name": "Staff Made", "email": unique_email("staffmade")})
    assert created.status_code == 201, created.text
    assert created.json()["source"] == "internal"


def test_a_viewer_added_with_the_cli_reads_and_cannot_write(stack, http):
    pool = stack_cognito(stack)
    email = unique_email("viewer")
    added = staff_cli(stack, "add", email, "--group", "viewer")
    assert added["group"] == "viewer" and added["temporary_password"]
    client = pool.client()
    # The first sign-in asks for a new password, as the SPA's sign-in page does.
    challenge = client.admin_initiate_auth(
        UserPoolId=pool.user_pool_id, ClientId=pool.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": added["temporary_password"]})
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    answered = client.admin_respond_to_auth_challenge(
        UserPoolId=pool.user_pool_id, ClientId=pool.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": "Viewer-new-pass-123"})
    viewer = {"Authorization": f"Bearer {answered['AuthenticationResult']['AccessToken']}"}
    listed = http.get(f"{stack.api}/professionals", headers=viewer, timeout=30)
    assert listed.status_code == 200, listed.text
    pid = listed.json()["items"][0]["id"]
    assert http.get(f"{stack.api}/professionals/{pid}", headers=viewer,
                    timeout=30).status_code == 200
    for method, path, body in (
            ("POST", "/professionals", {"full_name": "No", "email": unique_email("no")}),
            ("PATCH", f"/professionals/{pid}", {"job_title": "Changed"}),
            ("DELETE", f"/professionals/{pid}", None)):
        refused = http.request(method, f"{stack.api}{path}", headers=viewer, json=body,
                               timeout=30)
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.json()["error"]["code"] == "forbidden"
    users = {u["email"]: u for u in staff_cli(stack, "list")}
    assert users[email]["groups"] == ["viewer"] and users[pool.admin_email]["groups"] == ["admin"]

    promoted = staff_cli(stack, "group", email, "editor")
    assert promoted == {"email": email, "group": "editor"}
    editor = pool.sign_in(email, "Viewer-new-pass-123")
    assert http.patch(f"{stack.api}/professionals/{pid}", timeout=30, json={"job_title": "Ok"},
                      headers={"Authorization": f"Bearer {editor['AccessToken']}"}
                      ).status_code == 200

    staff_cli(stack, "disable", email)
    with pytest.raises(client.exceptions.NotAuthorizedException):
        client.admin_initiate_auth(
            UserPoolId=pool.user_pool_id, ClientId=pool.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": editor["RefreshToken"]})
