"""Single-use links under a race, on DynamoDB Local (real transactions): eight clicks of one
mailed link open one session, and the credential generation moves once."""
from __future__ import annotations

import pytest

from chalicelib import auth, confirmation, db, professionals
from chalicelib.auth import Caller
from chalicelib.errors import BadRequest
from chalicelib.models import UsedLinkItem, professional_pk, used_link_pk
from tests.test_concurrency_ddblocal import ddb_table, race  # noqa: F401

pytestmark = pytest.mark.ddblocal


def test_eight_concurrent_uses_of_one_link_open_one_session(ddb_table):
    item = professionals.create({"full_name": "Ada", "email": "ada@example.com", "consent": True},
                                Caller(role="anonymous"))
    link = auth.issue_email_token(item)
    outcomes = race(8, lambda n: confirmation.open_session({"token": link}))
    opened = [value for kind, value in outcomes if kind == "ok"]
    refused = [value for kind, value in outcomes if kind == "raised"]
    assert len(opened) == 1, outcomes
    assert len(refused) == 7 and all(isinstance(e, BadRequest) for e in refused), refused
    stored = db.get(professional_pk(item.id))
    assert stored.email_verified is True and stored.credential_generation == 1
    assert stored.version == item.version + 1
    marker = db.get(used_link_pk(auth.open_email_token(link).token_id))
    assert isinstance(marker, UsedLinkItem)
    # The one session's token is of the new generation and names the caller as the person.
    _, token = opened[0]
    assert auth.identify({"authorization": f"Bearer {token}"}).professional_id == item.id
