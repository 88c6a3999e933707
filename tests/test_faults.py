"""Faults while `monomig upgrade --all` migrates, on the real servers: the connection killed
mid-revision, the server gone mid-run (a TCP proxy cut), another process holding the lock
past --lock-timeout, a revision raising half-way, the worker killed with SIGKILL.

After each: the message names the service and the revision, the lock is free at once, the
version table matches the schema (PostgreSQL: the failed revision left nothing; MariaDB and
SQLite: the last completed revision is recorded and the message warns that the failed one's
DDL may be partly applied), and running the command again finishes the job. PostgreSQL URLs
carry a password that must appear in no output."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.databases import ServerDb, my_admin, mysql_database, pg_admin, pg_database  # noqa: F401
from support.fleet_repo import MONOMIG, Repo, alembic, env_without_urls, monomig
from support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow  # long differential / fault tests: left out of `make test-fast`

PASSWORD = "Fault-Pw-q7Zx3kVb"
SVC = "svc"
REVS = [f"svc{i:04d}" for i in range(4)]
FAULTY = REVS[2]
PARTLY = "may be partly applied"


@dataclass
class Backend:
    kind: str
    db: ServerDb | None
    tmp: Path

    def url(self, port: int | None = None) -> str:
        if self.kind == "postgresql":
            assert self.db is not None
            return f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{port or 5432}/{self.db.name}"
        if self.kind == "mysql":
            assert self.db is not None
            return f"mysql+pymysql://root@127.0.0.1:{port or 3306}/{self.db.name}"
        return f"sqlite:///{self.tmp}/faults.db"

    @property
    def server_port(self) -> int:
        return 5432 if self.kind == "postgresql" else 3306

    @property
    def pid_sql(self) -> str:
        return {"postgresql": "SELECT pg_backend_pid()", "mysql": "SELECT CONNECTION_ID()"}.get(self.kind, "SELECT 0")

    def rows(self, sql: str) -> list[tuple]:
        if self.kind == "postgresql":
            assert self.db is not None
            with pg_admin(self.db.name) as conn:
                return [tuple(r) for r in conn.execute(sql).fetchall()]
        if self.kind == "mysql":
            assert self.db is not None
            conn = my_admin(self.db.name)
            try:
                with conn.cursor() as cur:
                    cur.execute(sql)
                    return [tuple(r) for r in cur.fetchall()]
            finally:
                conn.close()
        with sqlite3.connect(self.tmp / "faults.db") as conn:
            return conn.execute(sql).fetchall()

    def execute(self, sql: str) -> None:
        if self.kind == "sqlite":
            with sqlite3.connect(self.tmp / "faults.db") as conn:
                conn.execute(sql)
        elif self.kind == "postgresql":
            assert self.db is not None
            with pg_admin(self.db.name) as conn:
                conn.execute(sql)
        elif self.kind == "mysql":
            assert self.db is not None
            conn = my_admin(self.db.name)
            try:
                with conn.cursor() as cur:
                    cur.execute(sql)
            finally:
                conn.close()

    def has_table(self, name: str) -> bool:
        if self.kind == "postgresql":
            return bool(self.rows(f"SELECT 1 FROM pg_tables WHERE tablename = '{name}'"))
        if self.kind == "mysql":
            return bool(self.rows(f"SHOW TABLES LIKE '{name}'"))
        return bool(self.rows(f"SELECT 1 FROM sqlite_master WHERE name = '{name}'"))

    def kill_backend(self, pid: int) -> None:
        if self.kind == "postgresql":
            with pg_admin() as conn:
                assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        else:
            conn = my_admin()
            try:
                with conn.cursor() as cur:
                    cur.execute(f"KILL {int(pid)}")
            finally:
                conn.close()


@pytest.fixture(params=["postgresql", "mysql", "sqlite"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    db = None
    if request.param == "postgresql":
        db = request.getfixturevalue("pg_database")
    elif request.param == "mysql":
        db = request.getfixturevalue("mysql_database")
    return Backend(request.param, db, tmp_path)


@pytest.fixture
def server_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    kind = request.param
    db = request.getfixturevalue("pg_database" if kind == "postgresql" else "mysql_database")
    return Backend(kind, db, tmp_path)


class Faulty:
    """A service "svc" of four revisions; the third creates table half_done, writes its
    database connection id and process id to a file, raises when the fail flag exists, waits
    while the wait flag exists, then completes."""

    def __init__(
        self, tmp: Path, backend: Backend, url: str, first_statement: str | None = None, per_migration: bool = True
    ) -> None:
        self.tmp = tmp
        self.backend = backend
        self.repo = Repo(tmp / "repo")
        self.pidfile = tmp / "inside.txt"
        self.wait_flag = tmp / "wait.flag"
        self.fail_flag = tmp / "fail.flag"
        self.outputs: list[str] = []
        self.repo.add_service(SVC, url, transaction_per_migration="true" if per_migration else "false")
        first = first_statement or "CREATE TABLE IF NOT EXISTS half_done (x INTEGER)"
        for i, rev in enumerate(REVS):
            body = ""
            if i == 0:
                body += "op.create_table('svc_log', sa.Column('rev', sa.String(32)))\n"
            if rev == FAULTY:
                body += (
                    f"op.execute({first!r})\n"
                    "import os, time\n"
                    f"_cid = op.get_bind().exec_driver_sql({backend.pid_sql!r}).scalar()\n"
                    f"with open({str(self.pidfile)!r}, 'w') as _f:\n"
                    "    _f.write(f'{_cid} {os.getpid()}')\n"
                    f"if os.path.exists({str(self.fail_flag)!r}):\n"
                    f"    raise RuntimeError('half-way through {FAULTY}')\n"
                    "_t = time.time() + 90\n"
                    f"while os.path.exists({str(self.wait_flag)!r}) and time.time() < _t:\n"
                    "    time.sleep(0.05)\n"
                    "op.execute('INSERT INTO half_done (x) VALUES (1)')\n"
                )
            body += f"op.execute(\"INSERT INTO svc_log (rev) VALUES ('{rev}')\")\n"
            self.repo.revision(SVC, rev, REVS[i - 1] if i else None, upgrade=body)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        r = monomig(self.repo.root, "upgrade", "--all", "-n", SVC, *args)
        self.outputs += [r.stdout, r.stderr]
        return r

    def start(self) -> subprocess.Popen[str]:
        self.wait_flag.write_text("")
        return subprocess.Popen(
            [MONOMIG, "upgrade", "--all", "-n", SVC, "--json"],
            cwd=self.repo.root,
            env=env_without_urls(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def inside(self, timeout: float = 60) -> tuple[int, int]:
        """Wait until the faulty revision is running: (its connection id, the worker's pid)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pidfile.exists():
                text = self.pidfile.read_text().split()
                if len(text) == 2:
                    return int(text[0]), int(text[1])
            time.sleep(0.05)
        raise AssertionError("the faulty revision never started")

    def finish(self, p: subprocess.Popen[str]) -> tuple[int, dict, str]:
        self.wait_flag.unlink(missing_ok=True)
        out, err = p.communicate(timeout=120)
        self.outputs += [out, err]
        summary = {s["service"]: s for s in json.loads(out)}
        return p.returncode, summary[SVC], err

    def current(self) -> set[str]:
        """The version table, read directly from the server (not through a proxy)."""
        return {r[0] for r in self.backend.rows("SELECT version_num FROM alembic_version")}

    def alembic_current(self) -> set[str]:
        r = alembic(self.repo.root, "-n", SVC, "current")
        assert r.returncode == 0, r.stderr
        return {line.split()[0] for line in r.stdout.splitlines() if line.strip()}

    def logged(self) -> list[str]:
        return sorted(r[0] for r in self.backend.rows("SELECT rev FROM svc_log"))

    def assert_failed_cleanly(self, rc: int, item: dict, lock_url: str) -> None:
        """The message names service and revision; the lock is free; the version table
        matches the schema."""
        print(f"{self.backend.kind}: {item['error']}")
        assert rc == 1, item
        assert item["result"] == "failed"
        assert item["failed_revision"] == FAULTY, item
        assert f"service '{SVC}'" in item["error"] and f"failed at revision {FAULTY}" in item["error"], item
        assert_lock_free(lock_url)
        assert self.current() == {REVS[1]}
        assert self.logged() == REVS[:2]
        if self.backend.kind == "postgresql":
            assert PARTLY not in item["error"]
            assert not self.backend.has_table("half_done")  # the failed revision left nothing behind
        else:
            assert PARTLY in item["error"] and f"revision {FAULTY}" in item["error"], item

    def rerun_finishes(self) -> None:
        self.wait_flag.unlink(missing_ok=True)
        self.fail_flag.unlink(missing_ok=True)
        r = self.run()
        assert r.returncode == 0, r.stdout + r.stderr
        assert self.current() == self.alembic_current() == {REVS[-1]}
        assert self.logged() == REVS

    def assert_no_password(self) -> None:
        for text in self.outputs:
            assert PASSWORD not in text


def assert_lock_free(url: str) -> None:
    from monomig._native import MigrationLock

    lock = MigrationLock(url, "monomig:alembic_version", timeout=0)
    lock.acquire()
    lock.release()


@pytest.mark.parametrize("server_backend", ["postgresql", "mysql"], indirect=True)
def test_connection_terminated_mid_revision(tmp_path: Path, server_backend: Backend) -> None:
    f = Faulty(tmp_path, server_backend, server_backend.url())
    p = f.start()
    cid, _ = f.inside()
    server_backend.kill_backend(cid)
    rc, item, err = f.finish(p)
    f.assert_failed_cleanly(rc, item, server_backend.url())
    assert f"[{SVC}] FAILED at revision {FAULTY}" in err
    f.rerun_finishes()
    f.assert_no_password()


@pytest.mark.parametrize("server_backend", ["postgresql", "mysql"], indirect=True)
def test_server_gone_mid_run(tmp_path: Path, server_backend: Backend) -> None:
    with TcpProxy(server_backend.server_port) as proxy:
        url = server_backend.url(proxy.port)
        f = Faulty(tmp_path, server_backend, url)
        p = f.start()
        f.inside()
        proxy.cut()  # both connections (the migration's and the lock's) die, new ones are refused
        rc, item, err = f.finish(p)
        # the migration's own error is reported, not the lock's failed release after it
        assert "OperationalError" in item["error"] and "Releasing the migration lock" not in item["error"], item
        assert f"[{SVC}] FAILED at revision {FAULTY}" in err, err
        # the server saw its clients go: the lock is free on the server itself
        deadline = time.monotonic() + 10
        while True:
            try:
                f.assert_failed_cleanly(rc, item, server_backend.url())
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        # while the server is away, a rerun fails at once, naming the service, exit 1
        down = f.run("--json")
        assert down.returncode == 1, down.stdout + down.stderr
        assert SVC in down.stdout + down.stderr
        assert f.current() == {REVS[1]}
        proxy.resume()
        f.rerun_finishes()
    f.assert_no_password()


@pytest.mark.parametrize("server_backend", ["postgresql", "mysql"], indirect=True)
def test_lock_held_past_timeout(tmp_path: Path, server_backend: Backend) -> None:
    url = server_backend.url()
    f = Faulty(tmp_path, server_backend, url)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom monomig._native import MigrationLock\n"
            "l = MigrationLock(sys.argv[1], 'monomig:alembic_version', timeout=5, service='nightly-job')\n"
            "l.acquire(); print('held', flush=True); time.sleep(120)",
            url,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        r = f.run("--lock-timeout", "1.5", "--json")
        assert time.monotonic() - started < 30
        assert r.returncode == 1, r.stdout + r.stderr
        item = {s["service"]: s for s in json.loads(r.stdout)}[SVC]
        print(f"{server_backend.kind}: {item['error']}")
        assert item["result"] == "failed" and f"service '{SVC}'" in item["error"]
        # who holds it: PostgreSQL shows the holder's description, MariaDB its connection
        assert ("nightly-job" if server_backend.kind == "postgresql" else "server connection") in r.stderr, r.stderr
        assert item["failed_revision"] is None and PARTLY not in item["error"]  # nothing ran
        assert item["error"].endswith("No revision was applied: the database is still at base."), item
        assert not f.pidfile.exists()
        # (MariaDB's information_schema spans every database of the server: other tests,
        # running beside this one, create their own svc_log)
        schema = "current_schema()" if server_backend.kind == "postgresql" else "DATABASE()"
        assert (
            server_backend.rows(
                f"SELECT 1 FROM information_schema.tables WHERE table_name = 'svc_log' AND table_schema = {schema}"
            )
            == []
        )
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert_lock_free(url)
    f.rerun_finishes()
    f.assert_no_password()


def test_revision_raises_half_way(tmp_path: Path, backend: Backend) -> None:
    """The revision's first statement is not safe to repeat (a plain CREATE TABLE). On
    PostgreSQL the rerun just works; on MariaDB and SQLite the table stays behind and the
    documented path applies: undo what the failed revision did, run again."""
    f = Faulty(tmp_path, backend, backend.url(), first_statement="CREATE TABLE half_done (x INTEGER)")
    f.fail_flag.write_text("")
    r = f.run("--json")
    item = {s["service"]: s for s in json.loads(r.stdout)}[SVC]
    f.assert_failed_cleanly(r.returncode, item, backend.url())
    assert f"RuntimeError: half-way through {FAULTY}" in item["error"]
    assert re.search(rf"^\[{SVC}\] FAILED at revision {FAULTY}: ", r.stderr, re.M), r.stderr
    f.fail_flag.unlink()
    if backend.kind != "postgresql":
        assert backend.has_table("half_done")  # partly applied, as the message warned
        again = f.run("--json")
        assert again.returncode == 1
        item = {s["service"]: s for s in json.loads(again.stdout)}[SVC]
        assert item["failed_revision"] == FAULTY and PARTLY in item["error"]
        assert f.current() == {REVS[1]}
        backend.execute("DROP TABLE half_done")  # undo what the failed revision did
    f.rerun_finishes()
    f.assert_no_password()


@pytest.mark.parametrize("server_backend", ["postgresql"], indirect=True)
def test_one_transaction_for_the_whole_run(tmp_path: Path, server_backend: Backend) -> None:
    """Without transaction_per_migration the whole run is one transaction: on PostgreSQL a
    revision raising half-way leaves the database as it was before the run."""
    f = Faulty(tmp_path, server_backend, server_backend.url(), per_migration=False)
    f.fail_flag.write_text("")
    r = f.run("--json")
    item = {s["service"]: s for s in json.loads(r.stdout)}[SVC]
    assert r.returncode == 1 and item["failed_revision"] == FAULTY, item
    assert f"service '{SVC}'" in item["error"] and PARTLY not in item["error"]
    assert_lock_free(server_backend.url())
    assert not server_backend.has_table("svc_log") and not server_backend.has_table("half_done")
    assert f.alembic_current() == set()
    f.rerun_finishes()
    f.assert_no_password()


@pytest.mark.parametrize("server_backend", ["mysql"], indirect=True)
def test_killed_worker_mysql(tmp_path: Path, server_backend: Backend) -> None:
    _killed_worker(tmp_path, server_backend)


def test_killed_worker_sqlite(tmp_path: Path) -> None:
    _killed_worker(tmp_path, Backend("sqlite", None, tmp_path))


def _killed_worker(tmp_path: Path, backend: Backend) -> None:
    """(PostgreSQL: test_fleet_upgrade.py::test_killed_worker_releases_lock_and_rerun_finishes.)"""
    f = Faulty(tmp_path, backend, backend.url())
    p = f.start()
    _, worker = f.inside()
    os.kill(worker, signal.SIGKILL)
    rc, item, _err = f.finish(p)
    f.assert_failed_cleanly(rc, item, backend.url())
    assert "was killed by signal 9" in item["error"]
    # the first statement of the killed revision is safe to repeat: the rerun just finishes
    f.rerun_finishes()
