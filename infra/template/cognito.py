"""Staff accounts (contract 8.2): the Cognito user pool, the SPA's public app client, the three
groups, and the settings the API reads (``function_env``). The API checks the access tokens
itself (chalicelib/staff_users.py; docs/decisions.md says why not an API Gateway authorizer), so
no function needs any Cognito permission: the JWKS is public and ``GetUser`` is authorized by
the user's own token. Operators manage users with ``python -m infra staff`` (their own IAM)."""
from __future__ import annotations

from typing import Any

from infra.local.cognito import GROUP_DESCRIPTIONS, GROUPS, PASSWORD_POLICY
from infra.template.cfn import getatt, ref, sub
from infra.template.settings import APP
from infra.template.stack import Stack

POOL = "StaffUserPool"
CLIENT = "StaffSpaClient"
# Deployed clients: SRP (the password never leaves the browser) and refresh, nothing else.
SPA_AUTH_FLOWS = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
ACCESS_TOKEN_HOURS = 1  # a change of group or a disabled account bites within this
ID_TOKEN_HOURS = 1
REFRESH_TOKEN_DAYS = 30
# Cognito picks the strongest by lowest precedence when it must choose one role (we read all).
PRECEDENCE = {"admin": 1, "editor": 2, "viewer": 3}


def cognito(t: Stack) -> None:
    t.add(POOL, "AWS::Cognito::UserPool", {
        "UserPoolName": f"{APP}-{t.stage}-staff",
        "UsernameAttributes": ["email"],
        "UsernameConfiguration": {"CaseSensitive": False},
        "AutoVerifiedAttributes": ["email"],
        "Policies": {"PasswordPolicy": PASSWORD_POLICY},
        # TOTP (an authenticator app) for whoever enrols; admins must (docs/operations.md). No
        # SMS: it needs a role and costs, and is the weaker factor.
        "MfaConfiguration": "OPTIONAL",
        "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
        # Nobody signs themselves up: an admin invites (python -m infra staff add).
        "AdminCreateUserConfig": {
            "AllowAdminCreateUserOnly": True,
            "InviteMessageTemplate": {
                "EmailSubject": "Your staff account for the professionals console",
                # No link: the site's address would make the pool depend on the distribution,
                # which depends on the API, whose function reads the pool's id (a cycle). The
                # operator sends the address (docs/operations.md, "Staff accounts").
                "EmailMessage": "You have a staff account for the professionals console: sign "
                                "in with {username} and the temporary password {####} (valid 7 "
                                "days); you will choose your own password."},
        },
        "AccountRecoverySetting": {"RecoveryMechanisms": [
            {"Name": "verified_email", "Priority": 1}]},
        "DeletionProtection": "ACTIVE" if t.s.protect_data else "INACTIVE",
        "UserPoolAddOns": {"AdvancedSecurityMode": "OFF"},
    }, **t.retention())
    t.add(CLIENT, "AWS::Cognito::UserPoolClient", {
        "UserPoolId": ref(POOL),
        "ClientName": f"{APP}-{t.stage}-spa",
        "GenerateSecret": False,  # a browser cannot keep a secret
        "ExplicitAuthFlows": SPA_AUTH_FLOWS,
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": True,  # sign-out and `staff disable` revoke refresh tokens
        "AccessTokenValidity": ACCESS_TOKEN_HOURS,
        "IdTokenValidity": ID_TOKEN_HOURS,
        "RefreshTokenValidity": REFRESH_TOKEN_DAYS,
        "TokenValidityUnits": {"AccessToken": "hours", "IdToken": "hours",
                               "RefreshToken": "days"},
    })
    for group in GROUPS:
        t.add(f"Staff{group.capitalize()}Group", "AWS::Cognito::UserPoolGroup", {
            "UserPoolId": ref(POOL), "GroupName": group,
            "Description": GROUP_DESCRIPTIONS[group], "Precedence": PRECEDENCE[group]})
    t.outputs["StaffUserPoolId"] = {
        "Value": ref(POOL),
        "Description": "the staff user pool (COGNITO_USER_POOL_ID for python -m infra staff)"}
    t.outputs["StaffUserPoolClientId"] = {"Value": ref(CLIENT),
                                          "Description": "the SPA's public app client"}
    t.outputs["StaffUserPoolArn"] = {"Value": getatt(POOL, "Arn")}


def function_env() -> dict[str, Any]:
    """The API's (and the usage-plan authorizer's) view of the pool: its id and client; the
    issuer and the JWKS URL follow from them and the region."""
    return {"COGNITO_USER_POOL_ID": ref(POOL), "COGNITO_CLIENT_ID": ref(CLIENT),
            "COGNITO_REGION": sub("${AWS::Region}")}
