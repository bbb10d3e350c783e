"""DynamoDB Local answers a guarded TransactWriteItems the way DynamoDB does."""

import uuid

import boto3
import pytest
from botocore.exceptions import ClientError



@pytest.fixture
def dynamodb(dynamodb_local_endpoint: str):  # noqa: F811
    return boto3.client(
        "dynamodb",
        endpoint_url=dynamodb_local_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_guarded_transaction_cancels_the_second_writer(dynamodb) -> None:
    table = f"guards-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.get_waiter("table_exists").wait(TableName=table)

    def guarded_puts() -> list[dict]:
        return [
            {
                "Put": {
                    "TableName": table,
                    "Item": {"pk": {"S": key}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for key in ("EMAIL#ada@example.com", "PHONE#+15555550100")
        ]

    dynamodb.transact_write_items(TransactItems=guarded_puts())

    with pytest.raises(ClientError) as caught:
        dynamodb.transact_write_items(TransactItems=guarded_puts())

    error = caught.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    reasons = [reason["Code"] for reason in error["CancellationReasons"]]
    assert reasons == ["ConditionalCheckFailed", "ConditionalCheckFailed"]
    assert dynamodb.scan(TableName=table)["Count"] == 2
