"""What env.py really migrates, and the migration lock around it.

Installed by :func:`monomig.bridge.activate`. Alembic's ``MigrationContext.run_migrations``
is where env.py hands Alembic its connection and version table; just before Alembic reads
the current heads there, monomig learns from that context:

- the database (``connection.engine.url``; the password is used for the lock only and
  every text shown is masked), the version table and its schema;
- whether the command changes the version table: ``upgrade``, ``downgrade`` and
  ``stamp`` (``alembic.command`` passes ``destination_rev`` to their
  ``EnvironmentContext``, and only to theirs), or a ``stamp --purge``; ``current``
  (``dont_mutate``), ``check``, ``revision --autogenerate``, ``show current`` and
  every ``--sql`` run (``as_sql``) are read-only here and take no lock.

A migrating run then takes the lock ``monomig:[<schema>.]<version_table>`` on that
database (``monomig._native.MigrationLock``, the lock of ``monomig upgrade --all``)
before Alembic reads the heads, and holds it until the command's
``EnvironmentContext`` closes: env.py has returned by then, so its transaction is
committed or rolled back (PostgreSQL commits the whole upgrade after ``run_migrations``
returns). The lock is released on every path, and dies with the process.

Inside a ``monomig upgrade|downgrade|stamp --all`` worker, which already holds the lock
of the target monomig resolved (``MONOMIG_LOCK_TARGET``), the real target is compared
with it instead: the same one runs without a second lock; another one runs nothing and
fails with code ``target_mismatch``. The worker receives the ``target`` (with the heads
read before the first step) and ``after`` (the heads once the transaction finished)
events through :data:`event_sink`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError

import monomig._native as _native
from monomig import _lock as _lock_module
from monomig import _patch, _preload, _timeouts
from monomig._lock import (
    LOCK_HELD_ENV,
    LOCK_TARGET_ENV,
    LOCK_TIMEOUT_ENV,
    lock_holder,
    lock_name,
    seconds_text,
    take_lock,
)

#: Set by the fleet worker: called as ``event_sink(event, **data)``.
event_sink: Callable[..., None] | None = None

# The functions of Alembic the hooks wrap, and whether they are installed.
_originals: dict[tuple[type, str], Any] = {}


class DeployError(CommandError):
    """A migrating run that monomig stopped before it changed anything: the Alembic
    command fails with ``FAILED: <message>``; ``code`` is ``target_mismatch`` or
    ``lock_timeout`` (the ``code`` of the fleet's ``failed`` event), or None."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.monomig_code = code


def lock_timeout() -> float:
    """``MONOMIG_LOCK_TIMEOUT`` in seconds (default 60); a bad value fails the command."""
    try:
        return _lock_module.lock_timeout()
    except ValueError as e:
        raise DeployError(str(e)) from None


def _emit(event: str, **data: Any) -> None:
    if event_sink is not None:
        event_sink(event, **data)


def _is_migrating(ctx: Any) -> bool:
    """Does this run change the version table? (See the module's docstring.)"""
    return not ctx.as_sql and _runs_steps(ctx)


def _runs_steps(ctx: Any) -> bool:
    """Is this run an ``upgrade``, ``downgrade`` or ``stamp``, online or ``--sql``?"""
    opts = ctx.opts
    if opts.get("dont_mutate"):
        return False
    if ctx.purge or opts.get("destination_rev") is not None:
        return True
    fn = opts.get("fn")
    return getattr(fn, "__module__", None) == "alembic.command" and getattr(fn, "__qualname__", "") in (
        "upgrade.<locals>.upgrade",
        "downgrade.<locals>.downgrade",
        "stamp.<locals>.do_stamp",
    )


def _heads(ctx: Any) -> list[str]:
    """The heads in the version table, read as Alembic reads them, on its connection.

    Reading may start a transaction (SQLAlchemy's autobegin) where there was none, and
    Alembic decides whether to commit its own DDL (the version table, ``--purge``) by
    whether one is open: such a transaction, which only read, is ended again, so that
    Alembic runs exactly as it would without monomig."""
    was_open = ctx._in_connection_transaction()
    try:
        return list(ctx.get_current_heads())
    finally:
        if not was_open and ctx._in_connection_transaction():
            ctx.connection.rollback()


def _service(ctx: Any) -> str | None:
    env = ctx.environment_context
    config = getattr(env, "config", None) if env is not None else None
    return getattr(config, "config_ini_section", None)


class _Target:
    """The database and version table a MigrationContext migrates."""

    def __init__(self, ctx: Any) -> None:
        url = ctx.connection.engine.url
        self.url: str = url.render_as_string(hide_password=False)
        self.display: str = _native.mask_password(url.render_as_string(hide_password=True))
        self.version_table: str = ctx.version_table
        self.version_table_schema: str | None = ctx.version_table_schema
        self.base_dir = os.getcwd()
        try:
            self.identity: str | None = _native.database_identity(self.url, self.base_dir)
            self.unreadable: str | None = None
        except _native.MonomigError as e:
            self.identity = None
            self.unreadable = _native.mask_password(str(e))

    @property
    def lock_name(self) -> str:
        return lock_name(self.version_table, self.version_table_schema)

    def table_text(self) -> str:
        return self.lock_name.split(":", 1)[1]


def _mismatch(service: str | None, real: _Target, expected: dict[str, Any]) -> DeployError:
    svc = service or expected.get("service") or "?"
    exp_table = lock_name(expected.get("version_table") or "alembic_version", expected.get("version_table_schema"))
    exp_table = exp_table.split(":", 1)[1]
    why = []
    if real.identity != expected.get("database"):
        why.append("another database")
    if real.table_text() != exp_table:
        why.append("another version table")
    from monomig.urls import env_var_name

    return DeployError(
        # Only a fleet worker compares targets, and it names the service before this message.
        f"env.py migrates {' and '.join(why) or 'another target'} than monomig resolved and "
        f"locked for service {svc!r}: env.py connected to {real.display} (version table {real.table_text()}), monomig resolved "
        f"{expected.get('display')} (version table {exp_table}); nothing was run for this service. Make them "
        f"agree: monomig takes the URL from {env_var_name(svc)}, then DB_URL in services/{svc}/config.py, then "
        f"sqlalchemy.url in the [{svc}] section, then [alembic]'s (the environment variable beats config.py), "
        f"and the version table from version_table / version_table_schema in the [{svc}] section (set them to "
        f"what env.py passes to context.configure); or call monomig.url_for({svc!r}) in env.py (monomig.run_env() "
        "does) so that env.py connects where monomig resolves.",
        code="target_mismatch",
    )


class _Run:
    """The locks one EnvironmentContext (one Alembic command) holds, and what to report."""

    def __init__(self) -> None:
        self.locks: dict[tuple[str, str], Any] = {}
        self.after: list[str] | None = None


def _run_of(ctx: Any) -> _Run:
    env = ctx.environment_context
    holder = env if env is not None else ctx
    run = getattr(holder, "_monomig_run", None)
    if run is None:
        run = _Run()
        holder._monomig_run = run
    return run


def _prepare(ctx: Any) -> _Run | None:
    """Before Alembic reads the heads: check the target (in a fleet worker) or take the
    lock. Returns the command's run state, or None when nothing is to be done."""
    if ctx.connection is None or not _is_migrating(ctx):
        return None
    real = _Target(ctx)
    service = _service(ctx)
    run = _run_of(ctx)
    expected_text = os.environ.get(LOCK_TARGET_ENV)
    if expected_text:
        try:
            expected = json.loads(expected_text)
        except ValueError:
            expected = {}
        same = (
            real.identity is not None
            and real.identity == expected.get("database")
            and real.version_table == (expected.get("version_table") or "alembic_version")
            and (real.version_table_schema or None) == (expected.get("version_table_schema") or None)
        )
        if not same:
            raise _mismatch(service, real, expected)
    elif os.environ.get(LOCK_HELD_ENV):
        pass  # a caller holds the lock and did not say on what: it answers for the target
    elif real.identity is None:
        print(
            f"monomig: warning: running without the migration lock: monomig cannot read the URL env.py "
            f"connected to ({real.unreadable})",
            file=sys.stderr,
        )
    else:
        key = (real.identity, real.lock_name)
        if key not in run.locks:
            run.locks[key] = _take_lock(real, service)
    _emit(
        "target",
        database=real.display,
        version_table=real.version_table,
        version_table_schema=real.version_table_schema,
        before=_heads(ctx),
    )
    return run


def _take_lock(real: _Target, service: str | None) -> Any:
    from monomig._native import LockError

    timeout = lock_timeout()
    who = f"service {service!r}" if service else "this migration"

    def on_wait(holder: str) -> None:
        print(
            f"monomig: {who}: waiting for the migration lock '{real.lock_name}' on {real.display}: it is held "
            f"by {holder}; waiting up to {seconds_text(timeout)} ({LOCK_TIMEOUT_ENV})",
            file=sys.stderr,
            flush=True,
        )

    try:
        return take_lock(
            real.url, real.lock_name, service=service, timeout=timeout, base_dir=real.base_dir, on_wait=on_wait
        )
    except LockError as e:
        text = _native.mask_password(str(e))
        busy = lock_holder(text) is not None
        prefix = f"service {service!r}: " if service else ""
        raise DeployError(
            f"{prefix}{text} Nothing was applied." if busy else f"{prefix}{text}",
            code="lock_timeout" if busy else None,
        ) from None
    except _native.MonomigError as e:
        raise DeployError(
            f"{'service ' + repr(service) + ': ' if service else ''}cannot take the migration lock "
            f"'{real.lock_name}' on {real.display}: {_native.mask_password(str(e))}"
        ) from None


def _release(run: _Run, failed: bool) -> None:
    locks = list(run.locks.values())
    run.locks.clear()
    for lock in locks:
        try:
            lock.release()
        except Exception as e:  # noqa: BLE001 - the lock's connection is closed either way
            print(f"monomig: warning: {_native.mask_password(str(e))}", file=sys.stderr)
    if not failed and run.after is not None:
        after, run.after = run.after, None
        _emit("after", heads=after)


def install() -> None:
    """Wrap ``MigrationContext.run_migrations`` and ``EnvironmentContext.__exit__`` (idempotent)."""
    if _originals:
        return
    original_run = MigrationContext.__dict__["run_migrations"]
    original_exit = EnvironmentContext.__dict__["__exit__"]
    if getattr(original_run, "_monomig_target", False):  # installed by another copy of this module
        return

    def run_migrations(self: Any, **kw: Any) -> None:
        env = self.environment_context
        if env is not None and _runs_steps(self):
            _preload.before_steps(env.script, env.config)
        run = _prepare(self)
        if run is None:
            return original_run(self, **kw)
        try:
            _timeouts.apply(self)  # monomig.lock_timeout / statement_timeout / lock_retries, once the lock is held
            original_run(self, **kw)
            if event_sink is not None:
                run.after = _heads(self)
        except BaseException:
            run.after = None
            if self.environment_context is None:
                _release(run, failed=True)
            raise
        if self.environment_context is None:  # no command around it: its caller commits
            _release(run, failed=False)

    def __exit__(self: Any, *args: Any, **kw: Any) -> None:
        try:
            return original_exit(self, *args, **kw)
        finally:
            run = self.__dict__.pop("_monomig_run", None)
            if run is not None:
                _release(run, failed=bool(args and args[0] is not None))

    _patch.replace(
        [(MigrationContext, "run_migrations", run_migrations), (EnvironmentContext, "__exit__", __exit__)],
        "_monomig_target",
        _originals,
    )


def uninstall() -> None:
    """Give Alembic back its own functions (``monomig.bridge.deactivate``)."""
    _patch.restore(_originals)
