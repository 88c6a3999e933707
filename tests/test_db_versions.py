"""read_versions against the real servers and SQLite files, with real Alembic writing
the version tables and reading them back (`MigrationContext.get_current_heads`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.databases import (  # noqa: F401  (fixtures)
    MY_HOST,
    MY_PORT,
    PG_SOCKET_DIR,
    ServerDb,
    SqliteDb,
    alembic_current_heads,
    alembic_project,
    alembic_stamp,
    any_database,
    my_admin,
    mysql_database,
    mysql_extra_database,
    pg_admin,
    pg_database,
    sqlite_database,
    unique_name,
)

import monomig
import monomig._native as native

HEADS = ["b2b2b2b2b2b2", "c3c3c3c3c3c3"]


def read_one(url: str, table: str | None = "alembic_version", schema: str | None = None, **kw):
    (r,) = native.read_versions([(url, table, schema)], **kw)
    return r


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return alembic_project(tmp_path_factory.mktemp("alembic"))


def test_absent_table_then_stamped_rows_match_alembic(any_database: str, project: Path) -> None:
    r = read_one(any_database)
    assert r.state in ("no_table", "no_database"), r  # SQLite: the file appears on first write
    alembic_stamp(project, any_database, "heads")
    r = read_one(any_database)
    assert r.state == "present", r.error
    assert sorted(r.rows) == HEADS
    assert list(r.rows) == list(alembic_current_heads(any_database))
    alembic_stamp(project, any_database, "a1a1a1a1a1a1")
    assert read_one(any_database).rows == ["a1a1a1a1a1a1"]
    alembic_stamp(project, any_database, "base")
    r = read_one(any_database)
    assert r.state == "present" and r.rows == []
    assert alembic_current_heads(any_database) == ()


def test_custom_table_name(any_database: str, project: Path) -> None:
    table = "Version-Table of svc_1"
    alembic_stamp(project, any_database, "b2b2b2b2b2b2", version_table=table)
    assert read_one(any_database, table).rows == ["b2b2b2b2b2b2"]
    assert read_one(any_database, "alembic_version").state == "no_table"
    assert list(alembic_current_heads(any_database, version_table=table)) == ["b2b2b2b2b2b2"]


def test_postgres_schema(pg_database: ServerDb, project: Path) -> None:
    with pg_admin(pg_database.name) as conn:
        conn.execute('CREATE SCHEMA "svc_schema"')
    alembic_stamp(project, pg_database.url, "heads", version_table="svc_version", schema="svc_schema")
    r = read_one(pg_database.url, "svc_version", "svc_schema")
    assert sorted(r.rows) == HEADS
    assert read_one(pg_database.url, "svc_version").state == "no_table"  # not on the search path
    assert read_one(pg_database.url, "svc_version", "no_such_schema").state == "no_table"
    got = alembic_current_heads(pg_database.url, version_table="svc_version", schema="svc_schema")
    assert sorted(got) == HEADS


def test_postgres_search_path_from_url_options(pg_database: ServerDb, project: Path) -> None:
    with pg_admin(pg_database.name) as conn:
        conn.execute('CREATE SCHEMA "other"')
    url = pg_database.url + "?options=-csearch_path%3Dother"
    alembic_stamp(project, url, "c3c3c3c3c3c3")
    assert read_one(url).rows == ["c3c3c3c3c3c3"]
    assert read_one(pg_database.url).state == "no_table"  # it went into "other"
    assert read_one(pg_database.url, "alembic_version", "other").rows == ["c3c3c3c3c3c3"]


def test_mysql_schema_is_another_database(mysql_database: ServerDb, mysql_extra_database: str, project: Path) -> None:
    alembic_stamp(project, mysql_database.url, "heads", schema=mysql_extra_database)
    r = read_one(mysql_database.url, "alembic_version", mysql_extra_database)
    assert sorted(r.rows) == HEADS
    assert read_one(mysql_database.url).state == "no_table"
    assert read_one(mysql_database.url, "alembic_version", unique_name()).state == "no_table"


def test_postgres_unix_socket(pg_database: ServerDb, project: Path) -> None:
    alembic_stamp(project, pg_database.url, "b2b2b2b2b2b2")
    for url in (
        f"postgresql+psycopg://postgres@/{pg_database.name}?host={PG_SOCKET_DIR}",
        f"postgresql://postgres@/{pg_database.name}",  # libpq's default: the socket
        f"postgresql+pg8000://postgres@/{pg_database.name}?unix_sock={PG_SOCKET_DIR}/.s.PGSQL.5432",
    ):
        assert native.connect_info(url)["socket"] == PG_SOCKET_DIR
        r = read_one(url)
        assert r.rows == ["b2b2b2b2b2b2"], (url, r.error)


def test_relative_sqlite_path_uses_base_dir(tmp_path: Path, project: Path) -> None:
    (tmp_path / "var").mkdir()
    db = tmp_path / "var" / "svc.db"
    alembic_stamp(project, f"sqlite:///{db}", "c3c3c3c3c3c3")
    r = native.read_versions([("sqlite:///var/svc.db", None, None)], base_dir=str(tmp_path))[0]
    assert r.rows == ["c3c3c3c3c3c3"]
    r = native.read_versions([("sqlite:///var/svc.db", None, None, str(tmp_path))], base_dir="/nonexistent")[0]
    assert r.rows == ["c3c3c3c3c3c3"]
    r = native.read_versions([("sqlite:///var/svc.db", None, None)], base_dir=str(tmp_path / "var"))[0]
    assert r.state == "no_database"
    assert not (tmp_path / "var" / "var").exists()  # reading never creates a database


def test_sqlite_uri_read_only(sqlite_database: SqliteDb, project: Path) -> None:
    alembic_stamp(project, sqlite_database.url, "b2b2b2b2b2b2")
    url = f"sqlite:///file:{sqlite_database.path}?mode=ro&uri=true"
    assert read_one(url).rows == ["b2b2b2b2b2b2"]


def test_memory_database_has_no_table() -> None:
    assert read_one("sqlite://").state == "no_table"
    assert read_one("sqlite:///:memory:").state == "no_table"


def test_sqlite_schema_other_than_main_is_refused(sqlite_database: SqliteDb, project: Path) -> None:
    alembic_stamp(project, sqlite_database.url, "b2b2b2b2b2b2")
    assert read_one(sqlite_database.url, "alembic_version", "main").rows == ["b2b2b2b2b2b2"]
    r = read_one(sqlite_database.url, "alembic_version", "attached")
    assert r.state == "error" and r.error_kind == "config"
    assert "attached" in r.error


HOSTILE = [
    'x"; DROP TABLE important; --',
    "x`; DROP TABLE important; --",
    "x'; DROP TABLE important; --",
    "alembic_version; DROP TABLE important",
    'a"."b',
    "a`.`b",
]


def test_hostile_names_cannot_run_sql(any_database: str, project: Path) -> None:
    alembic_stamp(project, any_database, "b2b2b2b2b2b2")
    from sqlalchemy import create_engine, pool, text

    engine = create_engine(any_database, poolclass=pool.NullPool)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE important (x INTEGER)"))
    engine.dispose()
    for hostile in HOSTILE:
        for table, schema in ((hostile, None), ("alembic_version", hostile)):
            r = read_one(any_database, table, schema)
            assert r.state in ("no_table", "error"), (hostile, r)
            if r.state == "error":
                assert r.error_kind in ("query", "config"), r.error
    engine = create_engine(any_database, poolclass=pool.NullPool)
    with engine.connect() as conn:
        conn.execute(text("SELECT x FROM important"))
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "b2b2b2b2b2b2"
    engine.dispose()


def test_table_without_version_num_is_a_clear_error(any_database: str) -> None:
    from sqlalchemy import create_engine, pool, text

    engine = create_engine(any_database, poolclass=pool.NullPool)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (something INTEGER)"))
    engine.dispose()
    r = read_one(any_database)
    assert r.state == "error" and r.error_kind == "query"
    assert "alembic_version" in r.error and "version_num" in r.error


def test_missing_databases(pg_database: ServerDb, mysql_database: ServerDb, tmp_path: Path) -> None:
    name = unique_name()
    rs = native.read_versions(
        [
            (pg_database.url_for(name), None, None),
            (mysql_database.url_for(name), None, None),
            (f"sqlite:///{tmp_path}/nope/x.db", None, None),
        ]
    )
    assert [r.state for r in rs] == ["no_database"] * 3


def test_unreachable_and_unknown_hosts() -> None:
    rs = native.read_versions(
        [
            ("postgresql://postgres@127.0.0.1:1/test", None, None),
            ("mysql+pymysql://root@127.0.0.1:1/test", None, None),
            ("postgresql://postgres@/test?host=/nonexistent/dir", None, None),
            ("postgresql://postgres@no-such-host.invalid/test", None, None),
        ],
        connect_timeout=3,
    )
    assert [r.state for r in rs] == ["error"] * 4
    assert [r.error_kind for r in rs] == ["unreachable", "unreachable", "unreachable", "unknown_host"]
    assert "127.0.0.1:1" in rs[0].error and "refused" in rs[0].error
    assert "no-such-host.invalid" in rs[3].error


def test_mysql_wrong_password_never_echoed(mysql_database: ServerDb) -> None:
    user = unique_name("mmu")[:30]
    secret = "Right-Pw-7q!x"
    admin = my_admin()
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", (secret,))
            cur.execute(f"GRANT ALL ON `{mysql_database.name}`.* TO '{user}'@'%'")
        wrong = "Wrong-Pw-9z?y"
        base = f"mysql+pymysql://{user}:{{}}@{MY_HOST}:{MY_PORT}/{mysql_database.name}"
        from urllib.parse import quote

        bad = read_one(base.format(quote(wrong, safe="")))
        assert bad.state == "error" and bad.error_kind == "auth_failed", bad.error
        assert user in bad.error
        for shown in (bad.error, bad.url, repr(bad)):
            assert wrong not in shown and quote(wrong, safe="") not in shown
            assert "***" in bad.url
        good = read_one(base.format(quote(secret, safe="")))
        assert good.state == "no_table", good.error
        # The password in the query instead of the URL is masked too.
        q = read_one(f"mysql+pymysql://{user}@{MY_HOST}:{MY_PORT}/{mysql_database.name}?password={quote(wrong)}")
        assert q.error_kind == "auth_failed"
        assert wrong not in q.error and wrong not in q.url
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        admin.close()


def test_ping_raises_with_kind(pg_database: ServerDb) -> None:
    native.ping(pg_database.url)
    with pytest.raises(monomig.DatabaseError) as info:
        native.ping(pg_database.url_for(unique_name()))
    assert info.value.kind == "database_absent"
    with pytest.raises(monomig.DatabaseError) as info:
        native.ping("postgresql://postgres@127.0.0.1:1/x", connect_timeout=2)
    assert info.value.kind == "unreachable"
    with pytest.raises(monomig.ConfigError):
        native.ping("postgres://postgres@127.0.0.1/x")


def test_many_services_one_server(pg_database: ServerDb, project: Path) -> None:
    """200 targets over three databases: right answers, in order, one failing target never
    hiding the others, and every connection closed afterwards."""
    names = [pg_database.name, unique_name(), unique_name()]
    with pg_admin() as admin:
        for n in names[1:]:
            admin.execute(f'CREATE DATABASE "{n}"')
    try:
        tables = [f"svc_{i}_version" for i in range(50)]
        for n in names[:2]:
            for t in tables[::10]:
                alembic_stamp(project, pg_database.url_for(n), "b2b2b2b2b2b2", version_table=t)
        targets = []
        expected = []
        for i in range(200):
            n = names[i % 3]
            t = tables[i % 50]
            targets.append((pg_database.url_for(n), t, None))
            expected.append("present" if n != names[2] and t in tables[::10] else "no_table")
        targets.insert(17, ("postgresql://postgres@127.0.0.1:1/x", None, None))
        expected.insert(17, "error")
        targets.insert(42, ("not a url", None, None))
        expected.insert(42, "error")
        rs = native.read_versions(targets, concurrency=2, connect_timeout=3)
        assert [r.state for r in rs] == expected
        assert all(r.rows == ["b2b2b2b2b2b2"] for r in rs if r.state == "present")
        assert rs[42].error_kind == "config"
        with pg_admin() as admin:
            left = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = ANY(%s)", (names,)).fetchone()[
                0
            ]
        assert left == 0
    finally:
        with pg_admin() as admin:
            for n in names[1:]:
                admin.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')


def test_connection_budget_is_respected(pg_database: ServerDb) -> None:
    """12 targets that need 12 distinct connections (different session options), slow
    reads, concurrency=3: pg_stat_activity never shows more than 3 of them at once."""
    import threading
    import time

    app = unique_name("budget")
    peak = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal peak
        with pg_admin() as admin:
            while not stop.is_set():
                c = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (app,)
                ).fetchone()[0]
                peak = max(peak, c)
                time.sleep(0.005)

    with pg_admin(pg_database.name) as c:
        c.execute("CREATE VIEW alembic_version AS SELECT 'abc'::text AS version_num FROM pg_sleep(0.15)")
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        urls = [
            f"{pg_database.url}?application_name={app}&options=-cstatement_timeout%3D{i + 1}00000" for i in range(12)
        ]
        rs = native.read_versions([(u, None, None) for u in urls], concurrency=3)
    finally:
        stop.set()
        watcher.join()
    assert [r.rows for r in rs] == [["abc"]] * 12
    assert 2 <= peak <= 3, peak


def test_targets_validation() -> None:
    with pytest.raises(TypeError):
        native.read_versions(["sqlite://"])
    with pytest.raises(TypeError):
        native.read_versions([("sqlite://", None, None, None, None)])
    with pytest.raises(ValueError):
        native.read_versions([("sqlite://", None, None)], connect_timeout=-1)
    assert native.read_versions([]) == []
    assert native.read_versions([("sqlite://",)])[0].state == "no_table"


def test_demo_monorepo_round_trip(demo_copy: Path) -> None:
    """The demo's services, stamped by real Alembic (`alembic -n service_one stamp head`)."""
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(demo_copy))
    alembic = [sys.executable, "-m", "alembic"]
    out = subprocess.run(
        [*alembic, "-n", "service_one", "stamp", "head"], cwd=demo_copy, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    rs = native.read_versions(
        [("sqlite:///var/service_one.db", None, None), ("sqlite:///var/service_two.db", None, None)],
        base_dir=str(demo_copy),
    )
    assert rs[0].state == "present" and len(rs[0].rows) == 1
    assert rs[1].state == "no_database"


def test_tls_problems(pg_database: ServerDb, mysql_database: ServerDb) -> None:
    rs = native.read_versions(
        [
            # The server's certificate is self-signed: verification must fail, not be skipped.
            (pg_database.url + "?sslmode=verify-full", None, None),
            (pg_database.url + "?sslmode=verify-ca&sslrootcert=/nonexistent/root.pem", None, None),
            (pg_database.url + "?sslmode=require", None, None),
            # This MariaDB has no TLS: requiring it must fail rather than fall back.
            (mysql_database.url.replace("+pymysql", "") + "?ssl_mode=REQUIRED", None, None),
        ]
    )
    assert (rs[0].state, rs[0].error_kind) == ("error", "tls"), rs[0].error
    assert (rs[1].state, rs[1].error_kind) == ("error", "config"), rs[1].error
    assert "sslrootcert" in rs[1].error and "/nonexistent/root.pem" in rs[1].error
    assert rs[2].state == "no_table", rs[2].error
    assert (rs[3].state, rs[3].error_kind) == ("error", "tls"), rs[3].error
