"""``monomig test``: a healthy service passes every check and each planted fault fails
exactly its check, naming the revision, on SQLite, PostgreSQL and MariaDB; the
throwaway databases are gone afterwards, also after SIGTERM, and a killed run's are
swept by the next one.

One ``monomig test`` process per backend tests all seven services of the repository
(tests/support/migtest_repo.py) in parallel.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from support.databases import (  # noqa: F401 (fixtures)
    MY_HOST,
    MY_PORT,
    MY_USER,
    PG_HOST,
    PG_PORT,
    PG_USER,
    ServerDb,
    my_admin,
    mysql_database,
    pg_admin,
    pg_database,
    require_server,
)
from support.fleet_repo import MONOMIG, env_without_urls
from support.migtest_repo import write_repo

PG_SERVER = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"
MY_SERVER = f"mysql+pymysql://{MY_USER}@{MY_HOST}:{MY_PORT}"

#: The check each fault must fail (and only it, besides the downgrade checks that
#: see the same broken downgrade), and the revision it must name.
EXPECTED = {
    "two_heads": ({"single_head"}, "th3b"),
    "bad_step": ({"upgrade"}, "bs2"),
    "model_drift": ({"models_match"}, None),
    "forgot_index": ({"stairway"}, "fi2"),
    "wrong_column": ({"stairway"}, "wc2"),
    "down_raises": ({"stairway", "roundtrip"}, "dr2"),
}


def monomig_test(root: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MONOMIG, "test", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=env_without_urls(),
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def throwaway_names(backend: str) -> list[str]:
    if backend == "postgresql":
        with pg_admin() as c:
            return [r[0] for r in c.execute("SELECT datname FROM pg_database WHERE datname LIKE 'monomig\\_test\\_%'")]
    if backend == "mysql":
        c = my_admin()
        try:
            with c.cursor() as cur:
                cur.execute(
                    "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'monomig\\_test\\_%'"
                )
                return [r[0] for r in cur.fetchall()]
        finally:
            c.close()
    from monomig.migtest.throwaway import scratch_dir

    return [p for p in os.listdir(scratch_dir()) if p.startswith("monomig-test-")]


def owned_by(names: list[str], pid: int) -> list[str]:
    return [n for n in names if f"_{pid}_" in n or n.startswith(f"monomig-test-{pid}-")]


BACKENDS = {
    "sqlite": ["--backend", "sqlite"],
    "postgresql": ["--url", PG_SERVER],
    "mysql": ["--url", MY_SERVER],
}


@pytest.mark.slow
@pytest.mark.parametrize("backend", list(BACKENDS))
def test_healthy_passes_and_each_fault_fails_its_check(tmp_path: Path, backend: str) -> None:
    if backend != "sqlite":
        require_server("postgres" if backend == "postgresql" else "mysql")
    write_repo(tmp_path)
    junit = tmp_path / "out.xml"
    proc = subprocess.Popen(
        [MONOMIG, "test", *BACKENDS[backend], "--json", "--junit", str(junit), "-j", "2"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_without_urls(),
        stdin=subprocess.DEVNULL,
    )
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 1, err + out
    report = json.loads(out)
    by = {s["service"]: s for s in report["services"]}
    assert by["healthy"]["error"] is None
    healthy = {c["check"]: c["status"] for c in by["healthy"]["checks"]}
    assert healthy == dict.fromkeys(("single_head", "upgrade", "models_match", "roundtrip", "stairway"), "passed"), by[
        "healthy"
    ]
    for service, (failing, revision) in EXPECTED.items():
        checks = {c["check"]: c for c in by[service]["checks"]}
        failed = {name for name, c in checks.items() if c["status"] == "failed"}
        assert failed == failing, (service, checks)
        assert not [c for c in checks.values() if c["status"] == "error"], (service, checks)
        if revision:
            named = [c for c in checks.values() if c["status"] == "failed"]
            assert all(revision in (c.get("revision") or "") + c["message"] for c in named), (service, named)
    stair = {c["check"]: c for c in by["forgot_index"]["checks"]}["stairway"]
    assert any("ix_users_name" in d and "after downgrade" in d for d in stair["details"]), stair
    wrong = {c["check"]: c for c in by["wrong_column"]["checks"]}["stairway"]
    assert any("column name" in d and "missing after downgrade" in d for d in wrong["details"]), wrong
    drift = {c["check"]: c for c in by["model_drift"]["checks"]}["models_match"]
    assert any("nickname" in d for d in drift["details"]), drift
    assert {c["check"]: c["status"] for c in by["bad_step"]["checks"]}["stairway"] == "not_run"
    assert "<testcase" in junit.read_text() and 'name="stairway"' in junit.read_text()
    assert owned_by(throwaway_names(backend), proc.pid) == []


@pytest.mark.slow
def test_human_output_and_only(tmp_path: Path) -> None:
    write_repo(tmp_path, faults=("forgot_index", "empty_down"))
    r = monomig_test(tmp_path, "--backend", "sqlite", "-n", "forgot_index", "-n", "empty_down", "--only", "stairway")
    assert r.returncode == 1, r.stderr + r.stdout
    assert "forgot_index stairway      FAIL" in r.stdout
    assert "revision fi2 (add users.email): the schema after its downgrade differs" in r.stdout
    assert "index ix_users_name" in r.stdout
    assert "command: alembic -n forgot_index upgrade fi2; alembic -n forgot_index downgrade fi2@fi1" in r.stdout
    assert "revision ed2 (add users.email)'s downgrade changes nothing: it has no real downgrade" in r.stdout
    assert "0 passed, 2 failed" in r.stdout
    assert "monomig test: 2 services on sqlite" in r.stderr
    ok = monomig_test(tmp_path, "--backend", "sqlite", "-n", "healthy")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "5 passed, 0 failed" in ok.stdout


@pytest.mark.slow
def test_section_options_skip_and_minimum_downgrade(tmp_path: Path) -> None:
    write_repo(
        tmp_path,
        faults=("forgot_index", "down_raises"),
        extra_ini={
            "forgot_index": {"monomig.test.skip": "fi2"},
            "down_raises": {"monomig.test.minimum_downgrade": "dr2"},
        },
    )
    r = monomig_test(
        tmp_path,
        "--backend",
        "sqlite",
        "-n",
        "forgot_index",
        "-n",
        "down_raises",
        "--only",
        "stairway",
        "--only",
        "roundtrip",
        "--json",
    )
    by = {s["service"]: {c["check"]: c["status"] for c in s["checks"]} for s in json.loads(r.stdout)["services"]}
    assert by == {
        "forgot_index": {"roundtrip": "passed", "stairway": "passed"},
        "down_raises": {"roundtrip": "passed", "stairway": "passed"},
    }, r.stdout


@pytest.mark.slow
def test_env_py_that_ignores_the_throwaway_database_is_refused(tmp_path: Path) -> None:
    write_repo(tmp_path, faults=())
    other = tmp_path / "real.db"
    (tmp_path / "migrations" / "env.py").write_text(f"import monomig\nmonomig.run_env(url={f'sqlite:///{other}'!r})\n")
    r = monomig_test(tmp_path, "--backend", "sqlite", "--only", "upgrade")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "healthy" in r.stdout and "ERROR" in r.stdout
    assert not other.exists() or other.stat().st_size == 0


def _wait_for(pred, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_interrupted_run_leaves_no_database(tmp_path: Path, how: str) -> None:
    require_server("postgres")
    write_repo(tmp_path, faults=())
    versions = tmp_path / "migrations" / "versions" / "healthy"
    first = next(versions.glob("hh1_*.py"))
    first.write_text(first.read_text().replace("def upgrade():\n", "def upgrade():\n    import time; time.sleep(60)\n"))
    proc = subprocess.Popen(
        [MONOMIG, "test", "--url", PG_SERVER, "--only", "upgrade"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_without_urls(),
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_for(lambda: owned_by(throwaway_names("postgresql"), proc.pid) != [])
    time.sleep(1.5)  # the worker is inside the revision by now
    if how == "sigterm":
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
        assert proc.returncode == 130
        assert owned_by(throwaway_names("postgresql"), proc.pid) == []
        return
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its worker, as a crash of the machine's job would
    proc.communicate(timeout=30)
    left = owned_by(throwaway_names("postgresql"), proc.pid)
    assert left, "SIGKILL leaves the database behind"
    first.write_text(first.read_text().replace("import time; time.sleep(60)\n", ""))
    r = monomig_test(tmp_path, "--url", PG_SERVER, "--only", "single_head")
    assert r.returncode == 0, r.stdout + r.stderr
    assert owned_by(throwaway_names("postgresql"), proc.pid) == []


def test_schema_snapshot_binding(tmp_path: Path) -> None:
    import sqlite3

    from monomig import _native

    db = tmp_path / "s.db"
    con = sqlite3.connect(db)
    con.executescript(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL DEFAULT 'x'); CREATE INDEX ix_v ON t (v);"
    )
    con.close()
    a = _native.schema_snapshot(f"sqlite:///{db}")
    assert a.tables == ["t"]
    con = sqlite3.connect(db)
    con.executescript("DROP INDEX ix_v;")
    con.close()
    b = _native.schema_snapshot(f"sqlite:///{db}")
    assert a != b and a == a
    assert a.diff(b) == ["table t: index ix_v (CREATE INDEX ix_v ON t (v)): present before, missing after"]
    assert a.to_dict()["tables"]["t"]["columns"][1] == {
        "name": "v",
        "type": "TEXT",
        "nullable": False,
        "default": "'x'",
    }
    with pytest.raises(_native.DatabaseError):
        _native.schema_snapshot(f"sqlite:///{tmp_path / 'absent.db'}")


DATA_HOOKS = """import sqlalchemy as sa

before_revision_data = {"hh2": {"users": [{"id": 1, "name": "ann"}, {"id": 2, "name": "bob"}]}}


def after_email(conn):
    rows = conn.execute(sa.text("SELECT name, email FROM users ORDER BY id")).fetchall()
    assert [tuple(r) for r in rows] == [("ann", None), ("bob", None)], rows
    {extra}


at_revision_data = {"hh2": after_email, "hh3": {"orders": {"id": 1, "user_id": 1}}}
"""


@pytest.mark.slow
def test_data_hooks_insert_before_and_check_after(tmp_path: Path) -> None:
    write_repo(tmp_path, faults=(), extra_ini={"healthy": {"monomig.test.data": "services.healthy.migdata"}})
    hooks = tmp_path / "services" / "healthy" / "migdata.py"
    hooks.write_text(DATA_HOOKS.replace("{extra}", "pass"))
    ok = monomig_test(tmp_path, "--backend", "sqlite", "--only", "upgrade", "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    hooks.write_text(DATA_HOOKS.replace("{extra}", 'assert False, "the rows lost their names"'))
    bad = monomig_test(tmp_path, "--backend", "sqlite", "--only", "upgrade", "--json")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    check = json.loads(bad.stdout)["services"][0]["checks"][0]
    assert check["status"] == "failed" and check["revision"] == "hh2", check
    assert "the data hook at revision hh2 failed: AssertionError: the rows lost their names" in check["message"]


@pytest.mark.slow
def test_pytest_plugin_a_test_per_service_and_check(tmp_path: Path) -> None:
    write_repo(tmp_path, faults=("forgot_index",))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = env_without_urls()
    cmd = [
        os.path.join(os.path.dirname(MONOMIG), "python"),
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "-p",
        "no:xdist",
        "--monomig",
        "--monomig-backend",
        "sqlite",
        "-k",
        "forgot_index or (healthy and stairway)",
    ]
    r = subprocess.run(
        cmd, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=180, stdin=subprocess.DEVNULL
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 failed, 5 passed" in r.stdout, r.stdout
    assert "FAILED alembic.ini::forgot_index::stairway" in r.stdout, r.stdout
    off = subprocess.run(
        cmd[:-6] + ["--collect-only"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60
    )
    assert "alembic.ini::" not in off.stdout  # off unless asked for


def test_schema_snapshot_reads_server_catalogs(pg_database: ServerDb, mysql_database: ServerDb) -> None:
    """Every kind of object the stairway compares, on PostgreSQL and MariaDB, and a change of each named."""
    import sqlalchemy as sa

    from monomig import _native

    ddl = {
        "pg": [
            "CREATE TYPE mood AS ENUM ('ok', 'sad')",
            "CREATE TABLE a (id INTEGER PRIMARY KEY, code VARCHAR(10) NOT NULL DEFAULT 'x' UNIQUE, m mood, "
            "CONSTRAINT positive CHECK (id > 0))",
            "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id) ON DELETE CASCADE)",
            "CREATE INDEX ix_b_a ON b (a_id)",
        ],
        "my": [
            "CREATE TABLE a (id INTEGER PRIMARY KEY, code VARCHAR(10) NOT NULL DEFAULT 'x' UNIQUE, "
            "m ENUM('ok', 'sad'), CONSTRAINT positive CHECK (id > 0))",
            "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER, CONSTRAINT fk_b_a FOREIGN KEY (a_id) "
            "REFERENCES a (id) ON DELETE CASCADE)",
            "CREATE INDEX ix_b_a ON b (a_id)",
        ],
    }
    change = {
        "pg": ["ALTER TYPE mood ADD VALUE 'glad'", "DROP INDEX ix_b_a", "ALTER TABLE a ALTER COLUMN code DROP DEFAULT"],
        "my": [
            "ALTER TABLE a MODIFY m ENUM('ok', 'sad', 'glad')",
            "ALTER TABLE b DROP FOREIGN KEY fk_b_a",
            "ALTER TABLE a ALTER COLUMN code DROP DEFAULT",
        ],
    }
    expected = {
        "pg": [
            "table a: column code: default 'x'::character varying before, no default after",
            "table b: index ix_b_a (CREATE INDEX ix_b_a ON public.b USING btree (a_id)): present before, missing after",
            "enum type mood: 'ok', 'sad' before, 'ok', 'sad', 'glad' after",
        ],
        "my": [
            "table a: column m: type enum('ok','sad') before, enum('ok','sad','glad') after",
            "table a: column code: default 'x' before, no default after",
            "table b: constraint fk_b_a (FOREIGN KEY (a_id) REFERENCES a (id) ON UPDATE RESTRICT ON DELETE CASCADE): "
            "present before, missing after",
        ],
    }
    for key, db in (("pg", pg_database), ("my", mysql_database)):
        engine = sa.create_engine(db.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as c:
            for stmt in ddl[key]:
                c.execute(sa.text(stmt))
            before = _native.schema_snapshot(db.url)
            assert before.tables == ["a", "b"]
            assert any("CHECK" in v for v in before.to_dict()["tables"]["a"]["constraints"].values()), before.to_dict()
            for stmt in change[key]:
                c.execute(sa.text(stmt))
            after = _native.schema_snapshot(db.url)
        engine.dispose()
        assert sorted(before.diff(after)) == sorted(expected[key]), (key, before.diff(after))
