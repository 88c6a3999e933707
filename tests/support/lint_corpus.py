"""The PostgreSQL corpus of the differential test against squawk (tests/test_lint_squawk.py)
and of the lint bench row: revision files generated from every Alembic operation in its
variants, plus real-world-shaped revisions (raw SQL of data and maintenance migrations).

``upgrade_bodies()`` returns the bodies of ``upgrade()``, one revision each; the tables
they touch (``accounts``, ``orders``, ``events``, ``legacy``) exist before the run.
"""

from __future__ import annotations

from pathlib import Path

TABLES = ("accounts", "orders", "events", "legacy")

COLUMN_TYPES = (
    "sa.Integer()",
    "sa.BigInteger()",
    "sa.SmallInteger()",
    "sa.String(20)",
    "sa.String()",
    "sa.Text()",
    "sa.CHAR(2)",
    "sa.DateTime()",
    "sa.DateTime(timezone=True)",
    "sa.Boolean()",
    "sa.Numeric(10, 2)",
    "sa.Uuid()",
    "sa.JSON()",
    "sa.Date()",
    "sa.Float()",
    "sa.LargeBinary()",
)

OPS = (
    # indexes
    'op.create_index("ix_{t}_a", "{t}", ["a"])',
    'op.create_index("ix_{t}_b", "{t}", ["b"], unique=True)',
    'op.create_index("ix_{t}_c", "{t}", ["c"], postgresql_concurrently=True)',
    'op.create_index("ix_{t}_d", "{t}", ["d"], postgresql_where=sa.text("d IS NOT NULL"))',
    'op.create_index("ix_{t}_e", "{t}", ["e"], if_not_exists=True)',
    'op.drop_index("ix_{t}_a", table_name="{t}")',
    'op.drop_index("ix_{t}_c", table_name="{t}", postgresql_concurrently=True)',
    'op.drop_index("ix_{t}_e", table_name="{t}", if_exists=True)',
    # constraints
    'op.create_foreign_key("fk_{t}_acc", "{t}", "accounts", ["account_id"], ["id"])',
    'op.create_foreign_key("fk_{t}_acc2", "{t}", "accounts", ["account_id"], ["id"], ondelete="CASCADE")',
    'op.create_check_constraint("ck_{t}_pos", "{t}", "amount >= 0")',
    'op.create_unique_constraint("uq_{t}_code", "{t}", ["code"])',
    'op.create_primary_key("pk_{t}", "{t}", ["id"])',
    'op.drop_constraint("fk_{t}_acc", "{t}", type_="foreignkey")',
    # columns
    'op.add_column("{t}", sa.Column("n1", sa.Text(), nullable=False))',
    'op.add_column("{t}", sa.Column("n2", sa.Text(), nullable=False, server_default="x"))',
    'op.add_column("{t}", sa.Column("n3", sa.Boolean(), server_default=sa.false()))',
    'op.add_column("{t}", sa.Column("n4", sa.Uuid(), server_default=sa.text("gen_random_uuid()")))',
    'op.add_column("{t}", sa.Column("n5", sa.DateTime(timezone=True), server_default=sa.func.now()))',
    'op.add_column("{t}", sa.Column("n6", sa.BigInteger(), sa.ForeignKey("accounts.id")))',
    'op.drop_column("{t}", "old")',
    'op.alter_column("{t}", "a", nullable=False)',
    'op.alter_column("{t}", "a", nullable=True)',
    'op.alter_column("{t}", "a", type_=sa.BigInteger())',
    'op.alter_column("{t}", "a", type_=sa.Text(), postgresql_using="a::text")',
    'op.alter_column("{t}", "a", new_column_name="a2")',
    'op.alter_column("{t}", "a", server_default="0")',
    'op.alter_column("{t}", "a", server_default=None)',
    # tables
    'op.rename_table("{t}", "{t}_old")',
    'op.drop_table("{t}")',
    'op.create_table("{t}_new", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("name", sa.String(50)))',
    'op.create_table("{t}_x", sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True), '
    'sa.Column("at", sa.DateTime(timezone=True), nullable=False), sa.Column("code", sa.CHAR(3)))',
    'op.create_table("{t}_y", sa.Column("id", sa.BigInteger(), primary_key=True), '
    'sa.Column("acc", sa.Integer(), sa.ForeignKey("accounts.id")), sa.Column("at", sa.DateTime()))',
    'op.create_table("{t}_z", sa.Column("id", sa.SmallInteger(), primary_key=True), '
    'sa.Column("k", sa.String(10), unique=True), if_not_exists=True)',
    'op.drop_table("{t}_tmp", if_exists=True)',
)

# raw SQL as real revisions write it (op.execute)
RAW = (
    "SET lock_timeout = '5s'",
    "SET statement_timeout = '60s'",
    "UPDATE accounts SET plan = 'free' WHERE plan IS NULL",
    "DELETE FROM events WHERE created_at < now() - interval '90 days'",
    "INSERT INTO plans (code, name) VALUES ('free', 'Free'), ('pro', 'Pro')",
    "CREATE EXTENSION IF NOT EXISTS pgcrypto",
    "ALTER TABLE orders VALIDATE CONSTRAINT fk_orders_acc",
    "ALTER TABLE orders ADD CONSTRAINT fk_o_a FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID",
    "ALTER TABLE orders ADD CONSTRAINT ck_o CHECK (amount > 0) NOT VALID",
    "ALTER TABLE accounts ADD CONSTRAINT uq_a UNIQUE USING INDEX ix_accounts_b",
    "ALTER TABLE accounts ADD CONSTRAINT pk_a PRIMARY KEY USING INDEX ix_accounts_id",
    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix_u ON accounts (email)",
    "DROP INDEX CONCURRENTLY IF EXISTS ix_u",
    "TRUNCATE events",
    "TRUNCATE events CASCADE",
    "DROP DATABASE IF EXISTS scratch",
    "DROP SCHEMA reporting CASCADE",
    "ALTER TABLE accounts ADD COLUMN IF NOT EXISTS note text",
    "ALTER TABLE accounts ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid()",
    "ALTER TABLE accounts ADD COLUMN seq serial",
    "ALTER TABLE accounts ADD COLUMN big bigserial",
    "ALTER TABLE accounts ADD COLUMN r double precision DEFAULT random()",
    "ALTER TABLE accounts ADD COLUMN c2 integer NOT NULL DEFAULT 0",
    "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(320)",
    "ALTER TABLE accounts ALTER COLUMN email SET DATA TYPE text",
    "ALTER TABLE accounts RENAME COLUMN email TO email_address",
    "ALTER TABLE accounts RENAME TO customers",
    "CREATE TABLE audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz NOT NULL)",
    "CREATE TABLE audit2 (id serial PRIMARY KEY, at timestamp)",
    "CREATE TABLE IF NOT EXISTS audit3 (id int PRIMARY KEY, tag varchar(10), c char(1))",
    "CREATE INDEX ix_audit_at ON audit (at)",
    "COMMIT",
    "BEGIN",
    "VACUUM ANALYZE accounts",
    "ALTER TABLE accounts ALTER COLUMN plan SET NOT NULL",
    "ALTER TABLE accounts ALTER COLUMN plan DROP NOT NULL",
    "ALTER TABLE accounts DROP COLUMN IF EXISTS legacy_code",
    "DROP TABLE IF EXISTS legacy_audit",
    "CREATE INDEX CONCURRENTLY ix_c ON accounts (created_at)",
    "ALTER TABLE accounts ALTER COLUMN created_at SET DEFAULT now()",
)


def upgrade_bodies() -> list[str]:
    bodies = []
    for t in TABLES:
        for op in OPS:
            bodies.append(op.replace("{t}", t))
    for i, type_ in enumerate(COLUMN_TYPES):
        bodies.append(f'op.add_column("accounts", sa.Column("t{i}", {type_}))')
        bodies.append(f'op.create_table("typed{i}", sa.Column("id", {type_}, primary_key=True))')
    for sql in RAW:
        bodies.append(f"op.execute({sql!r})")
    return bodies


REVISION = '''\
"""corpus {n}"""
from alembic import op
import sqlalchemy as sa

revision = {rev!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
    {body}


def downgrade():
    op.execute("SELECT 1")
'''


def write_revisions(versions: Path, bodies: list[str], prefix: str = "c") -> list[str]:
    """One revision file per body, chained, in ``versions``; returns the revision ids."""
    revs = [f"{prefix}{i:05d}" for i in range(len(bodies))]
    for i, (rev, body) in enumerate(zip(revs, bodies, strict=True)):
        (versions / f"{rev}.py").write_text(REVISION.format(n=i, rev=rev, down=revs[i - 1] if i else None, body=body))
    return revs
