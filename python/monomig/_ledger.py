"""The ledger: one row per step Alembic applies, in a table beside the version table.

Installed by :func:`monomig.bridge.activate` (with :mod:`monomig._target`), so every
migrating run through the bridge writes it: ``alembic -n svc upgrade`` with
``import monomig`` in env.py, the ``monomig`` command and ``monomig upgrade --all``.
Stock Alembic without monomig writes nothing.

The table is ``<version_table>_log`` in the version table's schema (``monomig.log_table``
in the service's section names another; ``monomig.log = false`` turns the ledger off),
created on first use. It is written on Alembic's own connection:

- where the database's DDL is transactional (PostgreSQL), a ``done`` row is inserted in
  the transaction that runs the step and changes the version table: the two commit or
  roll back together;
- elsewhere (MySQL/MariaDB, SQLite as Alembic runs it), a ``running`` row is inserted and
  committed before the step and completed after it, in the step's transaction: a step
  that died half-way leaves its ``running`` row (``monomig verify``: ``partial_apply``);
- a step that fails is recorded ``failed`` once Alembic's transaction has ended
  (on a new connection of the same engine, when the command's environment closes).

This module imports Alembic only in :func:`install` and while a run is under way, so
``monomig log`` and ``monomig verify`` read the table through it with SQLAlchemy alone.

Autogenerate and Alembic's ``check`` never see the table: the migration context's
``include_name`` hook leaves it out (around env.py's own hook, if any).
"""

from __future__ import annotations

import datetime
import getpass
import os
import socket
import sys
import time
import uuid
from typing import Any

import monomig._native as _native
from monomig import _patch

#: Section options.
LOG_OPTION = "monomig.log"
LOG_TABLE_OPTION = "monomig.log_table"
#: ``MONOMIG_LOG=0`` in the environment turns the ledger off for every service.
LOG_ENV = "MONOMIG_LOG"
#: The longest error text kept in a row.
ERROR_LIMIT = 2000

#: The ledger's columns, in order: what a table must have to be monomig's.
COLUMNS = (
    "id",
    "service",
    "revision",
    "direction",
    "file_hash",
    "started_at",
    "finished_at",
    "duration_ms",
    "outcome",
    "error",
    "run_user",
    "run_host",
    "run_pid",
    "monomig_version",
    "alembic_version",
    "python_version",
)

_originals: dict[tuple[type, str], Any] = {}


def _ledger_error(message: str) -> Exception:
    """The ledger table is not what monomig expects: the run fails before any step, as
    Alembic fails a command (``FAILED: <message>``)."""
    from alembic.util import CommandError

    return CommandError(message)


def table_name(version_table: str, option: str | None) -> str:
    """The ledger's table: ``monomig.log_table`` when set, else ``<version_table>_log``."""
    return option.strip() if option and option.strip() else f"{version_table}_log"


def _table(name: str, schema: str | None) -> Any:
    import sqlalchemy as sa

    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("service", sa.String(255), nullable=False),
        sa.Column("revision", sa.String(255), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("file_hash", sa.String(80)),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("finished_at", sa.String(32)),
        sa.Column("duration_ms", sa.Integer),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error", sa.String(ERROR_LIMIT)),
        sa.Column("run_user", sa.String(255)),
        sa.Column("run_host", sa.String(255)),
        sa.Column("run_pid", sa.Integer),
        sa.Column("monomig_version", sa.String(32)),
        sa.Column("alembic_version", sa.String(32)),
        sa.Column("python_version", sa.String(32)),
        schema=schema,
    )


def now() -> str:
    """UTC, ISO 8601 with microseconds: sortable as text on every database."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def clean_error(text: str, password: str | None = None) -> str:
    """An error text fit to store: passwords masked, at most ERROR_LIMIT characters."""
    if password:
        text = text.replace(password, "***")
    text = _native.mask_password(text)
    return text if len(text) <= ERROR_LIMIT else text[: ERROR_LIMIT - 3] + "..."


def _who() -> dict[str, Any]:
    import alembic

    user: str | None
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in this environment
        user = str(os.getuid()) if hasattr(os, "getuid") else None
    return {
        "run_user": (user or "")[:255] or None,
        "run_host": socket.gethostname()[:255],
        "run_pid": os.getpid(),
        "monomig_version": _native.__version__,
        "alembic_version": alembic.__version__,
        "python_version": sys.version.split()[0],
    }


def _section_option(ctx: Any, option: str) -> str | None:
    env = ctx.environment_context
    config = getattr(env, "config", None) if env is not None else None
    if config is None:
        return None
    try:
        value = config.get_section_option(config.config_ini_section, option)
    except Exception:  # noqa: BLE001 - a config without that section
        return None
    return value if isinstance(value, str) else None


def settings(ctx: Any) -> tuple[bool, str]:
    """Whether the ledger is on for this context's service, and its table."""
    from monomig._values import asbool, env_off

    raw = _section_option(ctx, LOG_OPTION)
    on = asbool(raw, True) and not env_off(LOG_ENV)
    return on, table_name(ctx.version_table, _section_option(ctx, LOG_TABLE_OPTION))


class _Ledger:
    """The ledger of one migrating run (one MigrationContext.run_migrations)."""

    def __init__(self, ctx: Any, name: str) -> None:
        from monomig._target import _service

        self.ctx = ctx
        self.table = _table(name, ctx.version_table_schema)
        self.name = name
        self.service = _service(ctx) or "alembic"
        self.who = _who()
        self.transactional = bool(ctx.impl.transactional_ddl)
        url = ctx.connection.engine.url
        self.engine = ctx.connection.engine
        self.password = url.password if isinstance(url.password, str) and url.password else None
        self.display = _native.mask_password(url.render_as_string(hide_password=True))
        self.failures: list[dict[str, Any]] = []
        self.ready = False  # the table is checked (and created) before the first step only

    def qualified(self) -> str:
        schema = self.ctx.version_table_schema
        return f"{schema}.{self.name}" if schema else self.name

    def ensure(self) -> None:
        """Create the table on first use; refuse one that is not monomig's (before the
        first step: a run with nothing to do reads and writes nothing more)."""
        import sqlalchemy as sa

        conn = self.ctx.connection
        schema = self.ctx.version_table_schema
        inspector = sa.inspect(conn)
        if not inspector.has_table(self.name, schema=schema):
            self.table.create(conn)
            return
        found = [c["name"].lower() for c in inspector.get_columns(self.name, schema=schema)]
        if set(found) != set(COLUMNS):
            missing = [c for c in COLUMNS if c not in found]
            extra = [c for c in found if c not in COLUMNS]
            detail = "; ".join(
                part
                for part in (
                    f"missing {', '.join(missing)}" if missing else "",
                    f"unexpected {', '.join(extra)}" if extra else "",
                )
                if part
            )
            raise _ledger_error(
                f"service {self.service!r}: the table {self.qualified()} in {self.display} is not monomig's "
                f"ledger ({detail}); nothing was run. Set {LOG_TABLE_OPTION} in the [{self.service}] section to "
                f"another table name, or {LOG_OPTION} = false to run without a ledger."
            )
        if conn.dialect.name == "postgresql":
            self._check_postgres_privileges(conn, schema)

    def _check_postgres_privileges(self, conn: Any, schema: str | None) -> None:
        """Refuse, before the first step, a ledger table the migrating role cannot write
        (another role owns it and granted nothing): the run would otherwise fail on the
        ledger's first INSERT, or record no failure. UPDATE ... WHERE id needs SELECT too.
        MySQL/MariaDB are not checked: their grants (global, database, table, role) have
        no one cheap query that answers."""
        import sqlalchemy as sa

        row = conn.execute(
            sa.text(
                "SELECT n.nspname, pg_get_userbyid(c.relowner), current_user, "
                "has_table_privilege(c.oid, 'SELECT'), has_table_privilege(c.oid, 'INSERT'), "
                "has_table_privilege(c.oid, 'UPDATE') "
                "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relname = :name AND n.nspname = COALESCE(:schema, current_schema())"
            ),
            {"name": self.name, "schema": schema},
        ).first()
        if row is None:  # not found through the catalog: nothing this check can say
            return
        nspname, owner, user, *granted = row
        missing = [p for p, ok in zip(("SELECT", "INSERT", "UPDATE"), granted, strict=True) if not ok]
        if not missing:
            return
        where = f"{nspname}.{self.name}"
        quote = conn.dialect.identifier_preparer.quote  # quotes only a name that needs it
        grant = f"GRANT SELECT, INSERT, UPDATE ON {quote(nspname)}.{quote(self.name)} TO {quote(user)}"
        raise _ledger_error(
            f"service {self.service!r}: the ledger table {where} in {self.display} is owned by role "
            f"{owner!r}, and the role {user!r} running this migration has no {', '.join(missing)} privilege "
            f"on it; nothing was run. Have {owner!r} (or a superuser) run {grant}, or set "
            f"{LOG_TABLE_OPTION} in the [{self.service}] section to a table "
            f"this role can write, or {LOG_OPTION} = false to run without a ledger."
        )

    def _step_values(self, step: Any) -> dict[str, Any]:
        from alembic.runtime.migration import StampStep

        file_hash = None
        if isinstance(step, StampStep):
            direction = "stamp"
            revision = ", ".join(step.to_revisions) or "base"
        else:
            direction = "upgrade" if step.is_upgrade else "downgrade"
            revision = step.revision.revision
            path = getattr(step.revision, "path", None)
            if path:
                try:
                    file_hash = _native.sum_file_hash(path)
                except _native.MonomigError:
                    file_hash = None
        return {
            "service": self.service,
            "revision": revision[:255],
            "direction": direction,
            "file_hash": file_hash,
            **self.who,
        }

    def wrap(self, step: Any) -> Any:
        """Before the step: its ``running`` row, committed (non-transactional DDL). Its
        ``migration_fn`` then completes the row after the step's work, in the step's
        transaction, and remembers a failure."""
        if not self.ready:
            self.ensure()
            self.ready = True
        values = self._step_values(step)
        row_id = uuid.uuid4().hex
        started = now()
        conn = self.ctx.connection
        if not self.transactional:
            conn.execute(self.table.insert().values(id=row_id, started_at=started, outcome="running", **values))
            # (SQLAlchemy 1.4's legacy connections committed the INSERT themselves)
            external = getattr(self.ctx, "_in_external_transaction", False)
            if not external and hasattr(conn, "commit") and conn.in_transaction():
                conn.commit()
        fn = step.migration_fn
        ledger = self

        def migration_fn(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                out = fn(*a, **kw)
            except BaseException as e:
                ledger.failures.append(
                    {
                        "id": row_id,
                        "values": values,
                        "started_at": started,
                        "duration_ms": int((time.perf_counter() - t0) * 1000),
                        "error": clean_error(f"{type(e).__name__}: {e}", ledger.password),
                    }
                )
                raise
            done = {"finished_at": now(), "duration_ms": int((time.perf_counter() - t0) * 1000), "outcome": "done"}
            if ledger.transactional:
                conn.execute(ledger.table.insert().values(id=row_id, started_at=started, **values, **done))
            else:
                conn.execute(ledger.table.update().where(ledger.table.c.id == row_id).values(**done))
            return out

        migration_fn.__name__ = getattr(fn, "__name__", "migration_fn")
        step.migration_fn = migration_fn
        return step

    def record_failures(self) -> None:
        """After Alembic's transaction ended: the failed steps, on a new connection."""
        failures, self.failures = self.failures, []
        if not failures:
            return
        try:
            with self.engine.connect() as conn:
                # PostgreSQL rolled back a table created by this run with the failed step.
                self.table.create(conn, checkfirst=True)
                for f in failures:
                    row = {
                        "finished_at": now(),
                        "duration_ms": f["duration_ms"],
                        "outcome": "failed",
                        "error": f["error"],
                    }
                    updated = conn.execute(self.table.update().where(self.table.c.id == f["id"]).values(**row))
                    if not updated.rowcount:
                        conn.execute(
                            self.table.insert().values(id=f["id"], started_at=f["started_at"], **f["values"], **row)
                        )
                if hasattr(conn, "commit"):  # SQLAlchemy 2 (1.4's legacy connections autocommit)
                    conn.commit()
        except Exception as e:  # noqa: BLE001 - the migration's own error is the one to report
            print(
                f"monomig: warning: the failure could not be recorded in the ledger {self.qualified()}: "
                f"{clean_error(str(e), self.password)}",
                file=sys.stderr,
            )


def _hide_table(ctx: Any, name: str) -> None:
    """Autogenerate (``revision --autogenerate``, ``check``) leaves the ledger out."""
    user_hook = ctx.opts.get("include_name")
    if getattr(user_hook, "_monomig_ledger", None) == name:
        return
    schema = ctx.version_table_schema

    def include_name(obj_name: Any, type_: str, parent_names: dict[str, Any]) -> bool:
        if type_ == "table" and obj_name == name and parent_names.get("schema_name") == schema:
            return False
        return True if user_hook is None else bool(user_hook(obj_name, type_, parent_names))

    include_name._monomig_ledger = name  # type: ignore[attr-defined]
    ctx.opts["include_name"] = include_name


def _begin(ctx: Any) -> _Ledger | None:
    """The ledger of a migrating run, its table ready; None when off or not migrating."""
    from monomig import _target

    on, name = settings(ctx)
    _hide_table(ctx, name)
    if not on or ctx.connection is None or not _target._is_migrating(ctx):
        return None
    ledger = _Ledger(ctx, name)
    env = ctx.environment_context
    if env is not None:
        env.__dict__.setdefault("_monomig_ledgers", []).append(ledger)
    return ledger


def install() -> None:
    """Wrap ``MigrationContext.run_migrations`` and ``EnvironmentContext.__exit__`` (idempotent)."""
    if _originals:
        return
    from alembic.runtime.environment import EnvironmentContext
    from alembic.runtime.migration import MigrationContext

    original_run = MigrationContext.__dict__["run_migrations"]
    original_exit = EnvironmentContext.__dict__["__exit__"]
    if getattr(original_run, "_monomig_ledger", False):
        return

    def run_migrations(self: Any, **kw: Any) -> None:
        ledger = _begin(self)
        if ledger is None:
            return original_run(self, **kw)
        steps_fn = self._migrations_fn

        def steps(heads: Any, ctx: Any) -> Any:
            for step in steps_fn(heads, ctx):
                yield ledger.wrap(step)

        self._migrations_fn = steps
        try:
            original_run(self, **kw)
        finally:
            self._migrations_fn = steps_fn
            if self.environment_context is None:
                ledger.record_failures()

    def __exit__(self: Any, *args: Any, **kw: Any) -> None:
        try:
            return original_exit(self, *args, **kw)
        finally:
            for ledger in self.__dict__.pop("_monomig_ledgers", []):
                ledger.record_failures()

    _patch.replace(
        [(MigrationContext, "run_migrations", run_migrations), (EnvironmentContext, "__exit__", __exit__)],
        "_monomig_ledger",
        _originals,
    )


def uninstall() -> None:
    """Give Alembic back its own functions (``monomig.bridge.deactivate``)."""
    _patch.restore(_originals)


# --------------------------------------------------------------------------- reading
# (``monomig log``, ``monomig verify``, ``status``: SQLAlchemy only)


def service_table(svc: Any) -> tuple[bool, str, str | None]:
    """For a :class:`monomig.Service`: whether its ledger is on, its table and schema."""
    from monomig._values import asbool

    on = asbool(svc.options.get(LOG_OPTION), True)
    return on, table_name(svc.version_table, svc.options.get(LOG_TABLE_OPTION)), svc.version_table_schema


def read_rows(conn: Any, name: str, schema: str | None, service: str | None = None) -> list[dict[str, Any]] | None:
    """The ledger's rows (of ``service`` when given), newest first; None without the table.
    A table that is not monomig's ledger raises ValueError naming it."""
    import sqlalchemy as sa

    inspector = sa.inspect(conn)
    if not inspector.has_table(name, schema=schema):
        return None
    found = {c["name"].lower() for c in inspector.get_columns(name, schema=schema)}
    if found != set(COLUMNS):
        where = f"{schema}.{name}" if schema else name
        raise ValueError(
            f"the table {where} is not monomig's ledger (its columns: {', '.join(sorted(found))}); set "
            f"{LOG_TABLE_OPTION} in the service's section to the ledger's name"
        )
    table = _table(name, schema)
    query = sa.select(table)
    if service is not None:
        query = query.where(table.c.service == service)
    query = query.order_by(table.c.started_at.desc(), table.c.id.desc())
    rows = [dict(r._mapping) for r in conn.execute(query)]
    return rows


# --------------------------------------------------------------------------- status


def annotate_status(
    out: list[dict[str, Any]], services: list[Any], specs: list[Any], timeout: float, max_connections: int
) -> None:
    """``monomig status``: add ``last_problem`` to each service whose last ledger step failed,
    or is still ``running`` while no process holds its migration lock (``partial``). Read in
    Rust (``_native.ledger_last_steps``): no SQLAlchemy; a ledger that cannot be read adds
    nothing (the service's state says why when its database is the cause)."""
    targets: list[tuple[str, str, str, str | None, str]] = []
    index: list[int] = []
    for i, (svc, spec) in enumerate(zip(services, specs, strict=True)):
        on, table, schema = service_table(svc)
        if not on or spec.get("url") is None or out[i]["state"] == "unreachable":
            continue
        # A tenant schema keeps its ledger beside its own version table.
        schema = spec.get("version_table_schema") or schema
        targets.append((spec["url"], spec["base_dir"], table, schema, svc.name))
        index.append(i)
    if not targets:
        return
    from monomig._values import mask

    for i, step in zip(index, _native.ledger_last_steps(targets, timeout, max_connections), strict=True):
        if not isinstance(step, dict):
            continue
        if step["outcome"] == "failed" or (step["outcome"] == "running" and out[i]["state"] != "migrating"):
            error = step["error"]
            out[i]["last_problem"] = {
                **step,
                "outcome": "partial" if step["outcome"] == "running" else step["outcome"],
                "error": mask(error) if error else error,
            }


def status_note(s: dict[str, Any]) -> str:
    """The line ``status`` prints under its table for a service's ``last_problem``."""
    p = s["last_problem"]
    what = f"{p['direction']} of {p['revision']} started {p['started_at']}"
    if p["outcome"] == "partial":
        return f"{s['service']}: last step never finished ({what}): run `monomig verify -n {s['service']}`"
    first = (p.get("error") or "").splitlines()[0] if p.get("error") else ""
    return f"{s['service']}: last step failed ({what})" + (f": {first}" if first else "")
