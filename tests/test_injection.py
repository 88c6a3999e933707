"""Names from the configuration (version_table, version_table_schema, lock names, service
names) never run SQL, on the real servers and SQLite files.

For every name, real Alembic stamps the version table first (SQLAlchemy quotes the names)
and monomig must read back exactly what Alembic reads; a table named `victim` must
survive everything. Names Alembic itself cannot use are refused (or reported) with a
clear error that names the bad value, and still never run SQL.
"""

from __future__ import annotations

import sqlite3
import textwrap
import uuid
from pathlib import Path

import pytest
from support.databases import (  # noqa: F401  (fixtures)
    ServerDb,
    SqliteDb,
    alembic_current_heads,
    alembic_project,
    alembic_stamp,
    my_admin,
    mysql_database,
    pg_admin,
    pg_database,
    sqlite_database,
    unique_name,
)

import monomig
import monomig._native as native

HEADS = ["b2b2b2b2b2b2", "c3c3c3c3c3c3"]

# Names that try to break out of the identifier, for each quoting style.
HOSTILE_TABLES = [
    'alembic_version"; DROP TABLE victim; --',
    "alembic_version`; DROP TABLE victim; --",
    "alembic_version'; DROP TABLE victim; --",
    'x" UNION SELECT 1; DROP TABLE victim; --',
    "x`) ; DROP TABLE victim; #",
    "a]; DROP TABLE victim; --",
    "a\\'; DROP TABLE victim; --",
    "/* */ victim -- ",
]

# Valid but odd names that Alembic accepts on every backend.
ODD_TABLES = [
    "Alembic_Version",
    "version table with spaces",
    "dotted.name",
    "ÜnïcødéVersion",
    'quote"in"it',
    "back`tick",
    "semi;colon",
    "select",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return alembic_project(tmp_path_factory.mktemp("alembic"))


# --- victims ---------------------------------------------------------------------


def pg_make_victim(db: ServerDb) -> None:
    with pg_admin(db.name) as c:
        c.execute("CREATE TABLE victim (id int)")
        c.execute("INSERT INTO victim VALUES (1)")


def pg_victim_ok(db: ServerDb) -> bool:
    with pg_admin(db.name) as c:
        return c.execute("SELECT count(*) FROM victim").fetchone()[0] == 1


def my_make_victim(db: ServerDb) -> None:
    c = my_admin(db.name)
    with c.cursor() as cur:
        cur.execute("CREATE TABLE victim (id int)")
        cur.execute("INSERT INTO victim VALUES (1)")
    c.close()


def my_victim_ok(db: ServerDb) -> bool:
    c = my_admin(db.name)
    try:
        with c.cursor() as cur:
            cur.execute("SELECT count(*) FROM victim")
            return cur.fetchone()[0] == 1
    finally:
        c.close()


def lite_make_victim(db: SqliteDb) -> None:
    c = sqlite3.connect(db.path)
    c.execute("CREATE TABLE victim (id int)")
    c.execute("INSERT INTO victim VALUES (1)")
    c.commit()
    c.close()


def lite_victim_ok(db: SqliteDb) -> bool:
    c = sqlite3.connect(db.path)
    try:
        return c.execute("SELECT count(*) FROM victim").fetchone()[0] == 1
    finally:
        c.close()


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def victim_db(request: pytest.FixtureRequest):
    """(url, check) for a database holding a `victim` table, on each backend."""
    if request.param == "sqlite":
        db = request.getfixturevalue("sqlite_database")
        lite_make_victim(db)
        return request.param, db.url, lambda: lite_victim_ok(db)
    if request.param == "postgresql":
        db = request.getfixturevalue("pg_database")
        pg_make_victim(db)
        return request.param, db.url, lambda: pg_victim_ok(db)
    db = request.getfixturevalue("mysql_database")
    my_make_victim(db)
    return request.param, db.url, lambda: my_victim_ok(db)


def read_one(url: str, table: str | None, schema: str | None = None):
    (r,) = native.read_versions([(url, table, schema)], connect_timeout=10)
    return r


# --- version_table -----------------------------------------------------------------


@pytest.mark.parametrize("table", HOSTILE_TABLES + ODD_TABLES)
def test_version_table_names_read_what_alembic_wrote(victim_db, project: Path, table: str) -> None:
    backend, url, victim_ok = victim_db
    # Absent first: the name is looked up, nothing runs. (MySQL refuses some names, e.g.
    # with a trailing space, as it does for Alembic: a clear error naming the table.)
    r = read_one(url, table)
    if r.state == "error":
        assert backend == "mysql" and r.error_kind == "query" and table in r.error, r.error
    else:
        assert r.state == "no_table", (r.state, r.error)
    assert victim_ok()
    try:
        alembic_stamp(project, url, "heads", version_table=table)
    except Exception as e:  # noqa: BLE001
        # Alembic cannot create this table here (e.g. MySQL rules on names): monomig
        # must still not run anything, and answer with a value or a clear error.
        r = read_one(url, table)
        assert r.state in ("no_table", "error"), r.state
        assert victim_ok()
        pytest.skip(f"Alembic itself cannot use {table!r} on {backend}: {type(e).__name__}")
    assert victim_ok()
    r = read_one(url, table)
    assert r.state == "present", r.error
    assert sorted(r.rows) == HEADS
    assert list(r.rows) == list(alembic_current_heads(url, version_table=table))
    # The default table is untouched and still absent (SQLite names ignore case).
    if not (backend == "sqlite" and table.lower() == "alembic_version"):
        assert read_one(url, None).state == "no_table"
    assert victim_ok()


@pytest.mark.parametrize(
    ("table", "why"),
    [
        ("", "empty"),
        ("alembic\x00version", "NUL"),
        ("x\x00; DROP TABLE victim; --", "NUL"),
    ],
)
def test_impossible_names_are_refused_with_the_value(victim_db, table: str, why: str) -> None:
    _, url, victim_ok = victim_db
    r = read_one(url, table)
    assert r.state == "error"
    assert r.error_kind == "config"
    assert why in r.error
    if table:
        assert repr(table)[1:-1].split("\\x00")[0] in r.error
    assert victim_ok()


def test_very_long_names(victim_db, project: Path) -> None:
    """The longest names Alembic can use work as in Alembic; longer ones, which SQLAlchemy refuses on PostgreSQL and MySQL refuses
    itself, are never a crash (PostgreSQL truncates them, MySQL reports an error naming
    them); SQLite takes anything."""
    backend, url, victim_ok = victim_db
    for n in (63, 64, 65, 300, 5000):
        table = "v" * (n - 1) + '"'
        r = read_one(url, table)
        if backend == "mysql" and n > 64:
            assert r.state == "error" and r.error_kind == "query", r
            assert table[:40] in r.error
        else:
            assert r.state == "no_table", (n, r.state, r.error)
    assert victim_ok()
    # The longest names Alembic itself can use (its primary key is named <table>_pkc).
    table = "L" * {"postgresql": 59, "mysql": 60, "sqlite": 1000}[backend]
    alembic_stamp(project, url, "heads", version_table=table)
    r = read_one(url, table)
    assert r.state == "present" and sorted(r.rows) == HEADS
    assert list(r.rows) == list(alembic_current_heads(url, version_table=table))
    assert victim_ok()


# --- version_table_schema ----------------------------------------------------------

HOSTILE_SCHEMAS = [
    'sch"; DROP TABLE victim; --',
    "sch`; DROP TABLE victim; --",
    "Odd Schema",
    "ÜnïSchéma",
]


@pytest.mark.parametrize("schema", HOSTILE_SCHEMAS)
def test_pg_schema_names(pg_database: ServerDb, project: Path, schema: str) -> None:
    pg_make_victim(pg_database)
    r = read_one(pg_database.url, None, schema)
    assert r.state == "no_table", r.error  # no such schema: nothing applied
    from psycopg import sql

    with pg_admin(pg_database.name) as c:
        c.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    alembic_stamp(project, pg_database.url, "heads", schema=schema)
    r = read_one(pg_database.url, None, schema)
    assert r.state == "present" and sorted(r.rows) == HEADS, r.error
    assert list(r.rows) == list(alembic_current_heads(pg_database.url, schema=schema))
    # Both names odd at once.
    table = 'tbl"; DROP TABLE victim; --'
    alembic_stamp(project, pg_database.url, "b2b2b2b2b2b2", version_table=table, schema=schema)
    r = read_one(pg_database.url, table, schema)
    assert r.rows == ["b2b2b2b2b2b2"]
    assert pg_victim_ok(pg_database)
    assert read_one(pg_database.url, None, None).state == "no_table"


@pytest.mark.parametrize("schema", HOSTILE_SCHEMAS)
def test_mysql_schema_names(mysql_database: ServerDb, project: Path, schema: str) -> None:
    """On MySQL the schema is another database (made unique, as the server is shared with
    other test workers and runs)."""
    schema = f"{schema} {uuid.uuid4().hex[:8]}"
    my_make_victim(mysql_database)
    r = read_one(mysql_database.url, None, schema)
    assert r.state == "no_table", r.error
    admin = my_admin()
    quoted = "`" + schema.replace("`", "``") + "`"
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE {quoted}")
        alembic_stamp(project, mysql_database.url, "heads", schema=schema)
        r = read_one(mysql_database.url, None, schema)
        assert r.state == "present" and sorted(r.rows) == HEADS, r.error
        assert list(r.rows) == list(alembic_current_heads(mysql_database.url, schema=schema))
        assert my_victim_ok(mysql_database)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {quoted}")
        admin.close()


@pytest.mark.parametrize("schema", ['main"; DROP TABLE victim; --', "other", "main.x"])
def test_sqlite_schema_names_are_refused(sqlite_database: SqliteDb, schema: str) -> None:
    lite_make_victim(sqlite_database)
    r = read_one(sqlite_database.url, None, schema)
    assert r.state == "error" and r.error_kind == "config"
    assert schema in r.error and "version_table_schema" in r.error
    assert lite_victim_ok(sqlite_database)


@pytest.mark.parametrize("schema", ["main", "MAIN", "temp"])
def test_sqlite_main_schema_works(sqlite_database: SqliteDb, project: Path, schema: str) -> None:
    alembic_stamp(project, sqlite_database.url, "heads")
    r = read_one(sqlite_database.url, None, schema)
    if schema == "temp":
        assert r.state == "no_table"
    else:
        assert sorted(r.rows) == HEADS


# --- from alembic.ini to SQL ---------------------------------------------------------


def test_names_from_alembic_ini(tmp_path: Path, pg_database: ServerDb, project: Path) -> None:
    """The whole chain: a hostile version_table in alembic.ini reaches read_versions
    unchanged (configparser keeps the text after '=' as is) and is read as a name."""
    pg_make_victim(pg_database)
    table = 'alembic_version"; DROP TABLE victim; --'
    (tmp_path / "migrations").mkdir()
    (tmp_path / "alembic.ini").write_text(
        textwrap.dedent(
            f"""\
            [alembic]
            databases = svc

            [svc]
            script_location = %(here)s/migrations
            sqlalchemy.url = {pg_database.url}
            version_table = {table}
            """
        )
    )
    proj = monomig._native.load_project(str(tmp_path / "alembic.ini"))
    svc = proj.services["svc"]
    assert svc.version_table == table
    alembic_stamp(project, pg_database.url, "heads", version_table=table)
    (r,) = native.read_versions([(svc.sqlalchemy_url, svc.version_table, svc.version_table_schema)])
    assert sorted(r.rows) == HEADS
    assert pg_victim_ok(pg_database)


# --- lock names and service names ----------------------------------------------------

HOSTILE_LOCKS = [
    "monomig:x'); DROP TABLE victim; --",
    'monomig:x"); DROP TABLE victim; --',
    "monomig:x`; DROP TABLE victim; #",
    "monomig:" + "é" * 100 + "'; DROP TABLE victim; --",
    "monomig:\\'; SELECT pg_sleep(100); --",
]


@pytest.mark.parametrize("name", HOSTILE_LOCKS)
def test_lock_names_are_data(victim_db, name: str) -> None:
    backend, url, victim_ok = victim_db
    with native.MigrationLock(url, name, timeout=5, service="svc'; DROP TABLE victim; --") as lock:
        assert lock.held and lock.name == name
        with pytest.raises(monomig.LockError) as info:
            native.MigrationLock(url, name, timeout=0.3).acquire()
        assert name in str(info.value)
        if backend != "sqlite":
            # A different hostile name is a different lock.
            with native.MigrationLock(url, name + "2", timeout=2):
                pass
    assert victim_ok()
    with native.MigrationLock(url, name, timeout=5):
        pass


def test_pg_service_name_shows_as_application_name(pg_database: ServerDb) -> None:
    pg_make_victim(pg_database)
    service = "svc'; DROP TABLE victim; --"
    with native.MigrationLock(pg_database.url, "monomig:app", timeout=5, service=service):
        with pg_admin(pg_database.name) as c:
            names = [r[0] for r in c.execute("SELECT application_name FROM pg_stat_activity")]
        assert any(service in n for n in names), names
    assert pg_victim_ok(pg_database)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_lock_name_and_service_with_nul(backend: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(
        {"sqlite": "sqlite_database", "postgresql": "pg_database", "mysql": "mysql_database"}[backend]
    ).url
    # A NUL is data too: in a lock name (hashed, bound as a parameter or written as JSON)
    # and in a service name (PostgreSQL's application_name cannot hold it: it is replaced).
    for name, service in (("monomig:a\x00b", None), ("monomig:ok", "svc\x00x")):
        with native.MigrationLock(url, name, timeout=2, service=service) as lock:
            assert lock.held
