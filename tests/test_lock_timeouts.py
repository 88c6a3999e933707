"""``monomig.lock_timeout`` / ``statement_timeout`` / ``lock_retries`` at run time, on the
real PostgreSQL server, against a real blocker transaction: the revision fails after the
lock timeout instead of waiting, is retried (said on stderr), succeeds once the blocker
goes, and nothing of a failed try remains."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from support.databases import ServerDb, my_admin, mysql_database, pg_admin, pg_database  # noqa: F401
from support.fleet_repo import MONOMIG, Repo, env_without_urls, monomig

pytestmark = pytest.mark.slow

SIDE_AND_BLOCKED = """
op.create_table("side_effect", sa.Column("id", sa.BigInteger(), primary_key=True))
op.add_column("accounts", sa.Column("plan", sa.Text()))
"""


def _project(tmp_path: Path, url: str, retries: str) -> Repo:
    repo = Repo(tmp_path)
    repo.add_service(
        "pg",
        url,
        **{
            "monomig.lock_timeout": "200ms",
            "monomig.statement_timeout": "30s",
            "monomig.lock_retries": retries,
        },
    )
    repo.revision(
        "pg", "r1", None, upgrade='op.create_table("first", sa.Column("id", sa.BigInteger(), primary_key=True))'
    )
    repo.revision("pg", "r2", "r1", upgrade=SIDE_AND_BLOCKED)
    return repo


def _blocker(db: ServerDb):
    conn = pg_admin(db.name)
    conn.autocommit = False
    conn.execute("SELECT * FROM accounts").fetchall()  # ACCESS SHARE held until the transaction ends
    return conn


def _tables(db: ServerDb) -> set[str]:
    with pg_admin(db.name) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {r[0] for r in rows}


def test_retried_after_lock_timeout_until_the_blocker_goes(tmp_path: Path, pg_database: ServerDb) -> None:
    with pg_admin(pg_database.name) as conn:
        conn.execute("CREATE TABLE accounts (id bigint PRIMARY KEY)")
    repo = _project(tmp_path, pg_database.url, retries="6")
    blocker = _blocker(pg_database)
    # the blocker goes once the first retry is announced: the revision has failed on the lock by then
    proc = subprocess.Popen(
        [MONOMIG, "-n", "pg", "upgrade", "head"],
        cwd=repo.root,
        env=env_without_urls(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "retry 1 of 6" in line:
                blocker.rollback()
        proc.wait(timeout=60)
    finally:
        blocker.close()
        if proc.poll() is None:
            proc.kill()
    stderr = "".join(lines)
    assert proc.returncode == 0, stderr
    assert (
        "monomig: service 'pg': revision r2 hit the lock timeout and was rolled back completely; retry 1 of 6" in stderr
    )
    assert "retry 2 of 6" not in stderr
    with pg_admin(pg_database.name) as conn:
        cols = conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts'")
        assert {r[0] for r in cols.fetchall()} == {"id", "plan"}
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("r2",)]
    assert {"first", "side_effect"} <= _tables(pg_database)


def test_fails_after_the_retries_and_leaves_nothing(tmp_path: Path, pg_database: ServerDb) -> None:
    with pg_admin(pg_database.name) as conn:
        conn.execute("CREATE TABLE accounts (id bigint PRIMARY KEY)")
    repo = _project(tmp_path, pg_database.url, retries="2")
    blocker = _blocker(pg_database)
    started = time.monotonic()
    try:
        done = monomig(repo.root, "-n", "pg", "upgrade", "head", timeout=60)
    finally:
        blocker.close()
    elapsed = time.monotonic() - started
    assert done.returncode != 0
    assert "retry 2 of 2" in done.stderr and "lock timeout" in done.stderr
    assert elapsed < 20, elapsed  # cut short by lock_timeout, not waiting for the blocker
    # PostgreSQL ran the whole upgrade in one transaction: nothing of it remains but the
    # ledger's record of the failure (docs/ledger.md)
    tables = _tables(pg_database)
    assert tables - {"alembic_version_log"} in ({"accounts", "alembic_version"}, {"accounts"}), tables
    with pg_admin(pg_database.name) as conn:
        if "alembic_version" in tables:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == []
        if "alembic_version_log" in tables:
            outcomes = conn.execute("SELECT outcome FROM alembic_version_log").fetchall()
            assert outcomes and all(o == "failed" for (o,) in outcomes), outcomes


def test_bad_duration_fails_with_the_option_named(tmp_path: Path, pg_database: ServerDb) -> None:
    repo = Repo(tmp_path)
    repo.add_service("pg", pg_database.url, **{"monomig.lock_timeout": "five seconds"})
    repo.revision("pg", "r1", None)
    done = monomig(repo.root, "-n", "pg", "upgrade", "head", timeout=60)
    assert done.returncode != 0
    assert "monomig.lock_timeout = five seconds in the [pg] section is not a duration" in done.stderr


def test_mariadb_session_settings_on_the_migration_connection(tmp_path: Path, mysql_database: ServerDb) -> None:
    repo = Repo(tmp_path)
    repo.add_service("my", mysql_database.url, **{"monomig.lock_timeout": "2500ms", "monomig.statement_timeout": "30s"})
    repo.revision(
        "my",
        "m1",
        None,
        upgrade=(
            'op.execute("CREATE TABLE probe AS SELECT @@SESSION.lock_wait_timeout AS l, '
            '@@SESSION.max_statement_time AS s")'
        ),
    )
    done = monomig(repo.root, "-n", "my", "upgrade", "head", timeout=60)
    assert done.returncode == 0, done.stderr
    with my_admin(mysql_database.name) as conn, conn.cursor() as cur:
        cur.execute("SELECT l, s FROM probe")
        ((lock, statement),) = cur.fetchall()
    assert int(lock) == 3  # whole seconds, rounded up
    assert float(statement) == 30.0
