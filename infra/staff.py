"""``python -m infra staff add EMAIL --group G | group EMAIL G | disable EMAIL | list``: staff
accounts in the stage's Cognito user pool (contract 8.2).

The pool is named by COGNITO_USER_POOL_ID (and COGNITO_REGION, COGNITO_ENDPOINT for an
emulator), as the API reads it; a shell that names none, while a local stack runs, acts on that
stack's pool (``infra.__main__.adopt_local_stack``). Deployed, ``add`` lets Cognito mail the
invitation (a temporary password, changed at the first sign-in); locally, where no mail leaves,
the temporary password is printed.
"""
from __future__ import annotations

import argparse
import json
import secrets
import sys
from typing import Any

from infra.local import cognito as pools


def add_command(commands: Any) -> None:
    staff = commands.add_parser("staff", help="staff accounts (Cognito): add, group, disable, "
                                "list")
    actions = staff.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="invite a staff member (deployed: Cognito mails them)")
    add.add_argument("email")
    add.add_argument("--group", choices=pools.GROUPS, required=True)
    group = actions.add_parser("group", help="give a user this group instead of their own "
                               "(effective within the hour their access token lives)")
    group.add_argument("email")
    group.add_argument("group", choices=pools.GROUPS)
    disable = actions.add_parser("disable", help="disable a user and revoke their refresh tokens")
    disable.add_argument("email")
    actions.add_parser("list", help="every user: email, status, enabled, groups")


def run(args: argparse.Namespace) -> int:
    from chalicelib import clients
    from chalicelib.settings import get_settings
    settings = get_settings()
    if not settings.cognito_user_pool_id:
        print("python -m infra staff: no pool; set COGNITO_USER_POOL_ID (the stack's output "
              "StaffUserPoolId) or start the local stack", file=sys.stderr)
        return 2
    client, pool = clients.cognito_idp(), settings.cognito_user_pool_id
    email = getattr(args, "email", "").strip().lower()
    if args.action == "add":
        print(json.dumps(add_user(client, pool, email, args.group,
                                  emulated=bool(settings.cognito_endpoint))))
    elif args.action == "group":
        pools.set_group(client, pool, email, args.group)
        print(json.dumps({"email": email, "group": args.group}))
    elif args.action == "disable":
        disable_user(client, pool, email)
        print(json.dumps({"email": email, "enabled": False, "refresh_tokens": "revoked"}))
    elif args.action == "list":
        for user in list_users(client, pool):
            print(json.dumps(user))
    return 0


def add_user(client: Any, pool_id: str, email: str, group: str, *,
             emulated: bool) -> dict[str, Any]:
    """Create the user (must change the temporary password at the first sign-in) in ``group``."""
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
    if emulated:  # nothing is mailed locally: the operator hands the password over
        password = f"{secrets.token_urlsafe(12)}-a1A"
        client.admin_create_user(UserPoolId=pool_id, Username=email, UserAttributes=attributes,
                                 TemporaryPassword=password, MessageAction="SUPPRESS")
    else:
        password = None
        client.admin_create_user(UserPoolId=pool_id, Username=email, UserAttributes=attributes,
                                 DesiredDeliveryMediums=["EMAIL"])
    pools.set_group(client, pool_id, email, group)
    answer: dict[str, Any] = {"email": email, "group": group}
    if password:
        answer["temporary_password"] = password
    else:
        answer["invitation"] = "mailed by Cognito"
    return answer


def disable_user(client: Any, pool_id: str, email: str) -> None:
    """No new sign-in, and no refresh: an access token already out lives at most its hour."""
    client.admin_disable_user(UserPoolId=pool_id, Username=email)
    client.admin_user_global_sign_out(UserPoolId=pool_id, Username=email)


def list_users(client: Any, pool_id: str) -> list[dict[str, Any]]:
    groups: dict[str, list[str]] = {}
    for group in pools.GROUPS:  # three queries, rather than one per user
        for user in _pages(client.list_users_in_group, "Users", "NextToken",
                           UserPoolId=pool_id, GroupName=group):
            groups.setdefault(user["Username"], []).append(group)
    users = []
    for user in _pages(client.list_users, "Users", "PaginationToken", UserPoolId=pool_id):
        attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
        users.append({"email": attributes.get("email", user["Username"]),
                      "status": user.get("UserStatus"), "enabled": user.get("Enabled", True),
                      "groups": groups.get(user["Username"], [])})
    return sorted(users, key=lambda u: u["email"])


def _pages(call: Any, field: str, token_name: str, **kwargs: Any) -> list[dict[str, Any]]:
    items, token = [], None
    while True:
        page = call(**kwargs, **({token_name: token} if token else {}))
        items += page.get(field, [])
        token = page.get(token_name)
        if not token:
            return items
