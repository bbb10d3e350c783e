"""Operator commands: ``python -m infra keys create|list|revoke``, ``verify``, ``create-table``,
``search reindex``, ``search replay-dlq``, ``vectors reindex [--restart]``, ``purge-unconfirmed [--dry-run]``,
``emails canonicalize [--dry-run]``, ``stats rebuild --from DATE [--to DATE]``,
``staff add EMAIL --group G | group EMAIL G | disable EMAIL | list`` (infra/staff.py).

They act on the table named by TABLE_NAME (and AWS_ENDPOINT_URL_DYNAMODB, for an emulator).
A shell that names neither, while a local stack runs (``make run``), acts on that stack's table.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

from chalicelib import auth, db
from infra import resources


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    keys = commands.add_parser("keys", help="create, list and revoke API keys")
    key_commands = keys.add_subparsers(dest="action", required=True)
    create = key_commands.add_parser("create", help="create a key; prints it once")
    create.add_argument("--role", choices=auth.ROLES, required=True)
    create.add_argument("--name", required=True, help="who holds it, e.g. the partner's name")
    create.add_argument("--key", help="store this key instead of generating one")
    key_commands.add_parser("list", help="list keys (never the keys themselves)")
    revoke = key_commands.add_parser("revoke", help="revoke a key by its key_id")
    revoke.add_argument("key_id")
    verify = commands.add_parser("verify", help="check the e-mail/phone uniqueness invariant, "
                                 "the search index and the resume vectors against the table")
    verify.add_argument("--sample", type=int, default=200,
                        help="professionals whose index entries are checked (default 200)")
    verify.add_argument("--whole", action="store_true",
                        help="check every professional, and every entry of the index")
    search = commands.add_parser("search", help="the search index: reindex")
    search_commands = search.add_subparsers(dest="action", required=True)
    reindex = search_commands.add_parser("reindex", help="rebuild the index from the table "
                                         "(resumable; progress shown)")
    reindex.add_argument("--restart", action="store_true",
                         help="start over instead of going on where a run stopped")
    from infra import search_dlq
    search_dlq.add_command(search_commands)
    from infra import vectors_ops
    vectors_ops.add_command(commands)
    commands.add_parser("create-table", help="create the table and its indexes if missing")
    purge = commands.add_parser("purge-unconfirmed", help="erase anonymous sign-ups whose address "
                                "was not confirmed within 30 days (what the hourly schedule does)")
    purge.add_argument("--dry-run", action="store_true", help="list them, erase nothing")
    from infra import emails
    emails.add_command(commands)
    from infra import stats_rebuild
    stats_rebuild.add_command(commands)
    from infra import staff
    staff.add_command(commands)
    args = parser.parse_args(argv)
    stack_url = adopt_local_stack()
    if stack_url:
        print(f"python -m infra: the local stack at {stack_url}", file=sys.stderr)
    try:
        return run(args)
    except Exception as exc:
        reason = unreachable(exc)
        if reason is None:
            raise
        print(f"python -m infra: table {db.bind()} cannot be reached ({reason}): start the local "
              "stack (make run) or set TABLE_NAME, AWS credentials and region for a stage.",
              file=sys.stderr)
        return 2


def adopt_local_stack(environ: MutableMapping[str, str] | None = None) -> str | None:
    """When this shell names no table and no DynamoDB endpoint and a local stack is ready in
    LOCAL_DATA_DIR (or ``.local/``), take that stack's environment, as
    ``eval "$(python -m infra.local_stack env)"`` would; returns the stack's URL, else None."""
    environ = os.environ if environ is None else environ
    if any(environ.get(name) for name in ("TABLE_NAME", "AWS_ENDPOINT_URL",
                                          "AWS_ENDPOINT_URL_DYNAMODB")):
        return None
    from infra.local.config import DEFAULT_DATA_DIR
    from infra.local.datadir import DataDir
    state = DataDir(Path(environ.get("LOCAL_DATA_DIR") or DEFAULT_DATA_DIR)).read_state()
    if state.get("status") != "ready" or not _alive(state.get("pid")) \
            or not isinstance(state.get("env"), dict):
        return None
    environ.update({name: str(value) for name, value in state["env"].items()})
    return state.get("url") or "?"


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def unreachable(exc: BaseException) -> str | None:
    """Why the store cannot be reached, when that is what ``exc`` (or its cause) says."""
    from botocore.exceptions import (ClientError, EndpointConnectionError, NoCredentialsError,
                                     NoRegionError)
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, NoCredentialsError):
            return "no AWS credentials"
        if isinstance(seen, NoRegionError):
            return "no AWS region"
        if isinstance(seen, ClientError) and seen.response.get("Error", {}).get("Code") \
                == "ResourceNotFoundException":
            return "no such table"
        if isinstance(seen, EndpointConnectionError):
            return f"nothing answers at {seen.kwargs.get('endpoint_url')}"
        # PynamoDB wraps botocore's error as ``cause`` without chaining it.
        seen = seen.__cause__ or seen.__context__ or getattr(seen, "cause", None)
    return None


def run(args: argparse.Namespace) -> int:
    if args.command == "purge-unconfirmed":
        from chalicelib import purge as purging
        erased = purging.purge_unconfirmed(dry_run=args.dry_run)
        for professional_id in erased:
            print(professional_id)
        print(f"{len(erased)} unconfirmed sign-up(s) {'due' if args.dry_run else 'erased'} "
              f"in table {db.bind()}")
    elif args.command == "create-table":
        resources.create_app_tables()
        print(f"table {db.bind()} ready")
    elif args.command == "verify":
        from infra.verify import check_search_index, find_violations
        problems = find_violations()
        for problem in problems:
            print(problem)
        print(f"{len(problems)} violation(s) in table {db.bind()}")
        index = check_search_index(sample=None if args.whole else args.sample)
        for problem in index["problems"]:
            print(problem)
        print(f"{len(index['problems'])} search index problem(s), {index['checked']} of "
              f"{index['professionals']} professionals checked")
        from infra import vectors_ops
        stored = vectors_ops.check(sample=None if args.whole else args.sample)
        for line in stored["problems"] + stored["notes"]:
            print(line)
        return 1 if problems or index["problems"] or stored["problems"] else 0
    elif args.command == "stats":
        from infra import stats_rebuild
        return stats_rebuild.run(args)
    elif args.command == "staff":
        from infra import staff
        return staff.run(args)
    elif args.command == "emails":
        from infra import emails
        return emails.run(args)
    elif args.command == "search" and args.action == "replay-dlq":
        from infra import search_dlq
        return search_dlq.run(args)
    elif args.command == "vectors":
        from infra import vectors_ops
        return vectors_ops.run(args)
    elif args.command == "search" and args.action == "reindex":
        from infra.search_reindex import reindex
        reindex(restart=args.restart, say=lambda line: print(line, flush=True))
    else:
        return key_command(args.action, args)
    return 0


def key_command(action: str, args: argparse.Namespace) -> int:
    """``create`` (prints the key once), ``list`` (never the keys) or ``revoke`` one key.

    Shared with ``infra.stage_keys``, which also brings a deployed stage's usage plans in step.
    """
    if action == "create":
        key, item = auth.create_key(args.role, args.name, getattr(args, "key", None))
        print(json.dumps({"key": key, "key_id": item.key_id, "role": item.role,
                          "name": item.name}))
    elif action == "list":
        for item in auth.list_keys():
            print(json.dumps({"key_id": item.key_id, "role": item.role, "name": item.name,
                              "created_at": item.created_at, "revoked_at": item.revoked_at}))
    elif action == "revoke":
        if not auth.revoke_key(args.key_id):
            print(f"no active key with key_id {args.key_id}", file=sys.stderr)
            return 1
        print(f"revoked {args.key_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
