"""Database faults at the core: a lock held past the timeout, a lock's connection killed
by the server while held, the holding process SIGKILLed, and version reads against
servers that do not answer, on the real PostgreSQL and MariaDB servers and SQLite files."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.databases import (  # noqa: F401  (fixtures)
    ServerDb,
    SqliteDb,
    alembic_project,
    alembic_stamp,
    any_database,
    my_admin,
    mysql_database,
    pg_admin,
    pg_database,
    sqlite_database,
    unique_name,
)
from support.lock_holder import HOLDER, expect_line, kill, spawn

import monomig
from monomig._native import MigrationLock, read_versions


def wait_held(p: subprocess.Popen) -> None:
    expect_line(p, "held")


@pytest.fixture
def lock_name() -> str:
    return f"monomig:{unique_name()}"


# --- held past the timeout -------------------------------------------------------------


@pytest.mark.parametrize(("timeout", "shown"), [(0.5, "0.5 s"), (1, "1 s"), (1.5, "1.5 s")])
def test_timeout_names_holder_and_timeout(any_database: str, lock_name: str, timeout: float, shown: str) -> None:
    holder = spawn(HOLDER, any_database, lock_name, "svc_holder")
    try:
        wait_held(holder)
        t0 = time.monotonic()
        with pytest.raises(monomig.LockError) as info:
            MigrationLock(any_database, lock_name, timeout=timeout, service="svc_waiter").acquire()
        waited = time.monotonic() - t0
        msg = str(info.value)
        assert f"Timed out after {shown}" in msg, msg
        assert lock_name in msg
        assert waited >= timeout * 0.9 and waited < timeout + 10, waited
        if any_database.startswith("mysql"):
            assert "server connection" in msg, msg
        else:
            assert "svc_holder" in msg and (f"pid {holder.pid}" in msg or f"pid={holder.pid}" in msg), msg
    finally:
        kill(holder)


# --- the holder dies -------------------------------------------------------------------


def test_sigkilled_holder_frees_the_lock_for_the_next_taker(any_database: str, lock_name: str) -> None:
    for _ in range(2):
        holder = spawn(HOLDER, any_database, lock_name, "svc")
        try:
            wait_held(holder)
            with pytest.raises(monomig.LockError):
                MigrationLock(any_database, lock_name, timeout=0.2).acquire()
        finally:
            kill(holder)
        t0 = time.monotonic()
        with MigrationLock(any_database, lock_name, timeout=15) as lock:
            assert lock.held
        assert time.monotonic() - t0 < 15


# --- the server kills the lock's connection --------------------------------------------


def pg_lock_backends(db: ServerDb, service: str) -> list[int]:
    with pg_admin(db.name) as c:
        return [
            r[0]
            for r in c.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name LIKE %s", (f"monomig {service} %",)
            )
        ]


def test_pg_terminated_lock_connection(pg_database: ServerDb, lock_name: str) -> None:
    lock = MigrationLock(pg_database.url, lock_name, timeout=2, service="svc_term")
    lock.acquire()
    pids = pg_lock_backends(pg_database, "svc_term")
    assert len(pids) == 1
    with pg_admin(pg_database.name) as c:
        assert c.execute("SELECT pg_terminate_backend(%s)", (pids[0],)).fetchone()[0]
    # The server freed the lock with the session: another taker gets it at once.
    with MigrationLock(pg_database.url, lock_name, timeout=5) as other:
        assert other.held
    # Releasing the dead lock reports the problem clearly (or succeeds): never a hang or crash.
    t0 = time.monotonic()
    try:
        lock.release()
    except monomig.LockError as e:
        assert lock_name in str(e) and "frees it" in str(e)
    assert time.monotonic() - t0 < 10
    assert not lock.held
    with MigrationLock(pg_database.url, lock_name, timeout=5):
        pass


def test_mysql_killed_lock_connection(mysql_database: ServerDb, lock_name: str) -> None:
    lock = MigrationLock(mysql_database.url, lock_name, timeout=2)
    lock.acquire()
    admin = my_admin()
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT IS_USED_LOCK(%s)", (f"{lock_name}@{mysql_database.name}",))
            (conn_id,) = cur.fetchone()
            assert conn_id is not None
            cur.execute(f"KILL {int(conn_id)}")
    finally:
        admin.close()
    deadline = time.monotonic() + 10
    while True:  # KILL is asynchronous
        try:
            with MigrationLock(mysql_database.url, lock_name, timeout=1) as other:
                assert other.held
            break
        except monomig.LockError:
            assert time.monotonic() < deadline
    t0 = time.monotonic()
    try:
        lock.release()
    except monomig.LockError as e:
        assert lock_name in str(e)
    assert time.monotonic() - t0 < 10
    assert not lock.held


def test_sqlite_lock_file_deleted_while_held(sqlite_database: SqliteDb, lock_name: str) -> None:
    """Someone removes the lock file of a held lock: release still works, nothing crashes."""
    lock = MigrationLock(sqlite_database.url, lock_name, timeout=2)
    lock.acquire()
    Path(lock.location).unlink()
    lock.release()
    with MigrationLock(sqlite_database.url, lock_name, timeout=2):
        pass


# --- version reads against servers that do not answer -----------------------------------


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts connections, never says a word: a hung or half-dead server."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    conns: list[socket.socket] = []
    stop = threading.Event()

    def run() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(srv.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=run, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    stop.set()
    t.join()
    for c in conns:
        c.close()
    srv.close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_targets_answer_quickly_and_others_still_answer(
    pg_database: ServerDb, mysql_database: ServerDb, sqlite_database: SqliteDb, silent_port: int, tmp_path: Path
) -> None:
    proj = alembic_project(tmp_path)
    for url in (pg_database.url, mysql_database.url, sqlite_database.url):
        alembic_stamp(proj, url, "heads")
    dead = closed_port()
    targets = [
        (f"postgresql+psycopg://postgres@127.0.0.1:{dead}/x", None, None),
        (pg_database.url, None, None),
        (f"postgresql+psycopg://postgres@127.0.0.1:{silent_port}/x", None, None),
        (mysql_database.url, None, None),
        (f"mysql+pymysql://root@127.0.0.1:{dead}/x", None, None),
        (f"mysql+pymysql://root@127.0.0.1:{silent_port}/x", None, None),
        (sqlite_database.url, None, None),
        (f"postgresql+psycopg://postgres@127.0.0.1:{silent_port}/y?connect_timeout=1", None, None),
    ]
    t0 = time.monotonic()
    got = read_versions(targets, concurrency=8, connect_timeout=2)
    took = time.monotonic() - t0
    states = [(r.state, r.error_kind) for r in got]
    assert states[0] == ("error", "unreachable")
    assert states[4] == ("error", "unreachable")
    assert states[2] == ("error", "timeout") and states[5] == ("error", "timeout")
    assert states[7] == ("error", "timeout")
    for i in (1, 3, 6):
        assert got[i].state == "present" and sorted(got[i].rows) == ["b2b2b2b2b2b2", "c3c3c3c3c3c3"], got[i].error
    # All at once: no more than the connect timeout (plus slack for a loaded machine), not
    # the sum of the timeouts.
    assert took < 2 + 8, took
    for r in got:
        if r.state == "error":
            assert "127.0.0.1" in r.error and ("refused" in r.error or "within" in r.error), r.error


def test_unreachable_with_one_connection_at_a_time(pg_database: ServerDb, silent_port: int) -> None:
    """With concurrency 1 the hung targets each cost one connect timeout, then the good
    target still answers."""
    targets = [(f"postgresql://postgres@127.0.0.1:{silent_port}/db{i}", None, None) for i in range(2)]
    targets.append((pg_database.url, None, None))
    t0 = time.monotonic()
    got = read_versions(targets, concurrency=1, connect_timeout=1)
    took = time.monotonic() - t0
    assert [r.error_kind for r in got[:2]] == ["timeout", "timeout"]
    assert got[2].state == "no_table"
    assert took < 2 + 8, took


def test_server_closing_the_connection_at_once(pg_database: ServerDb) -> None:
    """A port that accepts and closes immediately (a server shutting down)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    port = srv.getsockname()[1]
    stop = threading.Event()

    def run() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                srv.accept()[0].close()
            except OSError:
                pass

    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        got = read_versions(
            [
                (f"postgresql://postgres@127.0.0.1:{port}/x", None, None),
                (f"mysql+pymysql://root@127.0.0.1:{port}/x", None, None),
                (pg_database.url, None, None),
            ],
            connect_timeout=3,
        )
    finally:
        stop.set()
        t.join()
        srv.close()
    assert got[0].state == "error" and got[1].state == "error"
    assert got[0].error_kind in ("unreachable", "other") and got[1].error_kind in ("unreachable", "other")
    assert got[2].state == "no_table"


def test_pg_read_connection_terminated_mid_flight(pg_database: ServerDb) -> None:
    """The server terminates every monomig session while reads run: errors, not hangs."""
    with pg_admin(pg_database.name) as c:
        c.execute("CREATE VIEW alembic_version AS SELECT pg_sleep(5)::text AS version_num")
    stop = threading.Event()

    def killer() -> None:
        while not stop.is_set():
            with pg_admin(pg_database.name) as c:
                c.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND query LIKE 'SELECT version_num%%'"
                )
            time.sleep(0.2)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    try:
        t0 = time.monotonic()
        (r,) = read_versions([(pg_database.url, None, None)], connect_timeout=5)
        took = time.monotonic() - t0
    finally:
        stop.set()
        t.join()
    assert r.state == "error", r
    assert r.error_kind in ("unreachable", "query", "other"), r
    assert took < 5, took
