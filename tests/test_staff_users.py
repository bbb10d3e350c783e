"""Staff accounts (contract 8.2): Cognito access tokens checked by the API itself."""
from __future__ import annotations



def test_an_editor_token_from_moto_cognito_lists_professionals(api, cognito):
    token = cognito.token("ed@example.com", "editor")
    response = api.call("GET", "/professionals", who=f"Bearer {token}")
    assert response.status_code == 200, response.json
