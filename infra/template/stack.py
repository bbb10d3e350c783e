"""The template being built: what each part reads (the stage's resources, app.py's functions, the
stage's settings) and where it adds its resources and outputs."""
from __future__ import annotations

from typing import Any

from infra import resources as res
from infra.template.app_functions import AppFunctions
from infra.template.settings import APP, DeploySettings


class Stack:
    def __init__(self, stage: str, defined: res.StageResources, functions: AppFunctions,
                 settings: DeploySettings):
        self.stage, self.d, self.f, self.s = stage, defined, functions, settings
        self.resources: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}
        self.bucket_arn = "arn:${AWS::Partition}:s3:::" + defined.bucket.name
        self.api_name = f"{APP}-{stage}"
        self.metrics_namespace = APP

    def add(self, logical_id: str, resource_type: str, properties: dict[str, Any],
            **extra: Any) -> None:
        assert logical_id not in self.resources, logical_id
        self.resources[logical_id] = {"Type": resource_type, "Properties": properties, **extra}

    def retention(self) -> dict[str, str]:
        keep = "Retain" if self.s.protect_data else "Delete"
        return {"DeletionPolicy": keep, "UpdateReplacePolicy": keep}
