"""One ``hallmark dev`` per instance folder: a second one refuses at once and changes nothing.

The first takes an exclusive ``flock`` on ``<instance>/hallmark.lock`` and writes its process id
and what it runs there; the lock ends with the process, however it ends (the kernel drops it).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

LOCK_NAME = "hallmark.lock"
_held: list[IO[str]] = []        # kept open for the life of the process


class InstanceBusy(Exception):
    """The instance folder is in use; the message says by which process."""


def hold(instance: Path, what: str) -> None:
    """Take ``instance``'s lock for this process, or raise :class:`InstanceBusy` without touching anything."""
    instance.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = instance / LOCK_NAME
    handle = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = handle.read().strip() or "another process"
        handle.close()
        raise InstanceBusy(f"the instance folder {instance} is in use by process {holder}; stop it first "
                           "(Ctrl-C where it runs), or set HALLMARK_INSTANCE to another folder.") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()} ({what})\n")
    handle.flush()
    _held.append(handle)


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether nothing listens on ``host:port`` yet."""
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
