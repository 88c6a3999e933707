"""The migration lock as every migrating run takes it (``monomig upgrade --all``'s
workers and monomig's bridge): its name, how long to wait, and one message when the
wait starts. Imports neither Alembic nor SQLAlchemy."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

#: The lock name the fleet worker holds (set by ``monomig._worker``).
LOCK_HELD_ENV = "MONOMIG_LOCK_HELD"
#: JSON: the database identity, masked URL, version table, schema and service the fleet
#: worker resolved and locked.
LOCK_TARGET_ENV = "MONOMIG_LOCK_TARGET"
#: Seconds a migrating run waits for the lock (default 60).
LOCK_TIMEOUT_ENV = "MONOMIG_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 60.0


def lock_name(version_table: str, version_table_schema: str | None) -> str:
    """The migration lock of a version table: ``monomig:[<schema>.]<table>``."""
    table = f"{version_table_schema}.{version_table}" if version_table_schema else version_table
    return f"monomig:{table}"


def lock_timeout() -> float:
    """``MONOMIG_LOCK_TIMEOUT`` in seconds (default 60); ValueError when it is not a number."""
    raw = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ValueError(
            f"{LOCK_TIMEOUT_ENV}={raw!r} is not a number of seconds; set it to how long a migration "
            f"waits for another one's lock (e.g. {LOCK_TIMEOUT_ENV}=60) or unset it for the default of "
            f"{DEFAULT_LOCK_TIMEOUT:.0f} s"
        )
    return value


_HOLDER = re.compile(r": it is held by (.*?)\. Another migration of this database is running", re.S)


def lock_holder(message: str) -> str | None:
    """Who holds a busy lock, from the ``LockError`` of a timed-out ``acquire()``; None
    when the error is not a busy lock (the database refused, ...)."""
    m = _HOLDER.search(message)
    return m.group(1) if m else None


def seconds_text(value: float) -> str:
    return f"{value:.0f} s" if float(value).is_integer() else f"{value:.1f} s"


def take_lock(
    url: str,
    name: str,
    *,
    service: str | None,
    timeout: float,
    base_dir: str | None = None,
    on_wait: Callable[[str], None],
) -> Any:
    """Take the migration lock ``name`` on ``url``: at once when it is free; otherwise
    ``on_wait(holder)`` is called once, as the wait starts, then up to ``timeout``
    seconds. Raises ``LockError`` on timeout (and ``DatabaseError``/``ConfigError``)."""
    from monomig._native import LockError, MigrationLock

    def make(t: float) -> Any:
        return MigrationLock(url, name, timeout=t, base_dir=base_dir, service=service)

    lock = make(0)
    try:
        lock.acquire()
        return lock
    except LockError as e:
        holder = lock_holder(str(e))
        if holder is None or timeout <= 0:
            raise
        on_wait(holder)
    lock = make(timeout)
    lock.acquire()
    return lock
