"""Session-wide DynamoDB Local for tests that need AWS's real emulator.

The main conftest imports ``dynamodb_local_endpoint`` from here, so every test
can request it; the emulator starts only when a test asks for it.
"""

from collections.abc import Iterator

import pytest

from infra.dynamodb_local import DynamoDBLocal


@pytest.fixture(scope="session")
def dynamodb_local_endpoint() -> Iterator[str]:
    """Endpoint URL of one in-memory DynamoDB Local shared by the whole test session."""
    with DynamoDBLocal() as ddb:
        yield ddb.endpoint_url
