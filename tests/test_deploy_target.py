"""`monomig upgrade --all` migrates the database and version table it resolved and locked,
or nothing: the bridge compares what env.py really migrates (Alembic's own migration
context) with the worker's target, and the summary's before/after come from that table."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support.databases import ServerDb, pg_admin, pg_database, unique_name  # noqa: F401
from support.fleet_repo import Repo, alembic, env_without_urls, monomig

import monomig as monomig_pkg

# env.py's own URL: the section's sqlalchemy.url unless env.py asks monomig (url_for).
ENV_PY = """\
import monomig
from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
USE_MONOMIG = {use_monomig!r}
VERSION_TABLE = {version_table!r}
url = monomig.url_for() if USE_MONOMIG else config.get_main_option("sqlalchemy.url")
opts = {{}}
if VERSION_TABLE:
    opts["version_table"] = VERSION_TABLE.format(service=config.config_ini_section)
engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, **opts)
    with context.begin_transaction():
        context.run_migrations()
"""


def write_env(repo: Repo, use_monomig: bool = False, version_table: str | None = None) -> None:
    text = ENV_PY.format(use_monomig=use_monomig, version_table=version_table)
    (repo.root / "migrations" / "env.py").write_text(text)


def pg_tables(db: str) -> set[str]:
    with pg_admin(db) as conn:
        return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()}


@pytest.fixture
def staging(pg_database: ServerDb):
    """A second database on the same PostgreSQL server."""
    name = unique_name()
    with pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def with_password(url: str) -> str:
    # trust authentication ignores it; it must never be shown
    return url.replace("postgres@", "postgres:s3cr3tpw@")


def test_env_var_url_against_env_py_url(tmp_path: Path, pg_database: ServerDb, staging: str) -> None:
    repo = Repo(tmp_path / "repo")
    repo.add_service("orders", with_password(pg_database.url))
    repo.chain("orders", 2)
    write_env(repo)
    env = env_without_urls()
    env["MONOMIG_URL_ORDERS"] = with_password(pg_database.url_for(staging))

    r = monomig(repo.root, "upgrade", "--all", "-n", "orders", "--json", env=env)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    item = json.loads(r.stdout)[0]
    assert item["result"] == "failed" and item["code"] == "target_mismatch", item
    message = item["error"]
    # both targets named (masked), and the ways to make them agree
    assert f"/{pg_database.name} (version table alembic_version)" in message
    assert f"/{staging} (version table alembic_version)" in message
    assert "MONOMIG_URL_ORDERS" in message and "monomig.url_for('orders')" in message
    assert "version_table" in message and "nothing was run" in message
    assert message.startswith(
        "service 'orders': upgrade failed: env.py migrates another database than monomig "
        "resolved and locked for service 'orders'"
    ), message
    assert "s3cr3tpw" not in out and "Traceback" not in out
    # neither database was touched
    assert "alembic_version" not in pg_tables(pg_database.name)
    assert "alembic_version" not in pg_tables(staging)

    # env.py asks monomig for the URL: the run migrates the database monomig resolved
    write_env(repo, use_monomig=True)
    ok = monomig(repo.root, "upgrade", "--all", "-n", "orders", "--json", env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    item = json.loads(ok.stdout)[0]
    assert item["result"] == "done" and item["code"] is None
    assert item["before"] == [] and item["after"] == ["orde0001"]
    assert "alembic_version" in pg_tables(staging)
    assert "alembic_version" not in pg_tables(pg_database.name)
    assert "s3cr3tpw" not in ok.stdout + ok.stderr


def test_version_table_set_in_env_py_only(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    db = tmp_path / "orders.db"
    repo.add_service("orders", f"sqlite:///{db}")
    repo.chain("orders", 3)
    write_env(repo, version_table="{service}_alembic_version")
    # a first revision applied by plain Alembic, into env.py's table
    first = alembic(repo.root, "-n", "orders", "upgrade", "orde0000")
    assert first.returncode == 0, first.stderr

    r = monomig(repo.root, "upgrade", "--all", "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    item = json.loads(r.stdout)[0]
    assert item["code"] == "target_mismatch", item
    assert "version table orders_alembic_version" in item["error"]
    assert "version table alembic_version" in item["error"]
    assert "Traceback" not in r.stdout + r.stderr
    assert item["applied"] == 0

    # the section names env.py's table: monomig reads, locks and reports that one
    repo.services["orders"]["version_table"] = "orders_alembic_version"
    repo.write_ini()
    ok = monomig(repo.root, "upgrade", "--all", "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    item = json.loads(ok.stdout)[0]
    assert item["result"] == "done"
    assert item["before"] == ["orde0000"] and item["after"] == ["orde0002"], item
    assert item["applied"] == 2
    st = json.loads(monomig(repo.root, "status", "--json").stdout)[0]
    assert st["state"] == "up_to_date" and st["version_table"] == "orders_alembic_version"


def test_run_env_and_url_for_agree_with_the_fleet(tmp_path: Path) -> None:
    """`monomig.run_env()` connects where `url_for` and the fleet resolve: the worker's
    nested run is on the locked target and does not wait for its own lock."""
    repo = Repo(tmp_path / "repo")
    (repo.root / "migrations" / "env.py").write_text("import monomig\nmonomig.run_env(configure_logging=False)\n")
    repo.add_service("one", f"sqlite:///{tmp_path}/section.db")
    repo.chain("one", 2)
    env = env_without_urls()
    env["MONOMIG_URL_ONE"] = f"sqlite:///{tmp_path}/override.db"
    env["MONOMIG_LOCK_TIMEOUT"] = "60"
    r = monomig(repo.root, "upgrade", "--all", "--json", "--lock-timeout", "2", env=env, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    item = json.loads(r.stdout)[0]
    assert item["before"] == [] and item["after"] == ["one0001"]
    assert "waiting" not in r.stderr
    assert (tmp_path / "override.db").exists() and not (tmp_path / "section.db").exists()
    # url_for outside env.py: an Alembic Config and a service
    from alembic.config import Config

    cfg = Config(str(repo.root / "alembic.ini"), ini_section="one")
    old = os.environ.get("MONOMIG_URL_ONE")
    os.environ["MONOMIG_URL_ONE"] = env["MONOMIG_URL_ONE"]
    try:
        assert monomig_pkg.url_for(config=cfg) == env["MONOMIG_URL_ONE"]
        assert monomig_pkg.url_for("one", config=cfg) == env["MONOMIG_URL_ONE"]
    finally:
        if old is None:
            del os.environ["MONOMIG_URL_ONE"]
        else:
            os.environ["MONOMIG_URL_ONE"] = old
    cwd = os.getcwd()
    os.chdir(repo.root)
    try:
        assert monomig_pkg.url_for("one", config=cfg) == f"sqlite:///{tmp_path}/section.db"
        with pytest.raises(monomig_pkg.ConfigError, match="no database URL for service 'nope'.*MONOMIG_URL_NOPE"):
            monomig_pkg.url_for("nope", config=cfg)
    finally:
        os.chdir(cwd)
