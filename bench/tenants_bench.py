"""The tenant rows of bench/run.py: one service, many PostgreSQL schemas (one per tenant).

- ``tenants-status``: ``monomig status`` of 1,000 tenant schemas vs a Dispatch-style env.py
  that loops over the schemas in one ``alembic current`` (one connection, schema after schema);
- ``tenants-upgrade``: upgrading 200 tenant schemas by one revision with ``monomig upgrade --all
  --jobs 4`` vs the Dispatch-style sequential loop in one env.py (``alembic upgrade head``).

Both sides read the same alembic.ini: section ``acme`` (``monomig.targets = schemas:tenant_*``,
``monomig.run_env()``) for monomig, section ``acme_loop`` (the same revisions, the loop env.py)
for stock Alembic. The database (PostgreSQL on 127.0.0.1:5432, user postgres) is created for
the row and dropped after it; the resets between runs are not timed.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"

LOOP_ENV = """\
from alembic import context
from sqlalchemy import create_engine, pool, text

url = context.config.get_section_option(context.config.config_ini_section, "sqlalchemy.url")
engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    schemas = connection.execute(
        text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\\\_%' ORDER BY 1")
    ).scalars().all()
    connection.commit()
    for schema in schemas:  # Netflix Dispatch's loop: one schema after another
        connection.execute(text(f'set search_path to "{schema}"'))
        connection.commit()
        context.configure(connection=connection, version_table_schema=schema)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
"""

REVISION = '''\
"""revision {rev}"""
from alembic import op
import sqlalchemy as sa

revision = {rev!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("items_{rev}", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("items_{rev}")
'''


def _admin(dbname: str = "postgres") -> Any:
    import psycopg

    return psycopg.connect(
        host="127.0.0.1", port=5432, user="postgres", dbname=dbname, autocommit=True, connect_timeout=5
    )


def make_project(root: Path, url: str) -> None:
    (root / "monomig_env").mkdir(parents=True)
    (root / "monomig_env" / "env.py").write_text("import monomig\nmonomig.run_env(configure_logging=False)\n")
    (root / "loop_env").mkdir()
    (root / "loop_env" / "env.py").write_text(LOOP_ENV)
    versions = root / "versions"
    versions.mkdir()
    for i, down in ((0, None), (1, "r0000")):
        (versions / f"r000{i}_rev.py").write_text(REVISION.format(rev=f"r000{i}", down=down))
    (root / "alembic.ini").write_text(
        "[alembic]\ndatabases = acme, acme_loop\n\n[DEFAULT]\npath_separator = os\n"
        f"version_locations = {versions}\nsqlalchemy.url = {url}\n\n"
        "[acme]\nscript_location = ./monomig_env\nmonomig.targets = schemas:tenant_*\n\n"
        "[acme_loop]\nscript_location = ./loop_env\n"
    )


def create_schemas(dbname: str, count: int, at: str) -> None:
    """``count`` tenant schemas, each at revision ``at`` (its tables created), in one transaction."""
    sql = []
    for i in range(count):
        s = f"tenant_{i:05d}"
        sql.append(f'CREATE SCHEMA "{s}"')
        sql.append(f'CREATE TABLE "{s}".alembic_version (version_num varchar(32) PRIMARY KEY)')
        sql.append(f"INSERT INTO \"{s}\".alembic_version VALUES ('{at}')")
        sql.append(f'CREATE TABLE "{s}".items_r0000 (id int)')
        if at == "r0001":
            sql.append(f'CREATE TABLE "{s}".items_r0001 (id int)')
    with _admin(dbname) as conn, conn.transaction():
        conn.execute(";".join(sql))


def back_one(dbname: str, count: int) -> None:
    """Every tenant back at r0000 (not timed): what the upgrade row runs from."""
    sql = []
    for i in range(count):
        s = f"tenant_{i:05d}"
        sql.append(f'DROP TABLE IF EXISTS "{s}".items_r0001')
        sql.append(f"UPDATE \"{s}\".alembic_version SET version_num = 'r0000'")
    with _admin(dbname) as conn, conn.transaction():
        conn.execute(";".join(sql))


def states(dbname: str, count: int) -> list[str]:
    with _admin(dbname) as conn:
        union = " UNION ALL ".join(f'SELECT version_num FROM "tenant_{i:05d}".alembic_version' for i in range(count))
        return sorted(r[0] for r in conn.execute(union).fetchall())


def run_row(bench: Any, row: Any, run: Any) -> Any:
    """One tenant row of bench/run.py (``run`` is that module: its Result, Side and runners)."""
    count = 200 if row.key == "tenants-upgrade" else 1000
    if bench.args.quick or bench.args.tiny:
        count //= 10
    label = f"{count:,} tenant schemas"
    result = run.Result(row, label, run.Side(), run.Side())
    dbname = f"monomig_bench_{uuid.uuid4().hex[:10]}"
    root = bench.scratch / row.key
    try:
        with _admin() as admin:
            admin.execute(f'CREATE DATABASE "{dbname}"')
    except Exception as e:  # noqa: BLE001 - no server: the row says so
        result.stock.status = f"failed: PostgreSQL on 127.0.0.1:5432 is not reachable ({e})"[:300]
        result.monomig.status = "not run"
        return result
    try:
        make_project(root, f"{PG}/{dbname}")
        upgrade = row.key == "tenants-upgrade"
        create_schemas(dbname, count, "r0000" if upgrade else "r0001")
        env = run.base_env()
        stock = [["alembic", "-n", "acme_loop", *(["upgrade", "head"] if upgrade else ["current"])]]
        mono = [
            ["monomig", "upgrade", "--all", "-n", "acme", "--jobs", "4"]
            if upgrade
            else ["monomig", "status", "-n", "acme"]
        ]
        want = ["r0001"] * count
        for i in range(bench.args.reps + (1 if bench.args.warmup else 0)):
            for name, cmds, side in (("stock", stock, result.stock), ("monomig", mono, result.monomig)):
                if side.status != "ok":
                    continue
                if upgrade:
                    back_one(dbname, count)
                r = run.run_sequence(cmds, root, env, bench.scratch)
                if r.failed is not None:
                    bad = r.failed
                    side.status = f"failed (exit {bad.rc}): `{' '.join(bad.cmd)}`: {bad.stderr.strip()[-300:]}"
                    continue
                if states(dbname, count) != want:
                    result.notes.append(f"MISMATCH: {name} left the tenants elsewhere than r0001")
                if i == 0 and bench.args.warmup:
                    side.warmup = r.seconds
                    continue
                side.runs.append(r.seconds)
                side.maxrss_kb.append(r.maxrss_kb)
                side.cpu.append(r.cpu)
                bench.log(f"  {row.key}: {name} run {len(side.runs)} {r.seconds:.2f} s")
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    return result
