"""Tenants: a service with ``monomig.targets`` (schemas, databases, a file of URLs) fans out
in ``status`` and ``upgrade --all``, within a connection budget, with canaries, resumable,
and split into shards that cover every target once."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest
from support.databases import ServerDb, my_admin, mysql_database, pg_admin, pg_database  # noqa: F401
from support.fleet_repo import MONOMIG, Repo, alembic, env_without_urls, monomig

RUN_ENV = "import monomig\nmonomig.run_env(configure_logging=False)\n"

#: A Dispatch-style env.py: it asks monomig which tenant to migrate and configures Alembic itself.
DISPATCH_ENV = """\
import sys
from alembic import context
from sqlalchemy import create_engine, pool, text
import monomig

target = monomig.current_target()
print(f"current_target: {target!r}", file=sys.stderr)
engine = create_engine(target.url, poolclass=pool.NullPool)
with engine.connect() as connection:
    connection.execute(text(f'set search_path to "{target.schema}"'))
    connection.commit()
    context.configure(connection=connection, version_table_schema=target.schema)
    with context.begin_transaction():
        context.run_migrations()
"""


def tenant_repo(
    root: Path, url: str, targets: str, env_py: str = RUN_ENV, revisions: int = 2
) -> tuple[Repo, list[str]]:
    """A project whose service ``acme`` has ``monomig.targets = targets``; each revision creates
    a table (unqualified: it lands in the tenant's schema or database)."""
    repo = Repo(root)
    (root / "tenantenv").mkdir()
    (root / "tenantenv" / "env.py").write_text(env_py)
    repo.add_service("acme", url, **{"monomig.targets": targets, "script_location": "./tenantenv"})
    revs = repo.chain(
        "acme",
        revisions,
        upgrade="op.create_table('items_' + revision, sa.Column('id', sa.Integer, primary_key=True))",
        downgrade="op.drop_table('items_' + revision)",
    )
    return repo, revs


def status_rows(root: Path, *args: str) -> list[dict]:
    r = monomig(root, "status", "--json", *args)
    assert r.returncode in (0, 2), r.stderr
    return json.loads(r.stdout)


def create_schemas(db: ServerDb, names: list[str], stamped: dict[str, str] | None = None) -> None:
    """The schemas, in one transaction; ``stamped`` gives some a version table at a revision."""
    stamped = stamped or {}
    sql = []
    for n in names:
        sql.append(f'CREATE SCHEMA "{n}"')
        if n in stamped:
            sql.append(f'CREATE TABLE "{n}".alembic_version (version_num varchar(32) PRIMARY KEY)')
            sql.append(f"INSERT INTO \"{n}\".alembic_version VALUES ('{stamped[n]}')")
    with pg_admin(db.name) as conn, conn.transaction():
        conn.execute(";".join(sql))


class PeakConnections:
    """The most connections to one database seen in ``pg_stat_activity`` while it runs."""

    def __init__(self, db: ServerDb) -> None:
        self.db = db
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        with pg_admin() as conn:
            while not self._stop.is_set():
                (n,) = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (self.db.name,)
                ).fetchone()
                self.peak = max(self.peak, n)
                time.sleep(0.01)

    def __enter__(self) -> PeakConnections:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.slow
def test_thousand_schemas_status_and_budgeted_resume(tmp_path: Path, pg_database: ServerDb) -> None:
    """1,000 tenant schemas: status in one read; upgrade --all skips the 996 at head, runs the
    4 behind with at most 4 connections, and the terminal shows counts, not 1,000 lines."""
    _, revs = tenant_repo(tmp_path, pg_database.url, "schemas:tenant_*")
    names = [f"tenant_{i:04d}" for i in range(1000)]
    behind = set(names[::250])  # 4 of them
    create_schemas(pg_database, [*names, "other_schema"], {n: revs[-1] for n in names if n not in behind})

    rows = status_rows(tmp_path)
    assert len(rows) == 1000 and {r["tenant"] for r in rows} == set(names)
    by = {r["tenant"]: r for r in rows}
    assert by["tenant_0001"]["state"] == "up_to_date" and by["tenant_0001"]["version_table_schema"] == "tenant_0001"
    assert {n for n, r in by.items() if r["state"] == "not_initialized"} == behind
    assert by["tenant_0000"]["service"] == "acme/tenant_0000"

    text = monomig(tmp_path, "status")
    assert len(text.stdout.splitlines()) < 30, text.stdout
    assert "acme: 1000 targets: 996 up to date, 4 not initialized" in text.stdout

    with PeakConnections(pg_database) as peak:
        r = monomig(tmp_path, "upgrade", "--all", "--max-connections", "4", "-j", "8", "--json")
    assert r.returncode == 0, r.stderr
    items = json.loads(r.stdout)
    results = {i["tenant"]: i["result"] for i in items}
    assert {n for n, res in results.items() if res == "done"} == behind
    assert sum(res == "up_to_date" for res in results.values()) == 996
    assert 1 <= peak.peak <= 4, peak.peak
    # the tables landed in each tenant's schema (search_path), the version table too
    with pg_admin(pg_database.name) as conn:
        tables = conn.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = %s", (f"items_{revs[-1]}",)
        ).fetchall()
    assert {t[0] for t in tables} == behind
    assert all(r["state"] == "up_to_date" for r in status_rows(tmp_path, "--tenant", "tenant_01*"))


@pytest.mark.slow
def test_canary_stops_on_a_failing_tenant_and_on_error_continue(tmp_path: Path, pg_database: ServerDb) -> None:
    _, revs = tenant_repo(tmp_path, pg_database.url, "schemas:t_*", revisions=1)
    names = [f"t_{i:02d}" for i in range(6)]
    create_schemas(pg_database, names)
    with pg_admin(pg_database.name) as conn:  # t_00 already has the table: its upgrade fails
        conn.execute(f'CREATE TABLE "t_00"."items_{revs[0]}" (id int)')
    r = monomig(tmp_path, "upgrade", "--all", "--canary", "2", "-j", "2", "--json")
    assert r.returncode == 1
    items = {i["tenant"]: i for i in json.loads(r.stdout)}
    assert items["t_00"]["result"] == "failed" and "t_00" in items["t_00"]["error"]
    assert items["t_01"]["result"] == "done"  # the other canary
    assert all(items[n]["result"] == "skipped" and "canary" in items[n]["error"] for n in names[2:])
    # without a canary, one bad tenant stops no other
    r = monomig(tmp_path, "upgrade", "--all", "-j", "2", "--json")
    items = {i["tenant"]: i for i in json.loads(r.stdout)}
    assert r.returncode == 1 and items["t_00"]["result"] == "failed"
    assert all(items[n]["result"] in ("done", "up_to_date") for n in names[1:])
    # the seed-style env.py (monomig.run_env()) follows Alembic's -x tenant=NAME
    cur = alembic(tmp_path, "-n", "acme", "-x", "tenant=t_03", "current")
    assert cur.returncode == 0 and cur.stdout.split()[0] == revs[0], cur.stderr
    cur = alembic(tmp_path, "-n", "acme", "-x", "tenant=t_00", "current")
    assert cur.returncode == 0 and cur.stdout.strip() == "", cur.stdout


@pytest.mark.slow
def test_x_tenant_and_current_target_in_a_dispatch_style_env(tmp_path: Path, pg_database: ServerDb) -> None:
    url = pg_database.url.replace("postgres@", "postgres:s3cret@")  # trust: the password is ignored
    tenant_repo(tmp_path, url, "schemas:org_*", env_py=DISPATCH_ENV, revisions=1)
    create_schemas(pg_database, ["org_a", "org_b"])
    r = alembic(tmp_path, "-n", "acme", "-x", "tenant=org_b", "upgrade", "head")
    assert r.returncode == 0, r.stderr
    assert "current_target: Target('acme/org_b', url='postgresql+psycopg://postgres:***@" in r.stderr
    assert "s3cret" not in r.stderr + r.stdout
    rows = {x["tenant"]: x["state"] for x in status_rows(tmp_path)}
    assert rows == {"org_a": "not_initialized", "org_b": "up_to_date"}
    # the fleet worker hands env.py its tenant, and checks env.py migrated exactly that one
    r = monomig(tmp_path, "upgrade", "--all", "--json")
    assert r.returncode == 0, r.stderr
    assert {i["tenant"]: i["result"] for i in json.loads(r.stdout)} == {"org_a": "done", "org_b": "up_to_date"}
    bad = alembic(tmp_path, "-n", "acme", "-x", "tenant=org_zz", "upgrade", "head")
    assert bad.returncode != 0 and "no tenant 'org_zz'" in bad.stderr


def sqlite_tenants(root: Path, count: int) -> Path:
    lines = ["# one SQLite file per tenant", ""]
    lines += [f"sqlite:///{root}/db/tenant{i:03d}.db" for i in range(count)]
    (root / "db").mkdir()
    (root / "tenants.txt").write_text("\n".join(lines) + "\n")
    return root / "tenants.txt"


def test_sqlite_file_targets_status_plan_and_shards(tmp_path: Path) -> None:
    """100 SQLite files from file:: status lists them; plan --shards and N status processes
    with --shard I/N started together each cover every target exactly once."""
    sqlite_tenants(tmp_path, 100)
    tenant_repo(tmp_path, None, "file:tenants.txt")  # type: ignore[arg-type]
    rows = status_rows(tmp_path)
    assert len(rows) == 100 and all(r["state"] == "not_initialized" for r in rows)
    plan = json.loads(monomig(tmp_path, "plan", "--shards", "4", "--json").stdout)
    planned = [t for p in plan for t in p["targets"]]
    assert sorted(planned) == sorted(r["service"] for r in rows)
    assert all(p["targets"] for p in plan)  # 100 databases: no shard empty
    procs = [
        subprocess.Popen(
            [MONOMIG, "status", "--json", "--shard", f"{i}/4"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            env=env_without_urls(),
            text=True,
        )
        for i in range(4)
    ]
    seen = [[r["service"] for r in json.loads(p.communicate(timeout=60)[0])] for p in procs]
    assert [sorted(s) for s in seen] == [sorted(p["targets"]) for p in plan]
    env = dict(env_without_urls(), JOB_COMPLETION_INDEX="2")
    r = monomig(tmp_path, "status", "--json", "--shard-from-env", "--shards", "4", env=env)
    assert sorted(x["service"] for x in json.loads(r.stdout)) == sorted(plan[2]["targets"])


@pytest.mark.slow
def test_overlapping_shard_processes_migrate_each_target_once(tmp_path: Path) -> None:
    sqlite_tenants(tmp_path, 12)
    tenant_repo(tmp_path, None, "file:tenants.txt")  # type: ignore[arg-type]
    # shards 0..2 of 3, plus a second copy of shard 0 (overlapping): the locks keep it safe
    argv = [[MONOMIG, "upgrade", "--all", "-j", "2", "--json", "--shard", f"{i}/3"] for i in (0, 1, 2, 0)]
    procs = [
        subprocess.Popen(
            a, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env_without_urls(), text=True
        )
        for a in argv
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    reports = [json.loads(out) for out, _ in outs]
    covered = sorted(i["tenant"] for rep in reports[:3] for i in rep)
    assert covered == sorted(f"tenant{i:03d}" for i in range(12))  # shards 0..2: every target once
    assert sorted(i["tenant"] for i in reports[3]) == sorted(i["tenant"] for i in reports[0])
    applied: dict[str, int] = {}
    for rep in reports:
        for i in rep:
            applied[i["tenant"]] = applied.get(i["tenant"], 0) + i["applied"]
    assert set(applied.values()) == {2}, applied  # each revision ran once, overlap or not
    assert all(r["state"] == "up_to_date" for r in status_rows(tmp_path))


def test_bad_targets_are_named(tmp_path: Path, pg_database: ServerDb) -> None:
    repo, _ = tenant_repo(tmp_path, pg_database.url, "schemas:nomatch_*")
    repo.add_service("plain", f"sqlite:///{tmp_path}/plain.db")
    rows = {r["service"]: r for r in status_rows(tmp_path)}
    assert rows["acme"]["state"] == "error"
    assert "service 'acme'" in rows["acme"]["error"] and "matches no schema" in rows["acme"]["error"]
    assert rows["plain"]["state"] == "up_to_date"  # one bad service hides no other (it has no revisions)
    r = monomig(tmp_path, "status", "--shard", "4/4")
    assert r.returncode == 2 and "shard index 4 is out of range for 4 shards" in r.stderr
    r = monomig(tmp_path, "status", "--shard-from-env", "--shards", "2")
    assert r.returncode == 2 and "JOB_COMPLETION_INDEX" in r.stderr
    (tmp_path / "dup.txt").write_text(f"a sqlite:///{tmp_path}/a.db\na sqlite:///{tmp_path}/b.db\n")
    (tmp_path / "inj.txt").write_text(f'x";drop sqlite:///{tmp_path}/a.db\n')
    for file, words in (("dup.txt", "names the tenant 'a' twice"), ("inj.txt", "contains")):
        repo.services["acme"]["monomig.targets"] = f"file:{file}"
        repo.write_ini()
        row = {r["service"]: r for r in status_rows(tmp_path)}["acme"]
        assert row["state"] == "error" and words in row["error"], row["error"]
    repo.services["acme"]["monomig.targets"] = "query:SELECT 1"
    repo.services["acme"]["monomig.targets_url"] = "postgresql://postgres@127.0.0.1:1/none"
    repo.write_ini()
    row = {r["service"]: r for r in status_rows(tmp_path, "--connect-timeout", "1")}["acme"]
    assert row["state"] == "error" and "control database" in row["error"]


@pytest.mark.slow
def test_mariadb_tenant_databases(tmp_path: Path, mysql_database: ServerDb) -> None:
    prefix = mysql_database.name + "_t"
    names = [f"{prefix}{i:02d}" for i in range(20)]
    admin = my_admin()
    try:
        with admin.cursor() as cur:
            for n in names:
                cur.execute(f"CREATE DATABASE `{n}`")
        tenant_repo(tmp_path, mysql_database.url, f"databases:{prefix}*", revisions=1)
        rows = status_rows(tmp_path)
        assert sorted(r["tenant"] for r in rows) == names
        assert all(r["state"] == "not_initialized" for r in rows)
        r = monomig(tmp_path, "upgrade", "--all", "-j", "2", "--tenant", f"{prefix}0*", "--json")
        assert r.returncode == 0, r.stderr
        assert len(json.loads(r.stdout)) == 10
        states = {r["tenant"]: r["state"] for r in status_rows(tmp_path)}
        assert sorted(n for n, s in states.items() if s == "up_to_date") == names[:10]
    finally:
        with admin.cursor() as cur:
            for n in names:
                cur.execute(f"DROP DATABASE IF EXISTS `{n}`")
        admin.close()


@pytest.mark.slow
def test_resume_after_sigkill(tmp_path: Path, pg_database: ServerDb) -> None:
    """SIGKILL of `upgrade --all` midway: the rerun skips the tenants at head and finishes the rest."""
    repo = Repo(tmp_path)
    (tmp_path / "tenantenv").mkdir()
    (tmp_path / "tenantenv" / "env.py").write_text(RUN_ENV)
    repo.add_service("acme", pg_database.url, **{"monomig.targets": "schemas:k_*", "script_location": "./tenantenv"})
    repo.chain(
        "acme",
        2,
        upgrade="import time; time.sleep(0.3)\nop.create_table('items_' + revision, sa.Column('id', sa.Integer))",
    )
    names = [f"k_{i}" for i in range(8)]
    create_schemas(pg_database, names)
    p = subprocess.Popen(
        [MONOMIG, "upgrade", "--all", "-j", "2"],
        cwd=tmp_path,
        env=env_without_urls(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if [r["state"] for r in status_rows(tmp_path)].count("up_to_date") >= 2:
            break
        time.sleep(0.1)
    p.kill()
    p.wait()
    r = monomig(tmp_path, "upgrade", "--all", "-j", "2", "--json")
    assert r.returncode == 0, r.stderr
    results = [i["result"] for i in json.loads(r.stdout)]
    assert results.count("up_to_date") >= 2 and "done" in results and set(results) <= {"done", "up_to_date"}
    assert all(r["state"] == "up_to_date" for r in status_rows(tmp_path))
    with pg_admin(pg_database.name) as conn:
        (n,) = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'items_acme0001'"
        ).fetchone()
    assert n == len(names)


@pytest.mark.slow
def test_postgres_tenant_databases_within_a_connection_budget(tmp_path: Path, pg_database: ServerDb) -> None:
    """databases:PATTERN on PostgreSQL: 8 tenant databases in status (each CREATE and DROP DATABASE
    costs about 2 s here, so not the issue's 50); upgrading 4 of them with --max-connections 4 never
    holds more than 4 connections to them (pg_stat_activity)."""
    prefix = pg_database.name + "_t"
    names = [f"{prefix}{i:02d}" for i in range(8)]
    admin = pg_admin()
    try:
        for n in names:
            admin.execute(f'CREATE DATABASE "{n}"')
        tenant_repo(tmp_path, pg_database.url, f"databases:{prefix}*", revisions=1)
        rows = status_rows(tmp_path, "--max-connections", "8")
        assert sorted(r["tenant"] for r in rows) == names
        assert all(r["state"] == "not_initialized" and r["database"].endswith(r["tenant"]) for r in rows)
        peak = 0
        stop = threading.Event()

        def watch() -> None:
            nonlocal peak
            with pg_admin() as conn:
                while not stop.is_set():
                    (n,) = conn.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE %s", (prefix + "%",)
                    ).fetchone()
                    peak = max(peak, n)
                    time.sleep(0.01)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            r = monomig(
                tmp_path,
                "upgrade",
                "--all",
                "--tenant",
                f"{prefix}0[0-3]",
                "--max-connections",
                "4",
                "-j",
                "8",
                "--json",
            )
        finally:
            stop.set()
            watcher.join()
        assert r.returncode == 0, r.stderr
        assert sorted(i["tenant"] for i in json.loads(r.stdout) if i["result"] == "done") == names[:4]
        assert 1 <= peak <= 4, peak
    finally:
        for n in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')
        admin.close()


def test_rollout_budgets() -> None:
    """The runner's start rule: connections (two per running target), canaries first, failures."""
    from monomig._fanout import Rollout

    r = Rollout.from_args({"max_connections": 5, "canary": 2, "max_failures": 2})
    assert r.max_running == 2 and r.may_start(0) and not r.may_start(2)
    assert r.on_start() and r.on_start()  # two canaries
    assert not r.may_start(1)  # the others wait for the canaries
    r.on_finish(False, True)
    r.on_finish(False, True)
    assert r.may_start(0)
    r.on_start()
    r.on_finish(True, False)
    assert r.may_start(0)  # one failure of two allowed
    r.on_start()
    r.on_finish(True, False)
    assert not r.may_start(0) and "--max-failures 2" in (r.stop_reason or "")
    stop = Rollout.from_args({"on_error": "stop"})
    stop.on_start()
    stop.on_finish(True, False)
    assert not stop.may_start(0) and "--on-error stop" in (stop.stop_reason or "")
    canary = Rollout.from_args({"canary": 1})
    canary.on_start()
    canary.on_finish(True, True)
    assert not canary.may_start(0) and "canary" in (canary.stop_reason or "")


def test_a_locked_tenant_schema_is_migrating(tmp_path: Path, pg_database: ServerDb) -> None:
    """The batched read of tenant schemas finds a held migration lock: that tenant is migrating,
    with the holder named, the others are not."""
    from support.lock_holder import HOLDER, expect_line, kill, spawn

    _, revs = tenant_repo(tmp_path, pg_database.url, "schemas:m_*", revisions=1)
    names = [f"m_{i}" for i in range(5)]
    create_schemas(pg_database, names, dict.fromkeys(names, revs[0]))
    child = spawn(HOLDER, pg_database.url, "monomig:m_2.alembic_version", "acme")
    try:
        expect_line(child, "held")
        rows = {r["tenant"]: r for r in status_rows(tmp_path)}
        assert rows["m_2"]["state"] == "migrating" and str(child.pid) in rows["m_2"]["holder"]
        assert all(rows[n]["state"] == "up_to_date" and "holder" not in rows[n] for n in names if n != "m_2")
    finally:
        kill(child)
