"""Configuration, read from the environment in one place.

Chalice sets a stage's environment variables only while a handler runs (and tests set them with
monkeypatch), so nothing here is read at import time.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

# Only for STAGE local/test when SIGNING_SECRET_ARN is unset (in-process tests that build no
# Secrets Manager, tools run by hand). `make run` and the `store` test fixture create a real
# secret in the emulator and read it through the same path as a deployed stage.
DEV_SECRET = "local-development-secret-not-for-deployed-stages"
DEV_STAGES = ("local", "test")


@dataclass(frozen=True)
class Settings:
    table_name: str
    search_table_name: str
    idempotency_table_name: str
    region: str
    # The signing secret's id or ARN in Secrets Manager (chalicelib.signing reads the value at
    # run time); never the secret itself.
    signing_secret_arn: str
    default_phone_region: str
    stage: str
    resume_bucket: str
    upload_queue_url: str
    ready_marker: bool
    app_url: str
    mail_from: str
    mail_queue_url: str
    # Staff accounts (contract 8.2): the Cognito user pool and the SPA's app client; empty when
    # the stage has none (staff then sign in with nothing but API keys). cognito_endpoint is set
    # only for an emulator (moto server); the tokens' issuer is AWS's form either way.
    cognito_user_pool_id: str = ""
    cognito_client_id: str = ""
    cognito_region: str = ""
    cognito_endpoint: str = ""
    # Resume passages' vectors (contract 8.4, chalicelib.vectors): S3 Vectors' bucket and index.
    vector_bucket: str = "professionals-vectors"
    vector_index: str = "passages"
    # The embed queue (chalicelib.embed_queue -> resume_vectors): empty, nothing is sent.
    embed_queue_url: str = ""

    @property
    def cognito_issuer(self) -> str:
        return (f"https://cognito-idp.{self.cognito_region}.amazonaws.com/"
                f"{self.cognito_user_pool_id}")

    @property
    def cognito_jwks_url(self) -> str:
        if self.cognito_endpoint:  # moto server: <endpoint>/<pool id>/.well-known/jwks.json
            base = self.cognito_endpoint.rstrip("/")
            return f"{base}/{self.cognito_user_pool_id}/.well-known/jwks.json"
        return f"{self.cognito_issuer}/.well-known/jwks.json"


def get_settings() -> Settings:
    stage = os.environ.get("STAGE", "local")
    table_name = os.environ.get("TABLE_NAME", "professionals")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return Settings(
        table_name=table_name,
        search_table_name=os.environ.get("SEARCH_TABLE_NAME") or f"{table_name}-search",
        idempotency_table_name=(os.environ.get("IDEMPOTENCY_TABLE_NAME")
                                or f"{table_name}-idempotency"),
        region=region,
        signing_secret_arn=os.environ.get("SIGNING_SECRET_ARN", ""),
        default_phone_region=os.environ.get("DEFAULT_PHONE_REGION", "US"),
        stage=stage,
        resume_bucket=os.environ.get("RESUME_BUCKET", "professionals-resumes"),
        upload_queue_url=os.environ.get("UPLOAD_QUEUE_URL", ""),
        # Locally, /health waits for the stack's "resources and demo data ready" marker.
        ready_marker=os.environ.get("HEALTH_REQUIRES_READY_MARKER", "") == "1",
        # The SPA's origin: mailed links open <app_url>/me?token=...
        app_url=os.environ.get("APP_URL", "http://127.0.0.1:8000").rstrip("/"),
        mail_from=os.environ.get("MAIL_FROM", "no-reply@professionals.local"),
        mail_queue_url=os.environ.get("MAIL_QUEUE_URL", ""),
        cognito_user_pool_id=os.environ.get("COGNITO_USER_POOL_ID", ""),
        cognito_client_id=os.environ.get("COGNITO_CLIENT_ID", ""),
        # A pool's id begins with its region (eu-west-1_AbC...): an operator's shell needs no more.
        cognito_region=(os.environ.get("COGNITO_REGION")
                        or os.environ.get("COGNITO_USER_POOL_ID", "").partition("_")[0] or region),
        cognito_endpoint=os.environ.get("COGNITO_ENDPOINT", ""),
        vector_bucket=os.environ.get("VECTOR_BUCKET_NAME") or f"{table_name}-vectors",
        vector_index=os.environ.get("VECTOR_INDEX_NAME") or "passages",
        embed_queue_url=os.environ.get("EMBED_QUEUE_URL", ""),
    )
