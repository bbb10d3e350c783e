"""The deployed staff accounts (contract 8.2) in the template, without packaging: the pool, the
SPA's client (SRP and refresh only, no secret, the lifetimes docs/operations.md states), the
groups, and the settings the API and the usage-plan authorizer read."""
from __future__ import annotations

import pytest

from infra import template
from infra.local import cognito as local_cognito


@pytest.fixture(scope="module", params=["dev", "prod"])
def built(request):
    return request.param, template.build(request.param)


def of_type(doc, kind):
    return {name: r["Properties"] for name, r in doc["Resources"].items()
            if r.get("Type") == kind}


def test_one_pool_with_email_usernames_totp_and_invitations_only(built):
    stage, doc = built
    (name, pool), = of_type(doc, "AWS::Cognito::UserPool").items()
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    assert (pool["MfaConfiguration"], pool["EnabledMfas"]) == ("OPTIONAL", ["SOFTWARE_TOKEN_MFA"])
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    assert pool["DeletionProtection"] == ("ACTIVE" if stage == "prod" else "INACTIVE")
    assert doc["Resources"][name]["DeletionPolicy"] == ("Retain" if stage == "prod" else "Delete")


def test_the_spas_client_is_public_srp_and_refresh_only_with_the_documented_lifetimes(built):
    _, doc = built
    (_, client), = of_type(doc, "AWS::Cognito::UserPoolClient").items()
    assert client["GenerateSecret"] is False
    assert sorted(client["ExplicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH",
                                                   "ALLOW_USER_SRP_AUTH"]
    assert client["EnableTokenRevocation"] is True
    assert (client["AccessTokenValidity"], client["IdTokenValidity"],
            client["RefreshTokenValidity"]) == (1, 1, 30)
    assert client["TokenValidityUnits"] == {"AccessToken": "hours", "IdToken": "hours",
                                            "RefreshToken": "days"}


def test_the_three_groups(built):
    _, doc = built
    groups = {g["GroupName"] for g in of_type(doc, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == set(local_cognito.GROUPS) == {"viewer", "editor", "admin"}


def test_the_api_and_the_authorizer_read_the_pool_and_client(built):
    _, doc = built
    for function in ("APIHandler", "KeyAuthorizer"):
        env = doc["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert env["COGNITO_USER_POOL_ID"] == {"Ref": "StaffUserPool"}, function
        assert env["COGNITO_CLIENT_ID"] == {"Ref": "StaffSpaClient"}, function
        assert "COGNITO_ENDPOINT" not in env  # AWS's own: issuer and JWKS from the region
    assert {"StaffUserPoolId", "StaffUserPoolClientId"} <= set(doc["Outputs"])
