"""Named locks that a dead worker cannot keep.

On PostgreSQL a session-level advisory lock: any host sees it, and the database releases it
when the holder's connection ends (a worker killed with SIGKILL included). On SQLite, which
runs on one machine only, an exclusive ``flock`` on a file under ``BANKCRM_VAR_DIR/locks``:
the kernel releases it when the holding process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection


def _pg_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


def _lock_file(name: str) -> Path:
    folder = Path(settings.VAR_DIR) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / (hashlib.sha256(name.encode()).hexdigest()[:32] + ".lock")


_HELD = threading.local()  # names this thread holds: taking one again is free (re-entrant)


@contextlib.contextmanager
def job_lock(name: str) -> Iterator[bool]:
    """Hold the lock ``name`` for the block if nobody else does; yields whether it was taken
    (a block that gets False must not do the work). Re-entrant within one thread."""
    held: set[str] = _HELD.__dict__.setdefault("names", set())
    if name in held:
        yield True
        return
    with _acquire(name) as taken:
        if taken:
            held.add(name)
        try:
            yield taken
        finally:
            held.discard(name)


@contextlib.contextmanager
def _acquire(name: str) -> Iterator[bool]:
    if connection.vendor == "postgresql":
        key = _pg_key(name)
        with connection.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", [key])
            row = cur.fetchone()
        taken = bool(row and row[0])
        try:
            yield taken
        finally:
            if taken:
                _pg_unlock(key)
        return
    fd = os.open(_lock_file(name), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            taken = True
        except BlockingIOError:
            taken = False
        yield taken
    finally:
        os.close(fd)  # closing releases the flock


def _pg_unlock(key: int) -> None:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [key])
    except Exception:  # noqa: BLE001 (the connection is broken or its transaction aborted)
        # A lock that cannot be released goes with its session: end the session.
        if not connection.in_atomic_block:
            connection.close()


def lock_is_held(name: str) -> bool:
    """Whether some other thread, session or process holds ``name`` right now."""
    with job_lock(name) as taken:
        return not taken
