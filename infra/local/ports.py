"""The stack's port: bound first, so a taken port is reported before anything starts."""
from __future__ import annotations

import errno
import socket

from infra.local.config import EXIT_BUSY, HOST, StackError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def bind_listener(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StackError(
                f"Port {port} on {HOST} is already in use: another program, or a local stack "
                f"started from another folder. Stop it, or pick another port: PORT={port + 1} "
                "make run", EXIT_BUSY) from None
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def check_port_free(port: int, what: str) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            raise StackError(f"Port {port} ({what}) is already in use; choose another one or "
                             "leave it unset for a free port.", EXIT_BUSY) from None
