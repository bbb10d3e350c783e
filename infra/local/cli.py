"""``python -m infra.local_stack [moto|env]``: the command line of the local stack."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from infra.local.config import DEFAULT_DATA_DIR, EMULATORS, HOST
from infra.local.datadir import DataDir


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    return int(value) if value else None


def print_env(data_dir: Path) -> int:
    state = DataDir(data_dir).read_state()
    if state.get("status") != "ready":
        print(f"no running local stack in {data_dir}", file=sys.stderr)
        return 1
    for name, value in state["env"].items():
        print(f"export {name}={value}")
    return 0


def main(argv: list[str] | None = None, description: str | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["moto"]:
        from infra.local.emulators import run_moto
        sub = argparse.ArgumentParser(prog="python -m infra.local_stack moto")
        sub.add_argument("--host", default=HOST)
        sub.add_argument("--port", type=int, required=True)
        args = sub.parse_args(argv[1:])
        return run_moto(args.host, args.port)
    data_default = Path(os.environ.get("LOCAL_DATA_DIR") or DEFAULT_DATA_DIR)
    if argv[:1] == ["env"]:
        return print_env(data_default)
    from infra.local.stack import Options, Stack
    parser = argparse.ArgumentParser(prog="python -m infra.local_stack", description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    env_port = _env_int("PORT")
    parser.add_argument("--port", type=int, default=8000 if env_port is None else env_port,
                        help="0 picks a free port")
    parser.add_argument("--emulator", choices=EMULATORS,
                        default=(os.environ.get("EMULATOR") or "moto").lower())
    parser.add_argument("--data-dir", type=Path, default=data_default)
    parser.add_argument("--dynamodb-port", type=int, default=_env_int("DYNAMODB_PORT"))
    parser.add_argument("--s3-sqs-port", type=int, default=_env_int("S3_SQS_PORT"))
    parser.add_argument("--table-name", default=os.environ.get("TABLE_NAME") or None)
    parser.add_argument("--no-seed", action="store_true",
                        default=os.environ.get("SEED_DEMO_DATA", "1") in ("0", "false", "no"))
    args = parser.parse_args(argv)
    if args.emulator not in EMULATORS:
        parser.error(f"EMULATOR must be one of {EMULATORS}")
    options = Options(port=args.port, emulator=args.emulator, data_dir=args.data_dir,
                      dynamodb_port=args.dynamodb_port, s3_sqs_port=args.s3_sqs_port,
                      table_name=args.table_name,
                      staff_key=os.environ.get("LOCAL_STAFF_KEY") or None,
                      partner_key=os.environ.get("LOCAL_PARTNER_KEY") or None,
                      admin_email=os.environ.get("LOCAL_ADMIN_EMAIL") or None,
                      admin_password=os.environ.get("LOCAL_ADMIN_PASSWORD") or None,
                      seed=not args.no_seed)
    code = Stack(options).run()
    # Everything is stopped and the lock released: skip the interpreter's teardown, which spends
    # seconds collecting the garbage of botocore's service models for nothing.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
