"""API keys of a deployed stage: the table's keys, plus each partner key's API Gateway key.

Deployed, the API's REQUEST authorizer (``chalicelib.gateway_auth``) meters a partner's request
under the API Gateway API key whose value is ``<PartnerUsageKeyPrefix><key_id>``; that key must
exist and belong to the partner usage plan, or API Gateway answers 403 (``INVALID_API_KEY``,
"not enabled on the API yet"). This tool keeps them in step with the table:

    python -m infra.stage_keys --stack professionals-dev create --role partner --name acme
    python -m infra.stage_keys --stack professionals-dev list
    python -m infra.stage_keys --stack professionals-dev revoke <key_id>
    python -m infra.stage_keys --stack professionals-dev sync

``create`` and ``revoke`` act on the table (as ``python -m infra keys`` does) and then ``sync``:
one API Gateway key per active partner key, in the partner plan; the keys of revoked partner keys
deleted. The stack's outputs name the table, the plan and the prefix. Staff keys need no API
Gateway key of their own (all staff share one, made by the template). The AWS credentials and
region are the caller's (AWS_PROFILE, AWS_REGION...).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StageInfo:
    table: str
    plan_id: str
    prefix: str
    region: str | None = None


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)  # key_ids given an API Gateway key
    attached: list[str] = field(default_factory=list)  # key_ids put in the partner plan
    deleted: list[str] = field(default_factory=list)  # key_ids whose API Gateway key went
    unchanged: list[str] = field(default_factory=list)


def stage_info(stack: str, cloudformation: Any = None) -> StageInfo:
    import boto3
    cloudformation = cloudformation or boto3.client("cloudformation")
    stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    missing = {"TableName", "PartnerUsagePlanId", "PartnerUsageKeyPrefix"} - set(outputs)
    if missing:
        raise SystemExit(f"stack {stack} has no outputs {sorted(missing)}: is it deployed?")
    return StageInfo(table=outputs["TableName"], plan_id=outputs["PartnerUsagePlanId"],
                     prefix=outputs["PartnerUsageKeyPrefix"],
                     region=cloudformation.meta.region_name)


def _all(apigw: Any, method: str, items: str, **kwargs: Any) -> list[dict[str, Any]]:
    out, position = [], None
    while True:
        page = getattr(apigw, method)(**kwargs, **({"position": position} if position else {}))
        out += page.get(items, [])
        position = page.get("position")
        if not position:
            return out


def sync(info: StageInfo, apigw: Any = None) -> SyncResult:
    """Make the partner plan hold exactly one API Gateway key per active partner key."""
    import boto3
    from chalicelib import auth
    apigw = apigw or boto3.client("apigateway", region_name=info.region)
    active = {k.key_id: k for k in auth.list_keys() if k.role == auth.PARTNER and not k.revoked_at}
    ours = {k["name"][len(info.prefix):]: k
            for k in _all(apigw, "get_api_keys", "items", includeValues=True, limit=500)
            if k.get("name", "").startswith(info.prefix)}
    in_plan = {k["id"] for k in _all(apigw, "get_usage_plan_keys", "items",
                                     usagePlanId=info.plan_id, limit=500)}
    result = SyncResult()
    for key_id, key in sorted(active.items()):
        value = info.prefix + key_id
        existing = ours.get(key_id)
        if existing and (existing.get("value") != value or not existing.get("enabled")):
            apigw.delete_api_key(apiKey=existing["id"])  # not what the authorizer names
            existing = None
        if existing is None:
            existing = apigw.create_api_key(
                name=value, value=value, enabled=True,
                description=f"partner {key.name} (key_id {key_id}); metered by the authorizer",
                tags={"partner": key.name[:256], "key_id": key_id})
            result.created.append(key_id)
        if existing["id"] not in in_plan:
            apigw.create_usage_plan_key(usagePlanId=info.plan_id, keyId=existing["id"],
                                        keyType="API_KEY")
            result.attached.append(key_id)
        elif key_id not in result.created:
            result.unchanged.append(key_id)
    for key_id, existing in sorted(ours.items()):
        if key_id not in active:
            apigw.delete_api_key(apiKey=existing["id"])  # also leaves the plan
            result.deleted.append(key_id)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.stage_keys", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default=os.environ.get("STACK_NAME"),
                        help="the deployed stack, e.g. professionals-dev")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a key (printed once) and sync")
    create.add_argument("--role", choices=("partner", "staff"), required=True)
    create.add_argument("--name", required=True, help="who holds it, e.g. the partner's name")
    commands.add_parser("list", help="the table's keys (never the keys themselves)")
    revoke = commands.add_parser("revoke", help="revoke a key by key_id, then sync")
    revoke.add_argument("key_id")
    commands.add_parser("sync", help="bring the API Gateway keys in step with the table")
    args = parser.parse_args(argv)
    if not args.stack:
        parser.error("--stack (or STACK_NAME) is required")

    info = stage_info(args.stack)
    os.environ["TABLE_NAME"] = info.table
    if info.region:
        os.environ.setdefault("AWS_REGION", info.region)
    os.environ.setdefault("STAGE", "ops")
    # No signing secret: key commands sign nothing (only the functions that sign may read it).
    from infra.__main__ import key_command
    if args.command != "sync":
        code = key_command(args.command, args)
        if code or args.command == "list":
            return code
    result = sync(info)
    print(json.dumps({"usage_plan_sync": result.__dict__}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
