"""The stage's resources in the emulators (``infra.resources``, the definition the deployment
uses too) and the environment the API and the workers get, as Lambda would see it."""
from __future__ import annotations

import os
from pathlib import Path

from infra.local.config import STAGE
from infra.local.emulators import LOCALSTACK_S3_STORAGE, given_endpoint
from infra.local.output import say

DEFAULT_MAIL_FROM = "no-reply@professionals.local"


def provision(endpoints: dict[str, str], *, url: str, port: int, instance: str,
              signing_secret: str, table_name: str | None, localstack_storage: bool,
              cleanup: list[Path], staff_admin: tuple[str, str]) -> dict[str, str]:
    """Create (or find) every resource; returns the app's environment (also set in ours)."""
    from infra import resources
    env = {
        "STAGE": STAGE,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoints["dynamodb"],
        # The stream is DynamoDB's (DynamoDB Local serves both): without this a plain
        # dynamodbstreams client would follow AWS_ENDPOINT_URL, to another emulator.
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": (os.environ.get("AWS_ENDPOINT_URL_DYNAMODB_STREAMS")
                                              or endpoints["dynamodb"]),
        "AWS_ENDPOINT_URL_S3": endpoints["s3"],
        "AWS_ENDPOINT_URL_SQS": endpoints["sqs"],
        "AWS_ENDPOINT_URL_SES": endpoints["ses"],
        # The app reads either spelling (chalicelib.clients); a plain boto3 client, botocore's.
        "AWS_ENDPOINT_URL_SECRETSMANAGER": endpoints["secretsmanager"],
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoints["secretsmanager"],
        # Always named: AWS_ENDPOINT_URL alone must not send S3 Vectors to an emulator
        # without QueryVectors (contract 8.4).
        "AWS_ENDPOINT_URL_S3VECTORS": endpoints["s3vectors"],
        # Mailed links open the SPA on this origin; the sender is verified on SES below.
        "APP_URL": url,
        "MAIL_FROM": os.environ.get("MAIL_FROM") or DEFAULT_MAIL_FROM,
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION")
        or os.environ.get("AWS_REGION") or "us-east-1",
        "LOCAL_ORIGIN": url,
        "HEALTH_REQUIRES_READY_MARKER": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env["AWS_REGION"] = os.environ.get("AWS_REGION") or env["AWS_DEFAULT_REGION"]
    if not any(given_endpoint(s) for s in ("dynamodb", "s3", "sqs", "ses", "secretsmanager")):
        # Only our own emulators: fake credentials, whatever profile the shell has.
        env.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"})
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            os.environ.pop(name, None)
    else:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    os.environ.update(env)
    # The stack's own origin, and Vite's dev server (`npm run dev` in frontend/).
    origins = [url, f"http://localhost:{port}", "http://127.0.0.1:5173", "http://localhost:5173"]
    spec = resources.define(STAGE, suffix=instance, origins=origins, table_name=table_name,
                            region=env["AWS_DEFAULT_REGION"])
    if localstack_storage:
        # LocalStack keeps object data here whatever FILESYSTEM_ROOT says, shared by every
        # LocalStack on the machine: the bucket name is ours alone, so is this folder.
        cleanup.append(LOCALSTACK_S3_STORAGE / spec.bucket.name)
    # TABLE_NAME, SEARCH_TABLE_NAME, PROFESSIONALS_STREAM_ARN, SEARCH_DLQ_URL, RESUME_BUCKET,
    # UPLOAD_QUEUE_NAME, UPLOAD_QUEUE_URL, UPLOAD_DLQ_URL
    created = resources.create(spec, log=say)
    verify_sender(env["MAIL_FROM"], env["AWS_REGION"])
    # The API and the mail sender read it as deployed functions do (chalicelib.signing_secret).
    created["SIGNING_SECRET_ARN"] = store_signing_secret(f"{created['TABLE_NAME']}-signing",
                                                         signing_secret, env["AWS_REGION"])
    # Staff accounts (contract 8.2): the pool, its app client, the groups and the admin, in
    # moto's Cognito (the stack's own moto server, or one of its own beside LocalStack).
    from infra.local import cognito
    created.update(cognito.provision(endpoints["cognito-idp"], env["AWS_REGION"],
                                     f"{created['TABLE_NAME']}-staff", *staff_admin))
    say(f"staff user pool {created['COGNITO_USER_POOL_ID']} with its admin {staff_admin[0]}")
    created.update(vector_store(created["TABLE_NAME"], env["AWS_REGION"]))
    env.update(created)
    os.environ.update(created)
    return env


def vector_store(table_name: str, region: str) -> dict[str, str]:
    """The resume passages' vector bucket and cosine index (chalicelib.vectors), in the
    stack's moto server; their names, as the template gives the deployed functions."""
    import boto3

    from chalicelib import vectors
    names = {"VECTOR_BUCKET_NAME": f"{table_name}-vectors"[:63].lower(),
             "VECTOR_INDEX_NAME": "passages"}
    vectors.create_index(boto3.client("s3vectors", region_name=region),
                         names["VECTOR_BUCKET_NAME"], names["VECTOR_INDEX_NAME"])
    say(f"vector bucket {names['VECTOR_BUCKET_NAME']}, index {names['VECTOR_INDEX_NAME']} "
        f"({vectors.DISTANCE_METRIC}, {vectors.DIMENSION} dimensions)")
    return names


def store_signing_secret(name: str, value: str, region: str) -> str:
    """The secret in the emulator's Secrets Manager, holding ``value`` (the data folder's, so
    tokens outlive a restart, also against an emulator that kept an older value); its ARN."""
    import boto3
    client = boto3.client("secretsmanager", region_name=region)
    try:
        arn = client.create_secret(Name=name, SecretString=value)["ARN"]
    except client.exceptions.ResourceExistsException:
        arn = client.describe_secret(SecretId=name)["ARN"]
        if client.get_secret_value(SecretId=arn)["SecretString"] != value:
            client.put_secret_value(SecretId=arn, SecretString=value)
    say(f"signing secret {name} stored in Secrets Manager")
    return arn


def verify_sender(address: str, region: str) -> None:
    """SES sends only from a verified identity (moto and LocalStack check it too); their
    VerifyEmailIdentity verifies at once, without a confirmation mail."""
    import boto3
    boto3.client("ses", region_name=region).verify_email_identity(EmailAddress=address)
    say(f"SES sender {address} verified")
