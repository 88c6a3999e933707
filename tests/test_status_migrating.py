"""`monomig status` sees running migrations: a service whose migration lock
(`monomig:<version_table>`) another process holds is `migrating`, with the holder the
database (or, for SQLite, the kernel and the lock file) names; status never takes or
waits for the lock; once the lock is free the state is what the version table says."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from support.databases import ServerDb, mysql_database, pg_database  # noqa: F401  (fixtures)
from support.fleet_repo import Repo, alembic, monomig
from support.lock_holder import HOLDER, expect_line, kill, spawn


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend in turn (SQLite by absolute path: the lock
    holder runs in another directory)."""
    if request.param == "sqlite":
        (tmp_path / "var").mkdir()
        return f"sqlite:///{tmp_path}/var/app.db"
    return request.getfixturevalue("pg_database" if request.param == "postgresql" else "mysql_database").url


@pytest.fixture
def repo(tmp_path: Path, url: str) -> Repo:
    """`svc` behind by one revision; `other` up to date in its own version table of the
    same database."""
    repo = Repo(tmp_path / "repo")
    repo.add_service("svc", url)
    revs = repo.chain("svc", 2)
    repo.add_service("other", url, version_table="other_version")
    repo.chain("other", 1)
    for args in (("svc", "upgrade", revs[0]), ("other", "upgrade", "head")):
        r = alembic(repo.root, "-n", args[0], *args[1:])
        assert r.returncode == 0, r.stderr
    return repo


def _status(repo: Repo, *args: str) -> tuple[dict[str, dict], float]:
    t0 = time.monotonic()
    r = monomig(repo.root, "status", "--json", *args)
    elapsed = time.monotonic() - t0
    assert r.returncode in (0, 1), r.stderr
    return {s["service"]: s for s in json.loads(r.stdout)}, elapsed


def _names_pid(holder: str, pid: int) -> bool:
    return re.search(rf"\bpid[ =]{pid}\b", holder) is not None


def test_held_lock_is_migrating_then_released(repo: Repo, url: str) -> None:
    before, unlocked_time = _status(repo)
    assert before["svc"]["state"] == "behind" and before["svc"]["pending"] == 1
    assert "holder" not in before["svc"]

    child = spawn(HOLDER, url, "monomig:alembic_version", "svc-child")
    try:
        expect_line(child, "held")
        during, locked_time = _status(repo)
        svc = during["svc"]
        assert svc["state"] == "migrating", svc
        assert _names_pid(svc["holder"], child.pid), svc["holder"]
        # pending and current as read from the version table.
        assert svc["current"] == before["svc"]["current"] and svc["pending"] == 1
        # Another version table of the same database has its own lock.
        assert during["other"]["state"] == "up_to_date" and "holder" not in during["other"]
        # Reading the lock never waits for it (the child holds it for minutes).
        assert locked_time < unlocked_time + 2.0, (locked_time, unlocked_time)

        text = monomig(repo.root, "status")
        assert text.returncode == 0, text.stderr
        row = next(line for line in text.stdout.splitlines() if line.startswith("svc "))
        assert row.split()[1] == "migrating", text.stdout
        note = next(line for line in text.stdout.splitlines() if line.startswith("svc: migrating: "))
        assert "its migration lock is held by" in note and _names_pid(note, child.pid), note

        check = monomig(repo.root, "status", "--check", "-n", "other")
        assert check.returncode == 0, check.stdout + check.stderr
        check = monomig(repo.root, "status", "--check", "-n", "svc")
        assert check.returncode == 1, check.stdout + check.stderr

        # A plan made while another run migrates says so, and is read-only (no wait).
        plan = monomig(repo.root, "upgrade", "--all", "--plan", "-n", "svc")
        assert plan.returncode == 0, plan.stdout + plan.stderr
        assert "a migration is running now" in plan.stdout and _names_pid(plan.stdout, child.pid), plan.stdout
        assert "1 step from" in plan.stdout, plan.stdout
    finally:
        kill(child)

    after, _ = _status(repo)
    assert after["svc"]["state"] == "behind" and "holder" not in after["svc"]
    r = alembic(repo.root, "-n", "svc", "upgrade", "head")
    assert r.returncode == 0, r.stderr
    done, _ = _status(repo, "--check")
    assert done["svc"]["state"] == "up_to_date" and done["svc"]["pending"] == 0


def test_up_to_date_service_under_lock_fails_the_gate(repo: Repo, url: str) -> None:
    child = spawn(HOLDER, url, "monomig:other_version", "other-child")
    try:
        expect_line(child, "held")
        r = monomig(repo.root, "status", "--json", "--check", "-n", "other")
        assert r.returncode == 1, r.stdout + r.stderr
        (other,) = json.loads(r.stdout)
        assert other["state"] == "migrating" and other["pending"] == 0
        assert _names_pid(other["holder"], child.pid), other["holder"]
    finally:
        kill(child)
    r = monomig(repo.root, "status", "--json", "--check", "-n", "other")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)[0]["state"] == "up_to_date"
