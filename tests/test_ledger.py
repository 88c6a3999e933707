"""The ledger table written through the bridge (`alembic` with `import monomig`, the `monomig`
command, `--all`), `monomig log`, `monomig verify`, `upgrade --all --verify`, on SQLite,
PostgreSQL and MariaDB; autogenerate and Alembic's check with the ledger present."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from support.databases import ServerDb, my_admin, mysql_database, pg_admin, pg_database, unique_name  # noqa: F401
from support.fleet_repo import Repo, alembic, monomig

ENV_PY = """\
import monomig  # the bridge
from alembic import context
from sqlalchemy import Column, Integer, MetaData, Table, engine_from_config, pool

config = context.config
metadata = MetaData()
Table("widgets", metadata, Column("id", Integer, primary_key=True))


def run_migrations_online():
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
"""

MAKO = '''"""${message}"""
from alembic import op
import sqlalchemy as sa
${imports if imports else ""}
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
'''

CREATE_WIDGETS = "op.create_table('widgets', sa.Column('id', sa.Integer, primary_key=True))"


def project(root: Path, url: str, **options: str) -> Repo:
    repo = Repo(root)
    (repo.root / "migrations" / "env.py").write_text(ENV_PY)
    (repo.root / "migrations" / "script.py.mako").write_text(MAKO)
    repo.add_service("shop", url, **options)
    return repo


def ok(r) -> str:
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def log(repo: Repo, *args: str) -> list[dict]:
    return json.loads(ok(monomig(repo.root, "log", "--limit", "0", "--json", *args)))


def verify(repo: Repo) -> tuple[int, list[dict]]:
    r = monomig(repo.root, "verify", "--json")
    assert r.returncode in (0, 1), r.stdout + r.stderr
    return r.returncode, json.loads(r.stdout)


def sqlite_rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.slow
def test_sqlite_ledger_through_alembic_monomig_and_all(tmp_path: Path) -> None:
    repo = project(tmp_path / "p", "sqlite:///shop.db")
    w1 = repo.revision("shop", "w1", None, upgrade=CREATE_WIDGETS, downgrade="op.drop_table('widgets')")
    repo.revision("shop", "w2", "w1")
    repo.revision("shop", "w3", "w2")
    ok(alembic(repo.root, "-n", "shop", "upgrade", "head"))
    ok(monomig(repo.root, "-n", "shop", "downgrade", "-1"))
    ok(monomig(repo.root, "-n", "shop", "stamp", "w3"))
    ok(alembic(repo.root, "-n", "shop", "downgrade", "w2"))
    ok(monomig(repo.root, "upgrade", "--all"))
    rows = log(repo)
    steps = [(r["direction"], r["revision"], r["outcome"]) for r in reversed(rows)]
    assert steps == [
        ("upgrade", "w1", "done"),
        ("upgrade", "w2", "done"),
        ("upgrade", "w3", "done"),
        ("downgrade", "w3", "done"),
        ("stamp", "w3", "done"),
        ("downgrade", "w3", "done"),
        ("upgrade", "w3", "done"),
    ]
    first = rows[-1]
    assert first["service"] == "shop" and first["file_hash"].startswith("sha256:")
    assert first["run_pid"] and first["run_host"] and first["alembic_version"] and first["python_version"]
    assert first["finished_at"] >= first["started_at"] and first["duration_ms"] >= 0
    text = ok(monomig(repo.root, "log", "-n", "shop", "--limit", "2"))
    assert "upgrade" in text and "w3" in text and "done" in text
    assert verify(repo) == (0, [])

    # Autogenerate and Alembic's check never see the ledger.
    r = alembic(repo.root, "-n", "shop", "check")
    assert r.returncode == 0 and "No new upgrade operations detected" in r.stdout, r.stdout + r.stderr
    ok(alembic(repo.root, "-n", "shop", "revision", "--autogenerate", "-m", "auto", "--rev-id", "auto1"))
    generated = next((repo.root / "migrations" / "versions" / "shop").glob("auto1_*.py"))
    assert "alembic_version_log" not in generated.read_text() and "drop_table" not in generated.read_text()
    generated.unlink()

    # A revision edited after it ran: verify reports it, upgrade --all --verify refuses the service.
    with open(w1, "a") as f:
        f.write("# edited after it ran\n")
    status, found = verify(repo)
    assert status == 1
    assert [(f["code"], f["revision"]) for f in found] == [("changed_after_apply", "w1")]
    assert found[0]["applied_hash"] == first["file_hash"] != found[0]["file_hash"]
    repo.revision("shop", "w4", "w3")
    r = monomig(repo.root, "upgrade", "--all", "--verify")
    assert r.returncode == 1
    assert "verify failed, nothing was run" in r.stdout + r.stderr and "changed_after_apply" in r.stdout + r.stderr
    assert sqlite_rows(repo.root / "shop.db", "SELECT version_num FROM alembic_version") == [("w3",)]
    ok(monomig(repo.root, "upgrade", "--all"))  # without --verify it runs
    assert sqlite_rows(repo.root / "shop.db", "SELECT version_num FROM alembic_version") == [("w4",)]


@pytest.mark.slow
def test_sqlite_ledger_off_renamed_and_foreign(tmp_path: Path) -> None:
    repo = project(tmp_path / "p", "sqlite:///shop.db", **{"monomig.log": "false"})
    repo.add_service("named", "sqlite:///named.db", **{"monomig.log_table": "shop_history"})
    repo.add_service("foreign", "sqlite:///foreign.db")
    for svc in ("shop", "named", "foreign"):
        repo.revision(svc, f"{svc}1", None)
    with sqlite3.connect(repo.root / "foreign.db") as conn:
        conn.execute("CREATE TABLE alembic_version_log (x INTEGER)")
    r = monomig(repo.root, "upgrade", "--all")
    assert r.returncode == 1
    out = r.stdout + r.stderr
    assert "the table alembic_version_log in sqlite:///foreign.db is not monomig's ledger" in out
    assert sqlite_rows(repo.root / "foreign.db", "SELECT count(*) FROM alembic_version") == [(0,)]
    names = [n for (n,) in sqlite_rows(repo.root / "shop.db", "SELECT name FROM sqlite_master WHERE type='table'")]
    assert names == ["alembic_version"]
    rows = sqlite_rows(repo.root / "named.db", "SELECT service, revision, outcome FROM shop_history")
    assert rows == [("named", "named1", "done")]
    r = monomig(repo.root, "verify", "-n", "foreign")
    assert r.returncode == 2 and "is not monomig's ledger" in r.stdout


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_failed_step_leaves_no_done_row_and_no_password(tmp_path: Path, pg_database: ServerDb) -> None:
    url = pg_database.url.replace("postgres@", "postgres:s3cretpw@")  # trust auth ignores the password
    repo = project(tmp_path / "p", url)
    repo.revision("shop", "p1", None, upgrade=CREATE_WIDGETS)
    repo.revision(
        "shop",
        "p2",
        "p1",
        upgrade=(f"op.create_table('half', sa.Column('id', sa.Integer))\nraise RuntimeError('cannot finish on {url}')"),
    )
    r = monomig(repo.root, "-n", "shop", "upgrade", "head")
    assert r.returncode != 0
    with pg_admin(pg_database.name) as conn:
        rows = conn.execute("SELECT revision, outcome, error FROM alembic_version_log ORDER BY started_at").fetchall()
        tables = {t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert [(rev, outcome) for rev, outcome, _ in rows] == [("p2", "failed")]
    assert "RuntimeError: cannot finish on" in rows[0][2] and "s3cretpw" not in rows[0][2]
    assert "half" not in tables and "widgets" not in tables
    assert "s3cretpw" not in ok(monomig(repo.root, "log"))
    r = monomig(repo.root, "status")
    assert "shop: last step failed (upgrade of p2 started " in r.stdout and "RuntimeError" in r.stdout, r.stdout
    assert "s3cretpw" not in r.stdout + r.stderr
    assert verify(repo) == (0, [])
    repo.revision("shop", "p2", "p1")
    ok(monomig(repo.root, "upgrade", "--all"))
    assert [(r["revision"], r["outcome"]) for r in log(repo)] == [("p2", "done"), ("p1", "done"), ("p2", "failed")]
    assert verify(repo) == (0, [])


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_ledger_of_a_foreign_owner_is_refused_before_any_step(tmp_path: Path, pg_database: ServerDb) -> None:
    role = unique_name("monomig_r")
    repo = project(tmp_path / "p", pg_database.url)
    repo.revision("shop", "o1", None)
    repo.revision("shop", "o2", "o1", upgrade=CREATE_WIDGETS)
    ok(monomig(repo.root, "-n", "shop", "upgrade", "o1"))  # as postgres: it owns both tables
    with pg_admin() as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER')
    try:
        with pg_admin(pg_database.name) as conn:
            conn.execute(f'GRANT USAGE, CREATE ON SCHEMA public TO "{role}"')
            conn.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON alembic_version TO "{role}"')
        ini = repo.root / "alembic.ini"
        ini.write_text(ini.read_text().replace("://postgres@", f"://{role}@"))

        # Alembic's `FAILED: ...` exit (255) for one service, the fleet's 1 for `--all`.
        for run, args, code in (
            (monomig, ("-n", "shop", "upgrade", "head"), 255),
            (alembic, ("-n", "shop", "upgrade", "head"), 255),
            (monomig, ("upgrade", "--all"), 1),
        ):
            r = run(repo.root, *args)
            out = r.stdout + r.stderr
            assert r.returncode == code and "Traceback" not in out, out
            assert (
                f"service 'shop': the ledger table public.alembic_version_log in postgresql+psycopg://{role}@" in out
            ), out
            assert f"is owned by role 'postgres', and the role '{role}' running this migration has no " in out
            assert "SELECT, INSERT, UPDATE privilege on it; nothing was run." in out
            assert f"run GRANT SELECT, INSERT, UPDATE ON public.alembic_version_log TO {role}, or set" in out
            assert "monomig.log_table in the [shop] section" in out and "monomig.log = false" in out
        with pg_admin(pg_database.name) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("o1",)]
            assert conn.execute("SELECT revision, outcome FROM alembic_version_log").fetchall() == [("o1", "done")]
            assert conn.execute("SELECT to_regclass('public.widgets')").fetchone() == (None,)
            conn.execute(f'GRANT SELECT, INSERT, UPDATE ON alembic_version_log TO "{role}"')

        ok(monomig(repo.root, "-n", "shop", "upgrade", "head"))  # granted: the run goes through
        with pg_admin(pg_database.name) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("o2",)]
            rows = conn.execute("SELECT revision, outcome FROM alembic_version_log ORDER BY started_at").fetchall()
            assert rows == [("o1", "done"), ("o2", "done")]
    finally:
        with pg_admin(pg_database.name) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
        with pg_admin() as admin:
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.mark.slow
@pytest.mark.mysql
def test_mariadb_killed_worker_leaves_a_running_row_verify_reports(tmp_path: Path, mysql_database: ServerDb) -> None:
    repo = project(tmp_path / "p", mysql_database.url)
    repo.revision("shop", "m1", None, upgrade=CREATE_WIDGETS)
    repo.revision(
        "shop",
        "m2",
        "m1",
        upgrade=(
            "op.create_table('half', sa.Column('id', sa.Integer))\n"
            "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"
        ),
    )
    r = monomig(repo.root, "upgrade", "--all")
    assert r.returncode == 1
    conn = my_admin(mysql_database.name)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT revision, outcome FROM alembic_version_log ORDER BY started_at")
            rows = cur.fetchall()
    finally:
        conn.close()
    assert list(rows) == [("m1", "done"), ("m2", "running")]
    status, found = verify(repo)
    assert status == 1
    assert [(f["code"], f["revision"]) for f in found] == [("partial_apply", "m2")]
    assert "MySQL/MariaDB commit every DDL statement at once" in found[0]["message"]
    (st,) = json.loads(monomig(repo.root, "status", "--json").stdout)
    assert st["state"] == "behind" and st["last_problem"]["outcome"] == "partial", st
    assert "shop: last step never finished (upgrade of m2" in monomig(repo.root, "status").stdout
    r = monomig(repo.root, "upgrade", "--all", "--verify")
    assert r.returncode == 1 and "partial_apply" in r.stdout + r.stderr
