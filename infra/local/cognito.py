"""The staff user pool of the local stack (contract 8.2), in moto server's Cognito: the pool
(email as username), the app client, the groups and the admin user. Idempotent, so a restart
against a kept emulator finds what it made. The deployed pool is infra/template/cognito.py's."""
from __future__ import annotations

from typing import Any

GROUPS = ("viewer", "editor", "admin")
GROUP_DESCRIPTIONS = {
    "viewer": "Reads professionals, resumes, history and stats; changes nothing.",
    "editor": "Everything a staff API key may do.",
    "admin": "An editor who may also read the history of deleted records.",
}
# The deployed client allows SRP and refresh only; locally, tools and tests sign in with
# ADMIN_USER_PASSWORD_AUTH as well (it needs IAM credentials, which a browser never has).
LOCAL_AUTH_FLOWS = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
                    "ALLOW_ADMIN_USER_PASSWORD_AUTH"]
PASSWORD_POLICY = {"MinimumLength": 12, "RequireUppercase": True, "RequireLowercase": True,
                   "RequireNumbers": True, "RequireSymbols": False,
                   "TemporaryPasswordValidityDays": 7}


def provision(endpoint: str, region: str, name: str, admin_email: str,
              admin_password: str) -> dict[str, str]:
    """The stack's pool and admin; the settings the API and the tools get (COGNITO_*)."""
    import boto3
    client = boto3.client("cognito-idp", region_name=region, endpoint_url=endpoint)
    made = ensure_pool(client, name)
    ensure_user(client, made["user_pool_id"], admin_email, admin_password, "admin")
    return {"COGNITO_USER_POOL_ID": made["user_pool_id"], "COGNITO_CLIENT_ID": made["client_id"],
            "COGNITO_REGION": region, "COGNITO_ENDPOINT": endpoint,
            # botocore's own variable: `python -m infra staff` and the AWS CLI find the pool too.
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": endpoint}


def ensure_pool(client: Any, name: str) -> dict[str, str]:
    """The pool named ``name`` with its app client and groups (made when missing)."""
    pool_id = next((p["Id"] for p in _pools(client) if p["Name"] == name), None)
    if pool_id is None:
        pool_id = client.create_user_pool(
            PoolName=name, UsernameAttributes=["email"], AutoVerifiedAttributes=["email"],
            Policies={"PasswordPolicy": PASSWORD_POLICY},
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        )["UserPool"]["Id"]
        # As deployed: MFA optional, with TOTP (an authenticator app) only, no SMS.
        client.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL",
                                        SoftwareTokenMfaConfiguration={"Enabled": True})
    clients = client.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)
    client_id = next((c["ClientId"] for c in clients.get("UserPoolClients", [])
                      if c["ClientName"] == "spa"), None)
    if client_id is None:
        client_id = client.create_user_pool_client(
            UserPoolId=pool_id, ClientName="spa", GenerateSecret=False,
            ExplicitAuthFlows=LOCAL_AUTH_FLOWS, PreventUserExistenceErrors="ENABLED",
            AccessTokenValidity=1, IdTokenValidity=1, RefreshTokenValidity=30,
            TokenValidityUnits={"AccessToken": "hours", "IdToken": "hours",
                                "RefreshToken": "days"},
        )["UserPoolClient"]["ClientId"]
    have = {g["GroupName"] for g in client.list_groups(UserPoolId=pool_id).get("Groups", [])}
    for group in GROUPS:
        if group not in have:
            client.create_group(UserPoolId=pool_id, GroupName=group,
                                Description=GROUP_DESCRIPTIONS[group])
    return {"user_pool_id": pool_id, "client_id": client_id}


def ensure_user(client: Any, pool_id: str, email: str, password: str, group: str) -> None:
    """A confirmed user with this (permanent) password, in ``group`` alone."""
    try:
        client.admin_get_user(UserPoolId=pool_id, Username=email)
    except client.exceptions.UserNotFoundException:
        client.admin_create_user(
            UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": email},
                            {"Name": "email_verified", "Value": "true"}])
    client.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password,
                                   Permanent=True)
    set_group(client, pool_id, email, group)


def set_group(client: Any, pool_id: str, email: str, group: str) -> None:
    """Put the user in ``group`` and take them out of the others (one role per user)."""
    if group not in GROUPS:
        raise ValueError(f"group must be one of {', '.join(GROUPS)}")
    held = client.admin_list_groups_for_user(UserPoolId=pool_id, Username=email)
    for other in held.get("Groups", []):
        if other["GroupName"] != group:
            client.admin_remove_user_from_group(UserPoolId=pool_id, Username=email,
                                                GroupName=other["GroupName"])
    client.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)


def _pools(client: Any) -> list[dict[str, Any]]:
    pools, token = [], None
    while True:
        page = client.list_user_pools(MaxResults=60, **({"NextToken": token} if token else {}))
        pools += page.get("UserPools", [])
        token = page.get("NextToken")
        if not token:
            return pools
