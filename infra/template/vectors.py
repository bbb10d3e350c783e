"""Resume intelligence's vector store (contract 8.4): an Amazon S3 Vectors bucket and its cosine
index of 384 float32 dimensions (all-MiniLM-L6-v2), the passage text kept as non-filterable
metadata; the same spec as the local stack's (chalicelib/vectors.py holds it).

The functions' view: ``function_env`` (the names chalicelib.settings reads) and the grants, on
the index only: ``read_grants`` (QueryVectors, and GetVectors, which AWS also requires for a
query with a filter or returnMetadata, and for ``similar``'s own vectors) for the API;
``write_grants`` (PutVectors, DeleteVectors) for the function that embeds resumes and the ones
that delete them. A role gets them with the code that calls them: tests/test_deploy_iam.py
refuses a grant its function never uses."""
from __future__ import annotations

from typing import Any

from chalicelib import vectors as store
from infra.template.cfn import allow, getatt
from infra.template.settings import APP
from infra.template.stack import Stack

BUCKET = "VectorBucket"
INDEX = "PassageIndex"
INDEX_NAME = "passages"


def bucket_name(stage: str) -> str:
    # Unique per account and region (not global, as S3's are): the stage's name suffices.
    return f"{APP}-vectors-{stage}"


def vectors(t: Stack) -> None:
    # Derived data (python -m infra vectors reindex rebuilds it from the resumes): no Retain.
    t.add(BUCKET, "AWS::S3Vectors::VectorBucket", {
        "VectorBucketName": bucket_name(t.stage),
        "EncryptionConfiguration": {"SseType": "AES256"},
    })
    t.add(INDEX, "AWS::S3Vectors::Index", {
        "VectorBucketArn": getatt(BUCKET, "VectorBucketArn"),
        "IndexName": INDEX_NAME,
        "DataType": store.DATA_TYPE,
        "Dimension": store.DIMENSION,
        "DistanceMetric": store.DISTANCE_METRIC,
        "MetadataConfiguration": {"NonFilterableMetadataKeys": list(store.NON_FILTERABLE_KEYS)},
    })
    t.outputs["VectorBucketName"] = {"Value": bucket_name(t.stage),
                                     "Description": "resume passages' vectors (S3 Vectors)"}
    t.outputs["VectorIndexArn"] = {"Value": index_arn(),
                                   "Description": f"the {store.DISTANCE_METRIC} index of "
                                                  f"{store.DIMENSION} dimensions"}


def index_arn() -> dict[str, Any]:
    return getatt(INDEX, "IndexArn")


def function_env(t: Stack) -> dict[str, Any]:
    return {"VECTOR_BUCKET_NAME": bucket_name(t.stage), "VECTOR_INDEX_NAME": INDEX_NAME}


def read_grants() -> list[dict[str, Any]]:
    return [allow("QueryResumeVectors", ["s3vectors:QueryVectors", "s3vectors:GetVectors"],
                  [index_arn()])]


def write_grants() -> list[dict[str, Any]]:
    return [allow("WriteResumeVectors", ["s3vectors:PutVectors", "s3vectors:DeleteVectors"],
                  [index_arn()])]
