"""`monomig upgrade --all --sql`: one script per service on stdout, each after a comment
header naming the service and its dialect (or one file per service with --sql-dir);
progress and the summary on stderr. The scripts are run on the real databases."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from support.databases import ServerDb, mysql_database, pg_admin, pg_database  # noqa: F401
from support.fleet_repo import Repo, monomig

HEADER = re.compile(r"^-- monomig: service (\S+) \((\w+)\)$", re.M)


@pytest.fixture
def repo(tmp_path: Path, pg_database: ServerDb, mysql_database: ServerDb) -> Repo:
    repo = Repo(tmp_path / "repo")
    for name, url in (
        ("orders", pg_database.url),
        ("users", mysql_database.url),
        ("lite", f"sqlite:///{tmp_path}/lite.db"),
    ):
        repo.add_service(name, url)
        revs = [f"{name[:4]}{i:04d}" for i in range(2)]
        repo.revision(name, revs[0], None, upgrade=f"op.create_table('{name}_t', sa.Column('x', sa.Integer))")
        repo.revision(name, revs[1], revs[0], upgrade=f"op.add_column('{name}_t', sa.Column('y', sa.Integer))")
    repo.pg = pg_database  # type: ignore[attr-defined]
    return repo


def scripts(text: str) -> dict[str, tuple[str, str]]:
    """stdout split at the headers: service -> (dialect, its SQL)."""
    found = list(HEADER.finditer(text))
    assert found and text.startswith(found[0].group(0)), text[:200]
    out = {}
    for m, nxt in zip(found, [*found[1:], None], strict=True):
        out[m.group(1)] = (m.group(2), text[m.end() : nxt.start() if nxt else len(text)])
    return out


def test_sql_all_on_stdout_one_script_per_service(repo: Repo, tmp_path: Path) -> None:
    r = monomig(repo.root, "upgrade", "--all", "--sql")
    assert r.returncode == 0, r.stdout + r.stderr
    parts = scripts(r.stdout)
    assert {k: v[0] for k, v in parts.items()} == {"orders": "postgresql", "users": "mysql", "lite": "sqlite"}
    for name, (_, sql) in parts.items():
        assert f"CREATE TABLE {name}_t" in sql, sql
        assert re.search(rf"ALTER TABLE {name}_t ADD (COLUMN )?y INTEGER", sql), sql
        others = {"orders", "users", "lite"} - {name}
        assert not any(f"{o}_t" in sql for o in others)
    # progress and the summary went to stderr
    assert "SERVICE" not in r.stdout and "started" not in r.stdout
    assert re.search(r"^SERVICE\s+RESULT", r.stderr, re.M) and "[lite] upgrade to head: started" in r.stderr
    # each script runs as it is
    db = sqlite3.connect(tmp_path / "from_script.db")
    db.executescript(parts["lite"][1])
    assert [c[1] for c in db.execute("PRAGMA table_info(lite_t)")] == ["x", "y"]
    assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("lite0001",)]
    with pg_admin(repo.pg.name) as conn:  # type: ignore[attr-defined]
        conn.execute(parts["orders"][1])
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("orde0001",)]
    # --json keeps stdout a script: the JSON summary goes to stderr
    j = monomig(repo.root, "upgrade", "--all", "--sql", "--json", "-n", "lite")
    assert j.returncode == 0
    assert set(scripts(j.stdout)) == {"lite"}
    assert json.loads(j.stderr[j.stderr.index("[\n") :])[0]["result"] == "done"


def test_sql_dir_writes_one_file_per_service(repo: Repo, tmp_path: Path) -> None:
    out = tmp_path / "sql"
    r = monomig(repo.root, "upgrade", "--all", "--sql-dir", str(out), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["lite.sql", "orders.sql", "users.sql"]
    for name in ("orders", "users", "lite"):
        parts = scripts((out / f"{name}.sql").read_text())
        assert set(parts) == {name} and f"CREATE TABLE {name}_t" in parts[name][1]
    # stdout holds the summary alone
    assert {s["service"] for s in json.loads(r.stdout)} == {"orders", "users", "lite"}
    assert "CREATE TABLE" not in r.stdout + r.stderr
    # --plan and --sql do not go together
    bad = monomig(repo.root, "upgrade", "--all", "--sql", "--plan")
    assert bad.returncode == 2 and "--plan" in bad.stderr
