"""The stack's stream worker: the professionals table's stream (DynamoDB Local's own) read and
handed to the app's ``index_search`` as Lambda would, the search table and DLQ in place."""
from __future__ import annotations

import boto3
import pytest

from tests.e2e.conftest import unique_email, wait_until

pytestmark = pytest.mark.e2e


def handled_lines(stack) -> list[str]:
    return [line for line in stack.log().splitlines()
            if line.startswith("[stream]") and "handled in" in line]


def test_the_stack_reads_the_tables_stream_from_dynamodb(stack):
    env, endpoints = stack.env, stack.state["endpoints"]
    assert "stream" in stack.child_pids()
    assert f":table/{env['TABLE_NAME']}/stream/" in env["PROFESSIONALS_STREAM_ARN"]
    # DynamoDB Local serves the stream, never the S3/SQS emulator
    assert env["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] == endpoints["dynamodb"]
    line = stack.wait_for_log("[stream]")
    assert env["PROFESSIONALS_STREAM_ARN"] in line and "app.index_search" in line, line
    assert endpoints["dynamodb"] in line
    credentials = {"region_name": env["AWS_DEFAULT_REGION"], "aws_access_key_id": "test",
                   "aws_secret_access_key": "test"}
    ddb = boto3.client("dynamodb", endpoint_url=endpoints["dynamodb"], **credentials)
    search = ddb.describe_table(TableName=env["SEARCH_TABLE_NAME"])["Table"]
    assert search["TableStatus"] == "ACTIVE"
    sqs = boto3.client("sqs", endpoint_url=endpoints["sqs"], **credentials)
    assert sqs.get_queue_attributes(QueueUrl=env["SEARCH_DLQ_URL"],
                                    AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def test_a_write_reaches_the_indexer_within_five_seconds(stack, http):
    assert wait_until(lambda: handled_lines(stack), timeout=30), stack.log_tail()  # the seed
    before = len(handled_lines(stack))
    response = http.post(f"{stack.api}/professionals", headers={"X-Api-Key": stack.keys["staff"]},
                         json={"full_name": "Stream Reader", "email": unique_email("stream"),
                               "source": "direct"}, timeout=30)
    assert response.status_code == 201, response.text
    assert wait_until(lambda: len(handled_lines(stack)) > before, timeout=5.0), stack.log_tail()
    assert "INSERT" in " ".join(handled_lines(stack)[before:])
