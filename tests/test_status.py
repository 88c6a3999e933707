"""`monomig status`: every service at once, across SQLite, PostgreSQL and MariaDB, in
every state, checked against what stock Alembic says (`alembic -n svc current`)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from support.databases import ServerDb, my_admin, mysql_database, pg_admin, pg_database  # noqa: F401
from support.fleet_repo import Repo, alembic, monomig

JSON_KEYS = {"service", "database", "version_table", "current", "heads", "pending", "state"}


def _alembic_current(repo: Repo, svc: str) -> set[str]:
    r = alembic(repo.root, "-n", svc, "current")
    assert r.returncode == 0, r.stderr
    return {line.split()[0] for line in r.stdout.splitlines() if line.strip()}


@pytest.fixture
def fleet(tmp_path: Path, pg_database: ServerDb, mysql_database: ServerDb) -> Repo:
    """Services in every state on the three databases."""
    repo = Repo(tmp_path / "repo")
    db = tmp_path / "repo" / "var"
    db.mkdir()
    # up to date (SQLite), upgraded by stock Alembic
    repo.add_service("lite_ok", f"sqlite:///{db}/ok.db")
    ok = repo.chain("lite_ok", 3)
    # behind by 2 (PostgreSQL)
    repo.add_service("pg_behind", pg_database.url)
    behind = repo.chain("pg_behind", 4)
    # not initialised: PostgreSQL database without a version table
    repo.add_service("pg_new", pg_database.url, version_table="pg_new_version")
    repo.chain("pg_new", 2)
    # ahead: MariaDB holding a revision no file defines
    repo.add_service("my_ahead", mysql_database.url)
    repo.chain("my_ahead", 2)
    # behind by 1 on MariaDB, with its own version table
    repo.add_service("my_behind", mysql_database.url, version_table="my_behind_version")
    my = repo.chain("my_behind", 2)
    # not initialised: a SQLite file that does not exist yet
    repo.add_service("lite_new", f"sqlite:///{db}/new.db")
    repo.chain("lite_new", 5)
    # unreachable, with a password that must never show
    repo.add_service("pg_dead", "postgresql+psycopg://app:s3cr3tpw@127.0.0.1:1/nothing")
    repo.chain("pg_dead", 1)
    # two services writing one SQLite database and version table
    repo.add_service("shared_a", f"sqlite:///{db}/shared.db")
    repo.chain("shared_a", 1)
    repo.add_service("shared_b", f"sqlite:///{db}/shared.db")
    repo.chain("shared_b", 1)

    assert alembic(repo.root, "-n", "lite_ok", "upgrade", "head").returncode == 0
    assert alembic(repo.root, "-n", "pg_behind", "upgrade", behind[1]).returncode == 0
    assert alembic(repo.root, "-n", "my_behind", "upgrade", my[0]).returncode == 0
    assert alembic(repo.root, "-n", "my_ahead", "upgrade", "head").returncode == 0
    admin = my_admin(mysql_database.name)
    with admin.cursor() as cur:
        cur.execute("UPDATE alembic_version SET version_num = 'feedfacecafe'")
    admin.close()
    repo.ok_revs = ok  # type: ignore[attr-defined]
    return repo


def test_every_state_json(fleet: Repo) -> None:
    r = monomig(fleet.root, "status", "--json")
    assert r.returncode == 2, r.stderr  # one database is unreachable
    out = {s["service"]: s for s in json.loads(r.stdout)}
    assert list(out) == list(fleet.services)  # ini order
    for s in out.values():
        assert JSON_KEYS <= set(s)
    assert out["lite_ok"]["state"] == "up_to_date"
    assert out["lite_ok"]["pending"] == 0
    assert out["lite_ok"]["current"] == out["lite_ok"]["heads"] == ["lite0002"]
    assert out["pg_behind"]["state"] == "behind"
    assert out["pg_behind"]["pending"] == 2
    assert out["pg_behind"]["current"] == ["pg_b0001"]
    assert out["pg_behind"]["heads"] == ["pg_b0003"]
    assert out["pg_new"]["state"] == "not_initialized"
    assert out["pg_new"]["pending"] == 2
    assert out["pg_new"]["current"] == []
    assert out["pg_new"]["version_table"] == "pg_new_version"
    assert out["my_ahead"]["state"] == "ahead"
    assert out["my_ahead"]["pending"] is None
    assert out["my_ahead"]["current"] == ["feedfacecafe"]
    assert "feedfacecafe" in out["my_ahead"]["error"]
    assert out["my_behind"]["state"] == "behind"
    assert out["my_behind"]["pending"] == 1
    assert out["lite_new"]["state"] == "not_initialized"
    assert out["lite_new"]["pending"] == 5
    assert out["pg_dead"]["state"] == "unreachable"
    assert out["pg_dead"]["pending"] is None
    assert out["pg_dead"]["error"]
    assert out["shared_a"]["shared_with"] == ["shared_b"]
    assert out["shared_b"]["shared_with"] == ["shared_a"]
    assert out["lite_ok"]["shared_with"] == []
    assert "s3cr3tpw" not in r.stdout + r.stderr
    assert "***" in out["pg_dead"]["database"]


@pytest.mark.slow
def test_current_matches_alembic(fleet: Repo) -> None:
    out = {s["service"]: s for s in json.loads(monomig(fleet.root, "status", "--json").stdout)}
    for svc in ("lite_ok", "pg_behind", "pg_new", "my_behind", "lite_new"):
        assert set(out[svc]["current"]) == _alembic_current(fleet, svc), svc


def test_human_output(fleet: Repo) -> None:
    r = monomig(fleet.root, "status")
    assert r.returncode == 2
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["SERVICE", "STATE", "CURRENT", "HEADS", "PENDING", "DATABASE"]
    text = r.stdout
    assert re.search(r"^lite_ok\s+up to date\s+lite0002\s+lite0002\s+0\s", text, re.M)
    assert re.search(r"^pg_behind\s+behind by 2\s+pg_b0001\s+pg_b0003\s+2\s+postgresql", text, re.M)
    assert re.search(r"^pg_new\s+not initialized\s+-\s+pg_n0001\s+2\s", text, re.M)
    assert re.search(r"^my_ahead\s+ahead\s+feedfacecafe", text, re.M)
    assert re.search(r"^pg_dead\s+unreachable\s", text, re.M)
    assert re.search(r"^pg_dead: unreachable: .*127\.0\.0\.1", text, re.M)
    assert re.search(r"^shared_a: shares its database and version table 'alembic_version' with shared_b", text, re.M)
    assert "s3cr3tpw" not in text + r.stderr


def test_exit_codes_and_selection(fleet: Repo) -> None:
    ok = monomig(fleet.root, "status", "-n", "lite_ok", "--check")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    behind = monomig(fleet.root, "status", "-n", "lite_ok", "-n", "pg_behind")
    assert behind.returncode == 0
    assert [s["service"] for s in json.loads(monomig(fleet.root, "status", "-n", "pg_behind", "--json").stdout)] == [
        "pg_behind"
    ]
    assert monomig(fleet.root, "status", "-n", "lite_ok", "-n", "pg_behind", "--check").returncode == 1
    assert monomig(fleet.root, "status", "-n", "lite_new", "--check").returncode == 1
    assert monomig(fleet.root, "status", "-n", "my_ahead", "--check").returncode == 1
    dead = monomig(fleet.root, "status", "-n", "pg_dead")
    assert dead.returncode == 2
    unknown = monomig(fleet.root, "status", "-n", "nope")
    assert unknown.returncode == 2
    assert "nope" in unknown.stderr and "lite_ok" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_no_alembic_or_sqlalchemy_import(fleet: Repo) -> None:
    code = (
        "import sys, json; from monomig import fleet; import argparse;"
        "a = argparse.Namespace(config=None, services=['lite_ok', 'pg_behind'], json=True, check=False,"
        " connect_timeout=5.0);"
        "rc = fleet.run_status(a);"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('alembic', 'sqlalchemy')];"
        "print('IMPORTED', bad, file=sys.stderr); sys.exit(rc)"
    )
    import subprocess

    r = subprocess.run([sys.executable, "-c", code], cwd=fleet.root, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "IMPORTED []" in r.stderr


def test_unsupported_dialect_and_missing_url(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.add_service("ora", "oracle+cx_oracle://scott:tiger99@dbhost/orcl")
    repo.chain("ora", 1)
    repo.add_service("nourl", None)
    repo.chain("nourl", 1)
    repo.add_service("lite", f"sqlite:///{tmp_path}/x.db")
    repo.chain("lite", 1)
    r = monomig(repo.root, "status", "--json")
    assert r.returncode == 2
    out = {s["service"]: s for s in json.loads(r.stdout)}
    assert out["ora"]["state"] == "error"
    assert "ora" in out["ora"]["error"]
    assert "tiger99" not in r.stdout + r.stderr
    assert out["nourl"]["state"] == "error"
    assert "MONOMIG_URL_NOURL" in out["nourl"]["error"]
    assert out["lite"]["state"] == "not_initialized"


def test_env_var_url_wins(tmp_path: Path) -> None:
    import os

    from support.fleet_repo import env_without_urls

    repo = Repo(tmp_path / "r")
    repo.add_service("svc", f"sqlite:///{tmp_path}/section.db")
    repo.chain("svc", 2)
    env = env_without_urls()
    env["MONOMIG_URL_SVC"] = f"sqlite:///{tmp_path}/fromenv.db"
    out = json.loads(monomig(repo.root, "status", "--json", env=env).stdout)
    assert out[0]["database"].endswith("fromenv.db")
    assert not os.path.exists(tmp_path / "fromenv.db")  # status never creates a database


def test_multiple_heads_and_merge(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.add_service("svc", f"sqlite:///{tmp_path}/m.db")
    repo.revision("svc", "aaaa", None)
    repo.revision("svc", "bbbb", "aaaa")
    repo.revision("svc", "cccc", "aaaa")
    assert alembic(repo.root, "-n", "svc", "upgrade", "bbbb").returncode == 0
    out = json.loads(monomig(repo.root, "status", "--json").stdout)[0]
    assert out["state"] == "behind"
    assert out["pending"] == 1
    assert sorted(out["heads"]) == ["bbbb", "cccc"]
    assert alembic(repo.root, "-n", "svc", "upgrade", "heads").returncode == 0
    out = json.loads(monomig(repo.root, "status", "--json").stdout)[0]
    assert out["state"] == "up_to_date"
    assert sorted(out["current"]) == ["bbbb", "cccc"] == sorted(_alembic_current(repo, "svc"))


def test_unreadable_revision_is_imported_as_alembic_does_unless_no_import(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.add_service("svc", f"sqlite:///{tmp_path}/u.db")
    repo.revision("svc", "aaaa", None)
    marker = tmp_path / "imported"
    repo.revision(
        "svc",
        "bbbb",
        None,
        filename="bbbb_dyn.py",
        text=f"open({str(marker)!r}, 'w').close()\nrevision = 'bb' + 'bb'\ndown_revision = 'aaaa'\n",
    )
    # --no-import: nothing is imported; the service is in error, naming the file and why.
    r = monomig(repo.root, "status", "--json", "--no-import")
    out = json.loads(r.stdout)[0]
    assert r.returncode == 2
    assert out["state"] == "error"
    assert "bbbb_dyn.py" in out["error"] and "line 2: `revision` is not assigned a plain literal" in out["error"]
    assert not marker.exists()
    # By default the file is imported, as Alembic imports it, and status answers.
    r = monomig(repo.root, "status", "--json")
    out = json.loads(r.stdout)[0]
    assert (r.returncode, out["state"], out["heads"]) == (0, "not_initialized", ["bbbb"]), out
    assert marker.exists()


def test_demo_status_reads_db_url_without_imports(demo_copy: Path) -> None:
    """The demo's DB_URL = make_url("...") is read as text: neither SQLAlchemy nor Alembic is imported."""
    import subprocess

    code = (
        "import sys, argparse; from monomig import fleet;"
        "rc = fleet.run_status(argparse.Namespace(config=None, services=None, json=True, check=False,"
        " connect_timeout=5.0));"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('alembic', 'sqlalchemy')];"
        "print('IMPORTED', bad, file=sys.stderr); sys.exit(rc)"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=demo_copy, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "IMPORTED []" in r.stderr
    out = {s["service"]: s for s in json.loads(r.stdout)}
    assert out["service_one"]["database"] == "sqlite:///var/service_one.db"
    assert out["service_one"]["state"] == "not_initialized"
