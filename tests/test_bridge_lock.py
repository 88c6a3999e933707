"""Every migrating run through the bridge takes the migration lock of the database and
version table env.py really migrates: stock `alembic -n svc upgrade head` with
`import monomig` in env.py, `monomig -n svc upgrade head` and `monomig upgrade --all`
racing on one database apply each revision once; a lock held too long fails cleanly;
read-only commands and --sql never wait."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import lock_holder
from support.databases import ServerDb, my_admin, mysql_database, pg_admin, pg_database  # noqa: F401
from support.fleet_repo import ENV_PY, MONOMIG, Repo, env_without_urls, monomig

SLEEP = 0.7


def bridged_repo(root: Path, url: str, revisions: int = 3, sleep: float = SLEEP) -> tuple[Repo, list[str]]:
    """One service whose env.py has `import monomig`; each revision sleeps, then logs
    itself into a table (a revision applied twice shows as two rows, or fails)."""
    repo = Repo(root)
    (repo.root / "migrations" / "env.py").write_text("import monomig\n" + ENV_PY)
    repo.add_service("svc", url)
    revs = [f"svc{i:04d}" for i in range(revisions)]
    for i, rev in enumerate(revs):
        body = "op.create_table('svc_log', sa.Column('rev', sa.String(32), primary_key=True))\n" if i == 0 else ""
        body += f"import time; time.sleep({sleep})\n"
        body += f"op.execute(\"INSERT INTO svc_log (rev) VALUES ('{rev}')\")\n"
        repo.revision("svc", rev, revs[i - 1] if i else None, upgrade=body)
    return repo, revs


def start(repo: Repo, argv: list[str], merge: bool = False, **extra_env: str) -> subprocess.Popen[str]:
    """Start ``argv`` in the repository; ``merge`` sends stderr into stdout."""
    env = env_without_urls()
    env.update(extra_env)
    stderr = subprocess.STDOUT if merge else subprocess.PIPE
    return subprocess.Popen(argv, cwd=repo.root, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)


def finish(p: subprocess.Popen[str], timeout: float = 90) -> tuple[int, str]:
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out + err


ALEMBIC = [sys.executable, "-m", "alembic"]


def log_rows(backend: str, url: str, db: ServerDb | None) -> list[str]:
    if backend == "sqlite":
        import sqlite3

        with sqlite3.connect(url.split("///", 1)[1]) as conn:
            return sorted(r[0] for r in conn.execute("SELECT rev FROM svc_log"))
    if backend == "postgresql":
        with pg_admin(db.name) as conn:
            return sorted(r[0] for r in conn.execute("SELECT rev FROM svc_log").fetchall())
    conn = my_admin(db.name)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT rev FROM svc_log")
            return sorted(r[0] for r in cur.fetchall())
    finally:
        conn.close()


def version_rows(backend: str, url: str, db: ServerDb | None) -> list[str] | None:
    """The version table's rows, or None when there is no version table."""
    try:
        if backend == "sqlite":
            import sqlite3

            with sqlite3.connect(url.split("///", 1)[1]) as conn:
                return sorted(r[0] for r in conn.execute("SELECT version_num FROM alembic_version"))
        if backend == "postgresql":
            with pg_admin(db.name) as conn:
                if not conn.execute("SELECT 1 FROM pg_tables WHERE tablename = 'alembic_version'").fetchall():
                    return None
                return sorted(r[0] for r in conn.execute("SELECT version_num FROM alembic_version").fetchall())
    except Exception as e:
        if "no such table" in str(e):
            return None
        raise
    raise AssertionError(backend)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_bridged_runs_racing_upgrade_all_apply_each_revision_once(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    db = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/race.db"
    else:
        db = request.getfixturevalue("pg_database" if backend == "postgresql" else "mysql_database")
        url = db.url
    repo, revs = bridged_repo(tmp_path / "repo", url)
    # Another deploy holds the lock while the three runs start, so that all three meet it
    # however slowly the machine starts them; once each has said it waits, it is released
    # and the three race for it.
    holder = lock_holder.spawn(lock_holder.HOLDER, url, "monomig:alembic_version", "other-deploy")
    try:
        lock_holder.expect_line(holder, "held")
        runs = [
            Collected(start(repo, [MONOMIG, "upgrade", "--all", "--lock-timeout", "60"], merge=True)),
            Collected(start(repo, [*ALEMBIC, "-n", "svc", "upgrade", "head"], merge=True)),
            Collected(start(repo, [MONOMIG, "-n", "svc", "upgrade", "head"], merge=True)),
        ]
        deadline = time.monotonic() + 60
        while not all("waiting for the migration lock" in r.text() for r in runs):
            assert time.monotonic() < deadline and all(r.proc.poll() is None for r in runs), [r.text() for r in runs]
            time.sleep(0.05)
    finally:
        lock_holder.kill(holder)
    results = [r.finish() for r in runs]
    for rc, out in results:
        assert rc == 0, out
        assert "Traceback" not in out and "IntegrityError" not in out and "Duplicate" not in out, out
    # each revision ran exactly once (a second run would have failed on the primary key)
    assert log_rows(backend, url, db) == revs
    # each run said, once, for whom and how long it waits
    for _, out in results:
        assert re.search(r"it is held by .*(pid|server connection \d+)", out), out
        assert "waiting up to 60 s" in out, out


class Collected:
    """A child whose merged output a thread reads as it comes (to see a line before it exits)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        import threading

        self.proc = proc
        self._lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.append(line)

    def text(self) -> str:
        return "".join(self._lines)

    def finish(self, timeout: float = 90) -> tuple[int, str]:
        self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return self.proc.returncode, self.text()


def test_lock_timeout_fails_cleanly_and_applies_nothing(tmp_path: Path, pg_database: ServerDb) -> None:
    repo, _ = bridged_repo(tmp_path / "repo", pg_database.url, revisions=1, sleep=0)
    holder = lock_holder.spawn(lock_holder.HOLDER, pg_database.url, "monomig:alembic_version", "other-deploy")
    try:
        lock_holder.expect_line(holder, "held")
        for argv in ([*ALEMBIC, "-n", "svc", "upgrade", "head"], [MONOMIG, "-n", "svc", "upgrade", "head"]):
            t0 = time.monotonic()
            rc, out = finish(start(repo, argv, MONOMIG_LOCK_TIMEOUT="1"))
            assert rc == 255, out
            assert time.monotonic() - t0 < 30
            assert "Traceback" not in out, out
            # one message when the wait starts: who holds the lock and how long monomig waits
            waits = re.findall(
                r"^monomig: service 'svc': waiting for the migration lock 'monomig:alembic_version' "
                r"on postgresql\+psycopg://postgres@127\.0\.0\.1:5432/\S+: it is held by (.*); "
                r"waiting up to 1 s \(MONOMIG_LOCK_TIMEOUT\)$",
                out,
                re.M,
            )
            assert len(waits) == 1, out
            assert f"pid={holder.pid}" in waits[0] and "other-deploy" in waits[0], waits
            failed = [line for line in out.splitlines() if line.startswith("FAILED:")]
            assert len(failed) == 1, out
            assert failed[0].startswith("FAILED: service 'svc': Timed out after 1 s waiting for the migration lock")
            assert failed[0].endswith("Nothing was applied."), failed
        assert version_rows("postgresql", pg_database.url, pg_database) is None

        # the fleet: a failed item with code lock_timeout
        r = monomig(repo.root, "upgrade", "--all", "--lock-timeout", "1", "--json")
        assert r.returncode == 1, r.stdout + r.stderr
        item = json.loads(r.stdout)[0]
        assert item["result"] == "failed" and item["code"] == "lock_timeout", item
        assert re.search(
            r"^\[svc\] waiting for the migration lock: it is held by .*other-deploy.*; "
            r"waiting up to 1 s \(--lock-timeout\)$",
            r.stderr,
            re.M,
        ), r.stderr
        assert "Timed out after 0 s" not in r.stderr and "Traceback" not in r.stderr
        assert version_rows("postgresql", pg_database.url, pg_database) is None
    finally:
        lock_holder.kill(holder)


def test_read_only_commands_and_sql_never_wait(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ro.db"
    repo, revs = bridged_repo(tmp_path / "repo", url, revisions=2, sleep=0)
    first = finish(start(repo, [*ALEMBIC, "-n", "svc", "upgrade", revs[0]]))
    assert first[0] == 0, first[1]
    holder = lock_holder.spawn(lock_holder.HOLDER, url, "monomig:alembic_version", "other-deploy")
    try:
        lock_holder.expect_line(holder, "held")
        for argv in (
            [*ALEMBIC, "-n", "svc", "current"],
            [*ALEMBIC, "-n", "svc", "heads"],
            [*ALEMBIC, "-n", "svc", "history"],
            [*ALEMBIC, "-n", "svc", "upgrade", "head", "--sql"],
            [MONOMIG, "-n", "svc", "current"],
            [MONOMIG, "-n", "svc", "upgrade", f"{revs[0]}:head", "--sql"],
        ):
            t0 = time.monotonic()
            rc, out = finish(start(repo, argv, MONOMIG_LOCK_TIMEOUT="20"))
            assert rc == 0, (argv, out)
            assert time.monotonic() - t0 < 15, argv
            assert "waiting" not in out, out
        # while a migrating run waits for it
        rc, out = finish(start(repo, [*ALEMBIC, "-n", "svc", "upgrade", "head"], MONOMIG_LOCK_TIMEOUT="0.5"))
        assert rc == 255 and "Nothing was applied." in out, out
        assert version_rows("sqlite", url, None) == [revs[0]]
    finally:
        lock_holder.kill(holder)
    # the holder is gone: the same command runs
    rc, out = finish(start(repo, [*ALEMBIC, "-n", "svc", "upgrade", "head"], MONOMIG_LOCK_TIMEOUT="5"))
    assert rc == 0, out
    assert version_rows("sqlite", url, None) == [revs[1]]


def test_bad_lock_timeout_is_a_message(tmp_path: Path) -> None:
    repo, _ = bridged_repo(tmp_path / "repo", f"sqlite:///{tmp_path}/t.db", revisions=1, sleep=0)
    rc, out = finish(start(repo, [*ALEMBIC, "-n", "svc", "upgrade", "head"], MONOMIG_LOCK_TIMEOUT="soon"))
    assert rc == 255, out
    assert "FAILED: MONOMIG_LOCK_TIMEOUT='soon' is not a number of seconds" in out
    assert "Traceback" not in out


def test_lock_released_after_a_failed_migration(tmp_path: Path, pg_database: ServerDb) -> None:
    repo, _revs = bridged_repo(tmp_path / "repo", pg_database.url, revisions=2, sleep=0)
    repo.revision("svc", "svc0002", "svc0001", upgrade="raise RuntimeError('boom in svc0002')")
    rc, out = finish(start(repo, [*ALEMBIC, "-n", "svc", "upgrade", "head"], MONOMIG_LOCK_TIMEOUT="5"))
    assert rc != 0 and "boom in svc0002" in out
    # PostgreSQL rolled the whole run back, and the lock is free again
    assert version_rows("postgresql", pg_database.url, pg_database) is None
    from monomig._native import MigrationLock

    with MigrationLock(pg_database.url, "monomig:alembic_version", timeout=0):
        pass
    repo.revision("svc", "svc0002", "svc0001")
    rc, out = finish(start(repo, [MONOMIG, "-n", "svc", "upgrade", "head"], MONOMIG_LOCK_TIMEOUT="5"))
    assert rc == 0, out
    assert version_rows("postgresql", pg_database.url, pg_database) == ["svc0002"]
