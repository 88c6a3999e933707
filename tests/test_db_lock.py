"""MigrationLock on the real servers and SQLite files: exclusion across processes, the
holder named on timeout, release on exit / GC / SIGKILL, Ctrl-C while waiting, fork."""

from __future__ import annotations

import gc
import json
import os
import signal
import textwrap
from pathlib import Path

import pytest
from support.databases import (  # noqa: F401  (fixtures)
    ServerDb,
    SqliteDb,
    any_database,
    mysql_database,
    pg_database,
    sqlite_database,
    unique_name,
)
from support.lock_holder import HOLDER, expect_line, spawn

import monomig
from monomig._native import MigrationLock, read_versions

WAITER = textwrap.dedent(
    """
    import sys
    from monomig._native import MigrationLock
    url, name = sys.argv[1:3]
    lock = MigrationLock(url, name, timeout=120)
    print("waiting", flush=True)
    try:
        lock.acquire()
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
    print("acquired", flush=True)
    """
)


@pytest.fixture
def lock_name() -> str:
    return f"monomig:{unique_name()}.alembic_version"


def test_excludes_another_process_names_holder_and_dies_with_it(any_database: str, lock_name: str) -> None:
    holder = spawn(HOLDER, any_database, lock_name, "svc-child")
    try:
        expect_line(holder, "held")
        with pytest.raises(monomig.LockError) as info:
            MigrationLock(any_database, lock_name, timeout=0.5).acquire()
        msg = str(info.value)
        assert "Timed out" in msg and lock_name in msg
        if any_database.startswith("mysql"):
            assert "server connection" in msg and "root" in msg
        else:
            assert "svc-child" in msg and str(holder.pid) in msg
        # On the servers another lock name is independent (SQLite has one lock per file).
        if not any_database.startswith("sqlite"):
            with MigrationLock(any_database, lock_name + ".other", timeout=2) as other:
                assert other.held
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # The holder died without releasing: the server (or kernel) freed its lock.
    lock = MigrationLock(any_database, lock_name, timeout=15)
    lock.acquire()
    assert lock.held
    lock.release()
    assert not lock.held


def test_context_manager_in_one_process(any_database: str, lock_name: str) -> None:
    with MigrationLock(any_database, lock_name, timeout=2, service="svc") as lock:
        assert lock.held
        assert "held" in repr(lock)
        with pytest.raises(monomig.LockError, match="already held"):
            lock.acquire()
        with pytest.raises(monomig.LockError):
            MigrationLock(any_database, lock_name, timeout=0.2).acquire()
    assert not lock.held
    with MigrationLock(any_database, lock_name, timeout=2):
        pass
    lock.release()  # releasing an unheld lock is a no-op


def test_garbage_collection_releases(any_database: str, lock_name: str) -> None:
    lock = MigrationLock(any_database, lock_name, timeout=2)
    lock.acquire()
    del lock
    gc.collect()
    again = MigrationLock(any_database, lock_name, timeout=10)
    again.acquire()
    again.release()


def test_exception_inside_with_releases(any_database: str, lock_name: str) -> None:
    with pytest.raises(RuntimeError):
        with MigrationLock(any_database, lock_name, timeout=2):
            raise RuntimeError("migration failed")
    with MigrationLock(any_database, lock_name, timeout=2):
        pass


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_ctrl_c_interrupts_a_waiting_acquire(backend: str, request: pytest.FixtureRequest, lock_name: str) -> None:
    url = (
        request.getfixturevalue("sqlite_database").url
        if backend == "sqlite"
        else request.getfixturevalue("pg_database").url
    )
    holder = spawn(HOLDER, url, lock_name, "svc")
    waiter = None
    try:
        expect_line(holder, "held")
        waiter = spawn(WAITER, url, lock_name)
        expect_line(waiter, "waiting")
        import time

        time.sleep(0.5)
        waiter.send_signal(signal.SIGINT)
        out, err = waiter.communicate(timeout=20)
        assert waiter.returncode == 3, (out, err)
        assert "interrupted" in out
    finally:
        for p in (holder, waiter):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_forked_child_leaves_the_parents_lock_alone(
    backend: str, request: pytest.FixtureRequest, lock_name: str
) -> None:
    url = (
        request.getfixturevalue("sqlite_database").url
        if backend == "sqlite"
        else request.getfixturevalue("pg_database").url
    )
    lock = MigrationLock(url, lock_name, timeout=2)
    lock.acquire()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        status = b"ok"
        try:
            try:
                lock.release()
                status = b"release did not refuse"
            except monomig.LockError:
                pass
            # The child gets its own async runtime.
            (res,) = read_versions([(url, None, None)])
            if res.state not in ("no_table", "no_database"):
                status = f"read failed: {res.error}".encode()
            del lock
            gc.collect()
        except BaseException as e:  # noqa: BLE001
            status = repr(e).encode()
        os.write(w, status)
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        status = f.read()
    os.waitpid(pid, 0)
    assert status == b"ok"
    assert lock.held
    with pytest.raises(monomig.LockError):
        MigrationLock(url, lock_name, timeout=0.3).acquire()
    lock.release()


def test_sqlite_lock_file(sqlite_database: SqliteDb, lock_name: str) -> None:
    lock = MigrationLock(sqlite_database.url, lock_name, timeout=2, service="svc_one")
    lock_file = Path(str(sqlite_database.path) + ".monomig-lock")
    assert lock.location == str(lock_file)
    with lock:
        info = json.loads(lock_file.read_text())
        assert info["pid"] == os.getpid()
        assert info["service"] == "svc_one"
        assert info["lock"] == lock_name
        assert info["started"].endswith("Z")
    assert lock_file.exists() and lock_file.read_text() == ""
    assert not sqlite_database.path.exists()  # the lock never touches the database


def test_relative_sqlite_lock_uses_base_dir(tmp_path: Path, lock_name: str) -> None:
    (tmp_path / "var").mkdir()
    lock = MigrationLock("sqlite:///var/app.db", lock_name, base_dir=str(tmp_path))
    assert lock.location == str(tmp_path / "var" / "app.db.monomig-lock")
    with lock:
        assert (tmp_path / "var" / "app.db.monomig-lock").exists()


def test_memory_database_lock_is_trivial(lock_name: str) -> None:
    with MigrationLock("sqlite://", lock_name) as a, MigrationLock("sqlite://", lock_name) as b:
        assert a.held and b.held


def test_mysql_long_lock_names(mysql_database: ServerDb) -> None:
    long_name = "monomig:" + "x" * 200
    with MigrationLock(mysql_database.url, long_name, timeout=2):
        with pytest.raises(monomig.LockError):
            MigrationLock(mysql_database.url, long_name, timeout=0.2).acquire()
        with MigrationLock(mysql_database.url, long_name + "y", timeout=2):
            pass


def test_lock_errors_are_clear(tmp_path: Path, lock_name: str) -> None:
    with pytest.raises(monomig.DatabaseError) as info:
        MigrationLock("postgresql://postgres:hunter2@127.0.0.1:1/x", lock_name, connect_timeout=2).acquire()
    assert "refused" in str(info.value) and "hunter2" not in str(info.value)
    with pytest.raises(monomig.LockError, match="directory"):
        MigrationLock(f"sqlite:///{tmp_path}/missing/dir/x.db", lock_name).acquire()
    with pytest.raises(monomig.ConfigError):
        MigrationLock("postgres://u@h/db", lock_name)
    with pytest.raises(ValueError):
        MigrationLock("sqlite://", "")
    with pytest.raises(ValueError):
        MigrationLock("sqlite://", lock_name, timeout=-1)
    lock = MigrationLock("postgresql://u:hunter2@h/db", lock_name)
    assert "hunter2" not in repr(lock) and "hunter2" not in lock.url


def test_extreme_timeouts_are_not_a_crash(sqlite_database: SqliteDb, lock_name: str) -> None:
    with MigrationLock(sqlite_database.url, lock_name, timeout=1e15, connect_timeout=1e15) as lock:
        assert lock.held
    (r,) = read_versions([(sqlite_database.url, None, None)], concurrency=2**62, connect_timeout=1e15)
    assert r.state == "no_database"
