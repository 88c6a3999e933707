"""``monomig.lock_timeout``, ``monomig.statement_timeout`` and ``monomig.lock_retries``:
set on Alembic's own connection by the bridge, right after the migration lock is taken
(:mod:`monomig._target` calls :func:`apply`), never before, so waiting for the
migration lock is not cut short.

- PostgreSQL: ``SET lock_timeout`` / ``SET statement_timeout`` (milliseconds).
- MySQL/MariaDB: ``SET SESSION lock_wait_timeout`` (whole seconds, at least 1) and, on
  MariaDB, ``SET SESSION max_statement_time`` (seconds). MySQL has no statement timeout
  for DDL (``max_execution_time`` covers SELECT only): a warning says so.
- SQLite: nothing to set (a warning says so).

Values: a number with a unit, ``ms``, ``s``, ``min`` or ``h`` (``5s``, ``500ms``); a bare
number is milliseconds, as PostgreSQL reads it.

``monomig.lock_retries = N`` (PostgreSQL, inside the migration's transaction): each
revision runs in a savepoint; when it fails on a lock timeout (SQLSTATE 55P03) the
savepoint is rolled back, so nothing of that try remains, and the revision is tried
again after 0.5 s, 1 s, 2 s, ... (at most 30 s), up to N more times, each retry said on
stderr. A revision that uses ``autocommit_block`` is never retried (its work is
committed as it goes).
"""

from __future__ import annotations

import math
import re
import sys
import time
from typing import Any

from alembic.util import CommandError

LOCK_TIMEOUT = "monomig.lock_timeout"
STATEMENT_TIMEOUT = "monomig.statement_timeout"
LOCK_RETRIES = "monomig.lock_retries"
FIRST_DELAY = 0.5
MAX_DELAY = 30.0

_UNITS = {"ms": 1.0, "s": 1000.0, "min": 60_000.0, "h": 3_600_000.0}


class TimeoutSettingError(CommandError):
    """A bad value of one of the options: the Alembic command fails with it (``FAILED: ...``)."""


def parse_ms(text: str, option: str, section: str | None) -> float:
    """``5s``, ``500ms``, ``2min``, ``1h`` or a bare number of milliseconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)?\s*", text)
    if not m:
        raise TimeoutSettingError(
            f"{option} = {text} in the [{section or '?'}] section is not a duration: write a number with a unit "
            "(500ms, 5s, 2min, 1h); a bare number is milliseconds"
        )
    return float(m.group(1)) * _UNITS[m.group(2) or "ms"]


def _options(ctx: Any) -> tuple[str | None, dict[str, str]]:
    env = ctx.environment_context
    config = getattr(env, "config", None) if env is not None else None
    if config is None:
        return None, {}
    section = getattr(config, "config_ini_section", None)
    found = {}
    for name in (LOCK_TIMEOUT, STATEMENT_TIMEOUT, LOCK_RETRIES):
        value = config.get_main_option(name)
        if value is not None and value.strip():
            found[name] = value.strip()
    return section, found


def _warn(section: str | None, text: str) -> None:
    who = f"service {section!r}: " if section else ""
    print(f"monomig: warning: {who}{text}", file=sys.stderr, flush=True)


def _statements(ctx: Any, section: str | None, opts: dict[str, str]) -> list[str]:
    dialect = ctx.dialect
    name = dialect.name
    out = []
    lock = opts.get(LOCK_TIMEOUT)
    stmt = opts.get(STATEMENT_TIMEOUT)
    if name == "postgresql":
        if lock:
            out.append(f"SET lock_timeout = {int(parse_ms(lock, LOCK_TIMEOUT, section))}")
        if stmt:
            out.append(f"SET statement_timeout = {int(parse_ms(stmt, STATEMENT_TIMEOUT, section))}")
    elif name in ("mysql", "mariadb"):
        if lock:
            seconds = max(1, math.ceil(parse_ms(lock, LOCK_TIMEOUT, section) / 1000))
            out.append(f"SET SESSION lock_wait_timeout = {seconds}")
        if stmt:
            ms = parse_ms(stmt, STATEMENT_TIMEOUT, section)
            if getattr(dialect, "is_mariadb", False):
                out.append(f"SET SESSION max_statement_time = {ms / 1000:g}")
            else:
                _warn(
                    section,
                    f"{STATEMENT_TIMEOUT} is not applied: MySQL has no statement timeout for DDL "
                    "(max_execution_time covers SELECT only)",
                )
    elif lock or stmt:
        _warn(section, f"{LOCK_TIMEOUT} / {STATEMENT_TIMEOUT} are not applied on {name}: it has no such setting")
    return out


def apply(ctx: Any) -> None:
    """Set the section's timeouts on ``ctx``'s connection and arm ``lock_retries``.
    Called by the bridge once the migration lock is held, before the first step."""
    if ctx.connection is None or ctx.as_sql:
        return
    section, opts = _options(ctx)
    if not opts:
        return
    statements = _statements(ctx, section, opts)
    if statements:
        was_open = ctx._in_connection_transaction()
        for sql in statements:
            ctx.connection.exec_driver_sql(sql)
        if not was_open and ctx._in_connection_transaction():
            ctx.connection.commit()  # a session setting, kept once SQLAlchemy's autobegin ends
    retries_text = opts.get(LOCK_RETRIES)
    if retries_text is None:
        return
    if not retries_text.isdigit():
        raise TimeoutSettingError(
            f"{LOCK_RETRIES} = {retries_text} in the [{section or '?'}] section is not a whole number of retries"
        )
    retries = int(retries_text)
    if retries == 0:
        return
    if ctx.dialect.name != "postgresql":
        _warn(
            section,
            f"{LOCK_RETRIES} is ignored on {ctx.dialect.name}: its DDL is not transactional, so a "
            "failed revision may have left part of its work behind",
        )
        return
    steps_fn = ctx._migrations_fn
    if steps_fn is None:
        return

    def steps(heads: Any, context: Any) -> Any:
        for step in steps_fn(heads, context):
            yield _RetryingStep(step, context, section, retries)

    ctx._migrations_fn = steps


def _is_lock_timeout(error: BaseException) -> bool:
    orig = getattr(error, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code == "55P03"


class _RetryingStep:
    """A migration step whose ``migration_fn`` runs in a savepoint and is tried again
    after a lock timeout."""

    def __init__(self, step: Any, ctx: Any, section: str | None, retries: int) -> None:
        self._step = step
        self._ctx = ctx
        self._section = section
        self._retries = retries

    def __getattr__(self, name: str) -> Any:
        return getattr(self._step, name)

    def __str__(self) -> str:  # Alembic logs "Running %s" % step
        return str(self._step)

    def __repr__(self) -> str:
        return repr(self._step)

    def _autocommits(self) -> bool:
        module = getattr(getattr(self._step, "revision", None), "module", None)
        path = getattr(module, "__file__", None)
        try:
            with open(path or "", encoding="utf-8") as f:
                return "autocommit_block" in f.read()
        except OSError:
            return False

    def migration_fn(self, *args: Any, **kw: Any) -> Any:
        fn = self._step.migration_fn
        conn = self._ctx.connection
        if not self._ctx._in_connection_transaction() or self._autocommits():
            return fn(*args, **kw)
        attempt = 0
        while True:
            savepoint = conn.begin_nested()
            try:
                result = fn(*args, **kw)
            except Exception as e:
                if not _is_lock_timeout(e) or attempt >= self._retries or not savepoint.is_active:
                    raise
                savepoint.rollback()
                attempt += 1
                delay = min(FIRST_DELAY * 2 ** (attempt - 1), MAX_DELAY)
                who = f"service {self._section!r}: " if self._section else ""
                rev = getattr(getattr(self._step, "revision", None), "revision", "?")
                print(
                    f"monomig: {who}revision {rev} hit the lock timeout and was rolled back completely; retry {attempt} of {self._retries} "
                    f"in {delay:g}s ({LOCK_RETRIES})",
                    file=sys.stderr,
                    flush=True,
                )
                time.sleep(delay)
                continue
            if savepoint.is_active:
                savepoint.commit()
            return result
