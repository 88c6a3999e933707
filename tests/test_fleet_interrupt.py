"""SIGINT (Ctrl-C) and SIGTERM during `monomig upgrade --all`, on PostgreSQL, MariaDB and
SQLite: the summary says what was done, interrupted (service and revision) and not
started, exit 130/143, the migration lock is free and a rerun finishes."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from support.databases import ServerDb, my_admin, mysql_database, pg_admin, pg_database  # noqa: F401
from support.fleet_repo import MONOMIG, Repo, alembic, env_without_urls, monomig


def current(repo: Repo, svc: str) -> set[str]:
    r = alembic(repo.root, "-n", svc, "current")
    assert r.returncode == 0, r.stderr
    return {line.split()[0] for line in r.stdout.splitlines() if line.strip()}


class Slow:
    """`slow` (on the backend under test): slow0001 creates a table, then sleeps while a
    flag file exists; `later` waits behind it on the same database; `quick` (its own
    SQLite file) finishes at once."""

    def __init__(self, tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
        self.backend = backend
        self.flag = tmp_path / "sleep-flag"
        if backend == "sqlite":
            self.url = f"sqlite:///{tmp_path}/slow.db"
        else:
            self.db: ServerDb = request.getfixturevalue("pg_database" if backend == "postgresql" else "mysql_database")
            self.url = self.db.url
        self.repo = repo = Repo(tmp_path / "repo")
        repo.add_service("slow", self.url)
        repo.revision("slow", "slow0000", None, upgrade="op.create_table('slow_log', sa.Column('x', sa.Integer))")
        repo.revision(
            "slow",
            "slow0001",
            "slow0000",
            upgrade=(
                "op.create_table('half_done', sa.Column('x', sa.Integer))\n"
                "import os, time\n"
                "_t = time.time() + 60\n"
                f"while os.path.exists({str(self.flag)!r}) and time.time() < _t:\n"
                "    time.sleep(0.05)\n"
            ),
        )
        repo.revision("slow", "slow0002", "slow0001")
        repo.add_service("later", self.url, version_table="later_version")
        repo.chain("later", 1)
        repo.add_service("quick", f"sqlite:///{tmp_path}/quick.db")
        repo.chain("quick", 1)

    def tables(self) -> set[str]:
        if self.backend == "sqlite":
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as db:
                return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if self.backend == "postgresql":
            with pg_admin(self.db.name) as conn:
                return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        conn = my_admin(self.db.name)
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW TABLES")
                return {r[0] for r in cur.fetchall()}
        finally:
            conn.close()

    def versions(self, table: str = "alembic_version") -> set[str]:
        """The version table, read directly (empty when there is none)."""
        if table not in self.tables():
            return set()
        sql = f"SELECT version_num FROM {table}"
        if self.backend == "sqlite":
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as db:
                return {r[0] for r in db.execute(sql)}
        if self.backend == "postgresql":
            with pg_admin(self.db.name) as conn:
                return {r[0] for r in conn.execute(sql)}
        conn = my_admin(self.db.name)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return {r[0] for r in cur.fetchall()}
        finally:
            conn.close()

    def drop_half_done(self) -> None:
        """What the partial-DDL warning asks for: undo the statements that did run."""
        if self.backend == "sqlite":
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as db:
                db.execute("DROP TABLE IF EXISTS half_done")
        elif self.backend == "mysql":
            conn = my_admin(self.db.name)
            try:
                with conn.cursor() as cur:
                    cur.execute("DROP TABLE IF EXISTS half_done")
            finally:
                conn.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_interrupt_during_a_slow_revision(
    tmp_path: Path, backend: str, sig: signal.Signals, request: pytest.FixtureRequest
) -> None:
    from monomig._native import MigrationLock

    s = Slow(tmp_path, backend, request)
    s.flag.write_text("")
    as_json = sig == signal.SIGINT  # the JSON summary after SIGINT, the table after SIGTERM
    p = subprocess.Popen(
        [MONOMIG, "upgrade", "--all", "--jobs", "2", *(["--json"] if as_json else [])],
        cwd=s.repo.root,
        env=env_without_urls(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    progress = p.stderr if as_json else p.stdout
    assert progress is not None
    seen: list[str] = []
    deadline = time.monotonic() + 90
    while not ("[slow] running upgrade slow0001 (revision slow0001)\n" in seen and "[quick] finished" in "".join(seen)):
        line = progress.readline()
        assert line and time.monotonic() < deadline, "".join(seen)
        seen.append(line)
    time.sleep(0.5)  # inside the sleeping revision
    started = time.monotonic()
    p.send_signal(sig)
    out, err = p.communicate(timeout=60)
    took = time.monotonic() - started
    shown = "".join(seen) + out + err
    assert p.returncode == (130 if sig == signal.SIGINT else 143), shown
    assert took < 8, f"took {took:.1f} s to stop"  # the worker unwound: no SIGTERM/SIGKILL escalation needed
    assert "Traceback" not in shown
    assert f"interrupted ({sig.name})" in shown

    if as_json:
        summary = {i["service"]: i for i in json.loads(out)}
        assert summary["quick"]["result"] == "done" and summary["quick"]["code"] is None
        slow = summary["slow"]
        assert slow["result"] == "interrupted" and slow["code"] == "interrupted", slow
        assert slow["failed_revision"] == "slow0001"
        assert "service 'slow'" in slow["error"] and "slow0001" in slow["error"]
        assert summary["later"]["result"] == "not_started" and summary["later"]["code"] == "interrupted"
        message = slow["error"]
    else:
        assert re.search(r"^quick\s+done\s", out, re.M), out
        assert re.search(r"^slow\s+interrupted\s", out, re.M), out
        assert re.search(r"^later\s+not started\s", out, re.M), out
        assert f"interrupted by {sig.name}; done: quick" in out
        assert "not started: later" in out
        (message,) = [line for line in out.splitlines() if line.startswith("service 'slow': upgrade interrupted")]
        assert "at revision slow0001" in message

    # what the database holds, and what the message says about it
    if backend == "postgresql":
        # one transaction for the whole run: everything rolled back, as the message says
        assert "rolled back" in message and "no revision (base)" in message, message
        assert s.versions() == set()
        assert "half_done" not in s.tables() and "slow_log" not in s.tables()
    else:
        # each revision commits on its own; slow0001's DDL is not transactional
        assert "may be partly applied" in message and "slow0000" in message, message
        assert current(s.repo, "slow") == {"slow0000"}  # as Alembic reads it
        if backend == "mysql":
            assert "half_done" in s.tables()  # the warning was right
    assert s.versions("later_version") == set()

    # the lock is free at once
    lock = MigrationLock(s.url, "monomig:alembic_version", timeout=0)
    lock.acquire()
    lock.release()

    # a rerun finishes (after undoing what the warning named)
    s.flag.unlink()
    s.drop_half_done()
    rerun = monomig(s.repo.root, "upgrade", "--all")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert s.versions() == {"slow0002"}
    assert s.versions("later_version") == {"late0000"}
