"""`monomig upgrade|downgrade|stamp --all`: every service through Alembic's own commands,
in parallel worker processes, under migration locks; races and killed workers."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from support.databases import ServerDb, my_admin, mysql_database, pg_admin, pg_database  # noqa: F401
from support.fleet_repo import MONOMIG, Repo, alembic, env_without_urls, monomig

LOG_UPGRADE = """
op.execute("INSERT INTO {table} (rev) VALUES ('{rev}')")
"""


def logged_chain(repo: Repo, svc: str, count: int, table: str, sleep: float = 0.0, extra: str = "") -> list[str]:
    """Revisions that each append a row to a log table (the first creates it)."""
    revs = [f"{svc[:4]}{i:04d}" for i in range(count)]
    for i, rev in enumerate(revs):
        body = ""
        if i == 0:
            body += f"op.create_table({table!r}, sa.Column('rev', sa.String(32)))\n"
        if sleep:
            body += f"import time; time.sleep({sleep})\n"
        body += LOG_UPGRADE.format(table=table, rev=rev).strip() + "\n"
        if i == 1 and extra:
            body += extra
        down = f"op.execute(\"DELETE FROM {table} WHERE rev = '{rev}'\")\n"
        if i == 0:
            down = f"op.drop_table({table!r})\n"
        repo.revision(svc, rev, revs[i - 1] if i else None, upgrade=body, downgrade=down)
    return revs


def current(repo: Repo, svc: str) -> set[str]:
    r = alembic(repo.root, "-n", svc, "current")
    assert r.returncode == 0, r.stderr
    return {line.split()[0] for line in r.stdout.splitlines() if line.strip()}


def status(repo: Repo) -> dict[str, dict]:
    return {s["service"]: s for s in json.loads(monomig(repo.root, "status", "--json").stdout)}


def pg_rows(db: ServerDb, sql: str) -> list[tuple]:
    with pg_admin(db.name) as conn:
        return conn.execute(sql).fetchall()


def my_rows(db: ServerDb, sql: str) -> list[tuple]:
    conn = my_admin(db.name)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())
    finally:
        conn.close()


@pytest.fixture
def three(tmp_path: Path, pg_database: ServerDb, mysql_database: ServerDb) -> Repo:
    repo = Repo(tmp_path / "repo")
    var = repo.root / "var"
    var.mkdir()
    repo.add_service("lite", f"sqlite:///{var}/lite.db")
    logged_chain(repo, "lite", 3, "lite_log")
    repo.add_service("pgsv", pg_database.url)
    logged_chain(repo, "pgsv", 4, "pgsv_log")
    repo.add_service("mysv", mysql_database.url)
    logged_chain(repo, "mysv", 2, "mysv_log")
    # two services on one SQLite database, each with its own version table
    repo.add_service("same_a", f"sqlite:///{var}/same.db", version_table="same_a_version")
    logged_chain(repo, "same_a", 2, "same_a_log")
    repo.add_service("same_b", f"sqlite:///{var}/same.db", version_table="same_b_version")
    logged_chain(repo, "same_b", 2, "same_b_log")
    repo.pg = pg_database  # type: ignore[attr-defined]
    repo.my = mysql_database  # type: ignore[attr-defined]
    return repo


@pytest.mark.slow
def test_upgrade_downgrade_stamp_all(three: Repo) -> None:
    r = monomig(three.root, "upgrade", "--all", "--jobs", "3")
    assert r.returncode == 0, r.stdout + r.stderr
    st = status(three)
    for svc, s in st.items():
        assert s["state"] == "up_to_date", (svc, s)
        assert current(three, svc) == set(s["heads"])
    # live progress, one line per event, then a summary table
    assert re.search(r"^\[pgsv\] running upgrade pgsv0003 \(revision pgsv0003\)$", r.stdout, re.M)
    assert re.search(r"^\[mysv\] done mysv0001$", r.stdout, re.M)
    assert re.search(r"^SERVICE\s+RESULT\s+BEFORE\s+AFTER\s+STEPS\s+TIME$", r.stdout, re.M)
    assert re.search(r"^pgsv\s+done\s+-\s+pgsv0003\s+4\s", r.stdout, re.M)
    assert sorted(pg_rows(three.pg, "SELECT rev FROM pgsv_log")) == [(f"pgsv{i:04d}",) for i in range(4)]
    assert sorted(my_rows(three.my, "SELECT rev FROM mysv_log")) == [("mysv0000",), ("mysv0001",)]
    # services on one database ran one after another
    lines = r.stdout.splitlines()
    a_start = lines.index(next(l for l in lines if l.startswith("[same_a] upgrade to head: started")))
    a_end = lines.index(next(l for l in lines if l.startswith("[same_a] finished")))
    b_start = lines.index(next(l for l in lines if l.startswith("[same_b] upgrade to head: started")))
    b_end = lines.index(next(l for l in lines if l.startswith("[same_b] finished")))
    assert a_end < b_start or b_end < a_start, r.stdout

    # nothing to do: no worker at all
    again = monomig(three.root, "upgrade", "--all", "--json")
    assert again.returncode == 0
    summary = json.loads(again.stdout)
    assert {s["result"] for s in summary} == {"up_to_date"}
    assert "started" not in again.stderr

    down = monomig(three.root, "downgrade", "--all", "base", "--yes", "-n", "pgsv", "-n", "lite", "-n", "mysv")
    assert down.returncode == 0, down.stdout + down.stderr
    for svc in ("pgsv", "lite", "mysv"):
        assert current(three, svc) == set()
    assert current(three, "same_a") == {"same0001"}
    assert not pg_rows(three.pg, "SELECT 1 FROM pg_tables WHERE tablename = 'pgsv_log'")

    stamp = monomig(three.root, "stamp", "--all", "heads", "--json")
    assert stamp.returncode == 0, stamp.stderr
    for svc, s in status(three).items():
        assert s["state"] == "up_to_date", svc
    # stamping ran no migration
    assert not pg_rows(three.pg, "SELECT 1 FROM pg_tables WHERE tablename = 'pgsv_log'")
    purge = monomig(three.root, "stamp", "--all", "base", "--purge", "-n", "lite")
    assert purge.returncode == 0, purge.stdout + purge.stderr
    assert current(three, "lite") == set()


def test_x_arguments_reach_env_py(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    repo.add_service("one", f"sqlite:///{tmp_path}/one.db")
    repo.chain("one", 1)
    repo.add_service("two", f"sqlite:///{tmp_path}/two.db")
    repo.chain("two", 1)
    r = monomig(repo.root, "-x", "fail=two", "upgrade", "--all", "--json")
    assert r.returncode == 1
    summary = {s["service"]: s for s in json.loads(r.stdout)}
    assert summary["one"]["result"] == "done"
    assert summary["two"]["result"] == "failed"
    assert "failing on request (-x fail=two)" in summary["two"]["error"]
    # env.py learns that the migration lock is held (and must not be taken again)
    shown = tmp_path / "lock-held.txt"
    monomig(repo.root, "-x", f"show_lock={shown}", "-x", "fail=two", "upgrade", "--all", "-n", "two")
    assert shown.read_text() == "monomig:alembic_version"


def test_downgrade_needs_a_target(three: Repo) -> None:
    r = monomig(three.root, "downgrade", "--all")
    assert r.returncode == 2
    # Alembic's own parser already requires downgrade's revision: a usage error.
    assert "required: revision" in r.stderr or "needs a target revision" in r.stderr


@pytest.mark.slow
def test_upgrade_to_a_relative_target_and_sql(three: Repo) -> None:
    r = monomig(three.root, "upgrade", "--all", "+1", "-n", "pgsv", "-n", "lite")
    assert r.returncode == 0, r.stdout + r.stderr
    assert current(three, "pgsv") == {"pgsv0000"}
    assert current(three, "lite") == {"lite0000"}
    sql = monomig(three.root, "upgrade", "--all", "--sql", "-n", "lite", "-n", "same_a")
    assert sql.returncode == 0, sql.stderr
    assert sql.stdout.count("CREATE TABLE lite_log") == 1
    assert "same_a_log" in sql.stdout
    assert current(three, "lite") == {"lite0000"}  # offline mode wrote nothing


@pytest.mark.slow
def test_failure_names_service_and_revision(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    repo.add_service("bad", f"sqlite:///{tmp_path}/bad.db")
    repo.revision("bad", "bad0", None)
    repo.revision("bad", "bad1", "bad0", upgrade="raise RuntimeError('boom in bad1')")
    repo.add_service("good", f"sqlite:///{tmp_path}/good.db")
    repo.chain("good", 2)
    r = monomig(repo.root, "upgrade", "--all", "--jobs", "1")
    assert r.returncode == 1
    # the exception's last line, a full sentence, and how to see more; no cut-off traceback
    assert re.search(
        r"^\[bad\] FAILED at revision bad1: service 'bad': upgrade failed at revision bad1: "
        r"RuntimeError: boom in bad1\. ",
        r.stdout,
        re.M,
    ), r.stdout
    assert "[bad] run again with -v/--verbose to see the whole traceback\n" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr
    assert re.search(r"^good\s+done\s", r.stdout, re.M)  # carries on
    alembic(repo.root, "-n", "good", "downgrade", "base")
    verbose = monomig(repo.root, "upgrade", "--all", "--jobs", "1", "-v")
    assert verbose.returncode == 1
    shown = re.findall(r"^\[bad\]   \| (.*)$", verbose.stdout, re.M)
    assert "Traceback (most recent call last):" in shown, verbose.stdout
    assert shown[-1] == "RuntimeError: boom in bad1", verbose.stdout
    assert any("bad1_rev.py" in line for line in shown), verbose.stdout
    assert current(repo, "bad") == {"bad0"}
    assert current(repo, "good") == {"good0001"}

    alembic(repo.root, "-n", "good", "downgrade", "base")
    ff = monomig(repo.root, "upgrade", "--all", "--jobs", "1", "--fail-fast", "--json")
    assert ff.returncode == 1
    summary = {s["service"]: s for s in json.loads(ff.stdout)}
    assert summary["bad"]["result"] == "failed"
    assert summary["bad"]["failed_revision"] == "bad1"
    assert "service 'bad'" in summary["bad"]["error"] and "bad1" in summary["bad"]["error"]
    assert summary["good"]["result"] == "skipped"
    assert current(repo, "good") == set()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_two_processes_apply_each_revision_once(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    repo = Repo(tmp_path / "repo")
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/race.db"
    elif backend == "postgresql":
        db = request.getfixturevalue("pg_database")
        url = db.url
    else:
        db = request.getfixturevalue("mysql_database")
        url = db.url
    repo.add_service("race_a", url, version_table="race_a_version")
    logged_chain(repo, "race_a", 4, "race_a_log", sleep=0.2)
    repo.add_service("race_b", f"sqlite:///{tmp_path}/race_b.db")
    logged_chain(repo, "race_b", 3, "race_b_log", sleep=0.2)
    procs = [
        subprocess.Popen(
            [MONOMIG, "upgrade", "--all"],
            cwd=repo.root,
            env=env_without_urls(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    import sqlite3

    if backend == "sqlite":
        rows = sqlite3.connect(tmp_path / "race.db").execute("SELECT rev FROM race_a_log").fetchall()
    elif backend == "postgresql":
        rows = pg_rows(db, "SELECT rev FROM race_a_log")
    else:
        rows = my_rows(db, "SELECT rev FROM race_a_log")
    assert sorted(rows) == [(f"race{i:04d}",) for i in range(4)]
    rows_b = sqlite3.connect(tmp_path / "race_b.db").execute("SELECT rev FROM race_b_log").fetchall()
    assert sorted(rows_b) == [(f"race{i:04d}",) for i in range(3)]
    assert current(repo, "race_a") == {"race0003"}


def test_waiting_process_names_the_holder(tmp_path: Path) -> None:
    from monomig._native import MigrationLock

    repo = Repo(tmp_path / "repo")
    url = f"sqlite:///{tmp_path}/held.db"
    repo.add_service("held", url)
    repo.chain("held", 1)
    lock = MigrationLock(url, "monomig:alembic_version", timeout=5, service="deploy-script")
    lock.acquire()
    try:
        r = monomig(repo.root, "upgrade", "--all", "--lock-timeout", "0.5")
        assert r.returncode == 1
        assert re.search(r"^\[held\] waiting for the migration lock: .*deploy-script", r.stdout, re.M), r.stdout
        assert "service 'held'" in r.stdout
        p = subprocess.Popen(
            [MONOMIG, "upgrade", "--all", "--lock-timeout", "60"],
            cwd=repo.root,
            env=env_without_urls(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(3)
        assert p.poll() is None  # still waiting
    finally:
        lock.release()
    out = p.communicate(timeout=60)[0]
    assert p.returncode == 0, out
    assert "waiting for the migration lock" in out
    assert current(repo, "held") == {"held0000"}


@pytest.mark.slow
def test_killed_worker_releases_lock_and_rerun_finishes(tmp_path: Path, pg_database: ServerDb) -> None:
    from monomig._native import MigrationLock

    repo = Repo(tmp_path / "repo")
    flag = tmp_path / "sleep-flag"
    flag.write_text("")
    repo.add_service("slow", pg_database.url, transaction_per_migration="true")
    sleeper = (
        "op.create_table('half_done', sa.Column('x', sa.Integer))\n"
        f"import os, time\nwhile os.path.exists({str(flag)!r}):\n    time.sleep(0.1)\n"
    )
    revs = [f"slow{i:04d}" for i in range(4)]
    for i, rev in enumerate(revs):
        body = ""
        if i == 0:
            body += "op.create_table('slow_log', sa.Column('rev', sa.String(32)))\n"
        if i == 2:
            body += sleeper
        body += LOG_UPGRADE.format(table="slow_log", rev=rev).strip() + "\n"
        repo.revision("slow", rev, revs[i - 1] if i else None, upgrade=body)
    # queued behind "slow" (same database): runs in a fresh worker after the kill
    repo.add_service("after", pg_database.url, version_table="after_version")
    repo.chain("after", 2)
    p = subprocess.Popen(
        [MONOMIG, "upgrade", "--all"],
        cwd=repo.root,
        env=env_without_urls(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert p.stdout is not None
    worker = None
    seen = []
    deadline = time.monotonic() + 60
    for line in p.stdout:
        seen.append(line)
        m = re.search(r"started \(pid (\d+)\)", line)
        if m:
            worker = int(m.group(1))
        if "running upgrade slow0002" in line:
            break
        assert time.monotonic() < deadline, seen
    assert worker is not None, seen
    time.sleep(0.5)  # inside the sleeping revision
    os.kill(worker, signal.SIGKILL)
    out = "".join(seen) + p.stdout.read()
    p.wait(timeout=60)
    assert p.returncode == 1, out
    assert re.search(r"^after\s+done\s", out, re.M), out
    pids = re.findall(r"started \(pid (\d+)\)", out)
    assert len(pids) == 2 and pids[0] != pids[1], out
    assert re.search(
        r"service 'slow': upgrade failed at revision slow0002: the worker process \(pid \d+\) was killed by signal 9",
        out,
    ), out
    # the version table matches the schema: two revisions committed, nothing of the third
    assert current(repo, "slow") == {"slow0001"}
    assert current(repo, "after") == {"afte0001"}
    assert not pg_rows(pg_database, "SELECT 1 FROM pg_tables WHERE tablename = 'half_done'")
    assert sorted(pg_rows(pg_database, "SELECT rev FROM slow_log")) == [("slow0000",), ("slow0001",)]
    # the lock died with the worker
    lock = MigrationLock(pg_database.url, "monomig:alembic_version", timeout=0)
    lock.acquire()
    lock.release()
    flag.unlink()
    rerun = monomig(repo.root, "upgrade", "--all")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert current(repo, "slow") == {"slow0003"}
    assert sorted(pg_rows(pg_database, "SELECT rev FROM slow_log")) == [(r,) for r in revs]


def test_bench_command_lines(demo_copy: Path) -> None:
    """The command lines bench/run.py uses: `monomig status`, `monomig upgrade --all`."""
    r = monomig(demo_copy, "upgrade", "--all")
    assert r.returncode == 0, r.stdout + r.stderr
    s = monomig(demo_copy, "status")
    assert s.returncode == 0
    assert "up to date" in s.stdout
    noop = monomig(demo_copy, "upgrade", "--all")
    assert noop.returncode == 0


def test_stamp_all_takes_alembic_positional_revisions(three: Repo) -> None:
    """`stamp` keeps Alembic's `revisions` positional (one or more) under --all."""
    assert monomig(three.root, "stamp", "--all", "heads").returncode == 0
    r = monomig(three.root, "status", "--json")
    assert {s["state"] for s in json.loads(r.stdout)} == {"up_to_date"}
    assert monomig(three.root, "stamp", "--all", "base").returncode == 0
    r = monomig(three.root, "status", "--json")
    assert {s["state"] for s in json.loads(r.stdout)} == {"not_initialized"}


def test_failure_messages_are_sentences() -> None:
    from monomig._fleet_run import full_stop
    from monomig._worker import last_line

    # Alembic's and the drivers' messages often end without a full stop
    assert full_stop("service 'a': upgrade failed: Ambiguous walk") == "service 'a': upgrade failed: Ambiguous walk."
    assert full_stop("done.") == "done." and full_stop("what? ") == "what?"

    class MultiLine(Exception):
        pass

    try:
        raise MultiLine("(sqlite3.OperationalError) no such table: x\n[SQL: SELECT 1]\n(Background on this error)")
    except MultiLine as e:
        assert last_line(e).endswith("MultiLine: (sqlite3.OperationalError) no such table: x")
    assert last_line(RuntimeError()) == "RuntimeError"
