"""Real databases for tests: unique PostgreSQL and MariaDB databases (dropped afterwards),
SQLite files in a temporary directory, and a tiny Alembic project to stamp them with.

Import the fixtures into a test module (``from support.databases import pg_database``).
Every database and user name is unique (``unique_name``), so parallel test workers and
concurrent runs on one server never collide. A server that does not answer skips its
tests with the reason on a developer's machine, and fails them under CI (``CI=true`` in
the environment, which CI sets and ``.ci/run`` exports), so CI never passes silently
without a server. Tests marked ``postgres`` / ``mysql`` get the same check before they
run (tests/conftest.py).
"""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"
PG_SOCKET_DIR = "/var/run/postgresql"
MY_HOST = "127.0.0.1"
MY_PORT = 3306
MY_USER = "root"


def unique_name(prefix: str = "monomig_t") -> str:
    """A database/schema/user name no other test (or test run) uses."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def under_ci() -> bool:
    """Whether this run is CI's (``CI=true``), where a missing server is a failure."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _unavailable(what: str, err: Exception) -> NoReturn:
    msg = f"{what} is not reachable ({type(err).__name__}: {str(err).strip()})"
    if under_ci():
        pytest.fail(f"{msg}; CI=true, so the server tests fail instead of skipping (.ci/run starts the servers)")
    pytest.skip(f"{msg}; start it to run this test (under CI=true it fails)")


_reachable: dict[str, Exception | None] = {}


def require_server(backend: str) -> None:
    """Skip (developer machine) or fail (CI) the current test unless the server of
    ``backend`` ("postgres" or "mysql") answers; asked once per process."""
    if backend not in _reachable:
        try:
            conn = pg_admin() if backend == "postgres" else my_admin()
            conn.close()
            _reachable[backend] = None
        except Exception as e:  # noqa: BLE001  (any failure to connect)
            _reachable[backend] = e
    err = _reachable[backend]
    if err is not None:
        _unavailable(
            f"PostgreSQL on {PG_HOST}:{PG_PORT}" if backend == "postgres" else f"MariaDB on {MY_HOST}:{MY_PORT}", err
        )


def pg_admin(dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, autocommit=True, connect_timeout=5)


def my_admin(database: str | None = None):
    import pymysql

    return pymysql.connect(
        host=MY_HOST, port=MY_PORT, user=MY_USER, password="", database=database, autocommit=True, connect_timeout=5
    )


@dataclass
class ServerDb:
    """One unique database on a server: its name and SQLAlchemy URLs for it."""

    name: str
    url: str  # the URL monomig and Alembic both use
    server_url: str  # the same server, no database

    def url_for(self, database: str) -> str:
        return f"{self.server_url}/{database}"


@pytest.fixture
def pg_database() -> Iterator[ServerDb]:
    try:
        admin = pg_admin()
    except Exception as e:  # noqa: BLE001
        _unavailable("PostgreSQL on 127.0.0.1:5432", e)
    name = unique_name()
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            server = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}"
            yield ServerDb(name=name, url=f"{server}/{name}", server_url=server)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def mysql_database() -> Iterator[ServerDb]:
    try:
        admin = my_admin()
    except Exception as e:  # noqa: BLE001
        _unavailable("MariaDB on 127.0.0.1:3306", e)
    name = unique_name()
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
        server = f"mysql+pymysql://{MY_USER}@{MY_HOST}:{MY_PORT}"
        yield ServerDb(name=name, url=f"{server}/{name}", server_url=server)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture
def mysql_extra_database(mysql_database: ServerDb) -> Iterator[str]:
    """A second database on the MariaDB server (MySQL's "schema")."""
    name = unique_name()
    admin = my_admin()
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@dataclass
class SqliteDb:
    path: Path
    url: str  # absolute form: sqlite:////abs/path


@pytest.fixture
def sqlite_database(tmp_path: Path) -> SqliteDb:
    """A SQLite file path in a temporary directory (created by whoever writes first)."""
    path = tmp_path / "db" / "app.sqlite"
    path.parent.mkdir()
    return SqliteDb(path=path, url=f"sqlite:///{path}")


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def any_database(request: pytest.FixtureRequest) -> str:
    """The URL of an empty database on each backend in turn."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_database").url
    if request.param == "postgresql":
        return request.getfixturevalue("pg_database").url
    return request.getfixturevalue("mysql_database").url


# --- A tiny Alembic project -------------------------------------------------------
#
#   a ── b          heads: b, c  (two branches, so "heads" writes two rows)
#    └── c

REVISIONS = {
    "a1a1a1a1a1a1": None,
    "b2b2b2b2b2b2": "a1a1a1a1a1a1",
    "c3c3c3c3c3c3": "a1a1a1a1a1a1",
}

ENV_PY = """
from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
url = config.get_main_option("sqlalchemy.url")
opts = config.attributes.get("configure_opts", {})
engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None, **opts)
    with context.begin_transaction():
        context.run_migrations()
"""


def alembic_project(root: Path) -> Path:
    """Write the project under root (once) and return its directory."""
    proj = root / "alembic_proj"
    if proj.exists():
        return proj
    versions = proj / "versions"
    versions.mkdir(parents=True)
    (proj / "env.py").write_text(ENV_PY)
    (proj / "script.py.mako").write_text("")
    for rev, down in REVISIONS.items():
        (versions / f"{rev}_rev.py").write_text(
            textwrap.dedent(
                f"""
                revision = {rev!r}
                down_revision = {down!r}
                branch_labels = None
                depends_on = None

                def upgrade():
                    pass

                def downgrade():
                    pass
                """
            )
        )
    return proj


def _config(proj: Path, url: str, version_table: str | None, schema: str | None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(proj))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    opts = {}
    if version_table is not None:
        opts["version_table"] = version_table
    if schema is not None:
        opts["version_table_schema"] = schema
    cfg.attributes["configure_opts"] = opts
    return cfg


def alembic_stamp(
    proj: Path, url: str, revision: str, *, version_table: str | None = None, schema: str | None = None
) -> None:
    """Run the real `alembic stamp <revision>` against url."""
    from alembic import command

    command.stamp(_config(proj, url, version_table, schema), revision)


def alembic_current_heads(url: str, *, version_table: str | None = None, schema: str | None = None) -> tuple:
    """What real Alembic reads from the version table (`MigrationContext.get_current_heads`)."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine, pool

    engine = create_engine(url, poolclass=pool.NullPool)
    opts = {}
    if version_table is not None:
        opts["version_table"] = version_table
    if schema is not None:
        opts["version_table_schema"] = schema
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn, opts=opts).get_current_heads()
    finally:
        engine.dispose()
