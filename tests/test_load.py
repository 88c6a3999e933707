"""Load: `monomig status` over 200 services on one PostgreSQL server within a connection
budget, and `monomig upgrade --all` over 100 services at --jobs 1, 2 and 8.

The 200 services live in 8 databases of one server, 25 a database, each service in its own
schema (``version_table_schema``): a layout real monorepos use (a few shared clusters, a
schema per service), and fast to create (creating 200 databases would take minutes and
gigabytes). status reads with one connection per database, so 8 databases are 8
connections without a budget: the budget is proved by a server-side limit (a role with
``CONNECTION LIMIT``, which refuses extra connections) and by watching pg_stat_activity."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.databases import ServerDb, pg_admin, pg_database, unique_name  # noqa: F401
from support.fleet_repo import Repo, alembic, monomig

pytestmark = pytest.mark.slow  # long differential / fault tests: left out of `make test-fast`

PASSWORD = "Load-Pw-m4Rt9sQe"
DATABASES = 8
PER_DATABASE = 25
ROLE_LIMIT = 4
BUDGET = 2


@pytest.fixture
def many_pg(tmp_path: Path) -> Iterator[tuple[Repo, str, dict[str, str]]]:
    """200 services over 8 databases, in four states; a login role limited to ROLE_LIMIT
    connections. Yields the repo, the role and each service's expected state."""
    role = unique_name("monomig_load")
    dbs = [unique_name() for _ in range(DATABASES)]
    expected: dict[str, str] = {}
    repo = Repo(tmp_path / "repo")
    with pg_admin() as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT {ROLE_LIMIT}')
        try:
            for k, db in enumerate(dbs):
                admin.execute(f'CREATE DATABASE "{db}"')
                sql = []
                for j in range(PER_DATABASE):
                    svc = f"s{k:02d}_{j:02d}"
                    url = f"postgresql+psycopg://{role}:{PASSWORD}@127.0.0.1:5432/{db}"
                    repo.services[svc] = {
                        "script_location": "./migrations",
                        "version_locations": f"./migrations/versions/{svc}",
                        "sqlalchemy.url": url.replace("%", "%%"),
                        "version_table_schema": svc,
                    }
                    (repo.root / "migrations" / "versions" / svc).mkdir(parents=True)
                    revs = repo.chain(svc, 2, prefix=f"r{k:02d}{j:02d}x")
                    state = ("up_to_date", "behind", "not_initialized", "up_to_date")[j % 4]
                    expected[svc] = state
                    sql.append(f'CREATE SCHEMA "{svc}"; GRANT USAGE ON SCHEMA "{svc}" TO "{role}";')
                    if state != "not_initialized":
                        at = revs[1] if state == "up_to_date" else revs[0]
                        sql.append(
                            f'CREATE TABLE "{svc}".alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);'
                            f"INSERT INTO \"{svc}\".alembic_version VALUES ('{at}');"
                            f'GRANT SELECT ON "{svc}".alembic_version TO "{role}";'
                        )
                with pg_admin(db) as conn:
                    conn.execute("\n".join(sql))
            repo.write_ini()
            yield repo, role, expected
        finally:
            for db in dbs:
                admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


class ActivityWatch:
    """Samples pg_stat_activity for one role's connections while something runs."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with pg_admin() as conn:
            while not self._stop.is_set():
                n = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s", (self.role,)).fetchone()[0]
                self.peak = max(self.peak, n)
                self.samples += 1
                time.sleep(0.002)

    def __enter__(self) -> ActivityWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def test_status_200_services_within_connection_budget(many_pg: tuple[Repo, str, dict[str, str]]) -> None:
    repo, role, expected = many_pg
    with ActivityWatch(role) as watch:
        r = monomig(repo.root, "status", "--json", "--max-connections", str(BUDGET), timeout=300)
    assert r.returncode == 0, r.stderr
    out = {s["service"]: s for s in json.loads(r.stdout)}
    assert len(out) == DATABASES * PER_DATABASE
    assert {svc: s["state"] for svc, s in out.items()} == expected
    print(f"pg_stat_activity: peak {watch.peak} connections over {watch.samples} samples")
    assert 1 <= watch.peak <= BUDGET, (watch.peak, watch.samples)
    assert PASSWORD not in r.stdout + r.stderr
    # spot-check against stock Alembic
    for svc in ("s00_00", "s03_01", "s07_02"):
        a = alembic(repo.root, "-n", svc, "current")
        assert a.returncode == 0, a.stderr
        assert {l.split()[0] for l in a.stdout.splitlines() if l.strip()} == set(out[svc]["current"])

    # the text table too, with a budget equal to the role's limit
    text = monomig(repo.root, "status", "--max-connections", str(ROLE_LIMIT), timeout=300)
    assert text.returncode == 0, text.stderr
    assert len([l for l in text.stdout.splitlines() if l.startswith("s0")]) == 200
    assert PASSWORD not in text.stdout + text.stderr


def test_the_server_limit_bites_without_a_budget(many_pg: tuple[Repo, str, dict[str, str]]) -> None:
    """The control: with a budget above the role's limit, the server refuses connections
    (so the test above would have seen them fail had status exceeded its budget)."""
    repo, _, _ = many_pg
    r = monomig(repo.root, "status", "--json", "--max-connections", str(DATABASES), timeout=300)
    out = json.loads(r.stdout)
    refused = [s for s in out if s["state"] == "unreachable"]
    assert r.returncode == 2 and refused, r.stdout[:2000]
    assert "too many connections" in refused[0]["error"]
    assert PASSWORD not in r.stdout + r.stderr


def test_max_connections_must_be_positive(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    repo.add_service("one", f"sqlite:///{tmp_path}/one.db")
    r = monomig(repo.root, "status", "--max-connections", "0")
    assert r.returncode == 2
    assert "--max-connections must be at least 1" in r.stderr
    assert "--max-connections" in monomig(repo.root, "status", "--help").stdout


@pytest.mark.parametrize("jobs", [1, 2, 8])
def test_upgrade_all_100_sqlite_services(tmp_path: Path, jobs: int) -> None:
    repo = Repo(tmp_path / "repo")
    var = tmp_path / "var"
    var.mkdir()
    for i in range(100):
        svc = f"svc{i:03d}"
        repo.services[svc] = {
            "script_location": "./migrations",
            "version_locations": f"./migrations/versions/{svc}",
            "sqlalchemy.url": f"sqlite:///{var}/{svc}.db",
        }
        (repo.root / "migrations" / "versions" / svc).mkdir(parents=True)
        repo.chain(svc, 3, prefix=f"v{i:03d}r", upgrade=f"op.execute('CREATE TABLE IF NOT EXISTS t_{svc} (x INTEGER)')")
    repo.write_ini()
    r = monomig(repo.root, "upgrade", "--all", "--jobs", str(jobs), "--json", timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    summary = json.loads(r.stdout)
    assert len(summary) == 100
    assert {s["result"] for s in summary} == {"done"}
    assert {s["state"] for s in summary} == {"up_to_date"}
    workers = {int(p) for p in re.findall(r"started \(pid (\d+)\)", r.stderr)}
    assert 1 <= len(workers) <= jobs
    for i in range(100):
        with sqlite3.connect(var / f"svc{i:03d}.db") as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(f"v{i:03d}r0002",)]
            assert conn.execute(f"SELECT count(*) FROM t_svc{i:03d}").fetchone() == (0,)


def test_upgrade_all_postgresql_services(tmp_path: Path, pg_database: ServerDb) -> None:
    """A smaller PostgreSQL case: 12 services over two databases (6 on each, one after
    another within a database), --jobs 8, password in the URL."""
    other = unique_name()
    with pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{other}"')
    try:
        repo = Repo(tmp_path / "repo")
        for i in range(12):
            db = pg_database.name if i % 2 else other
            svc = f"pg{i:02d}"
            repo.add_service(
                svc, f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:5432/{db}", version_table=f"{svc}_version"
            )
            repo.chain(
                svc, 3, prefix=f"{svc}r", upgrade=f"op.execute('CREATE TABLE IF NOT EXISTS t_{svc} (x INTEGER)')"
            )
        r = monomig(repo.root, "upgrade", "--all", "--jobs", "8", "--json", timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        summary = json.loads(r.stdout)
        assert {s["state"] for s in summary} == {"up_to_date"} and len(summary) == 12
        for i in range(12):
            db = pg_database.name if i % 2 else other
            with pg_admin(db) as conn:
                assert conn.execute(f"SELECT version_num FROM pg{i:02d}_version").fetchall() == [(f"pg{i:02d}r0002",)]
        assert PASSWORD not in r.stdout + r.stderr
    finally:
        with pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)')
