"""A monorepo for ``monomig test``: a healthy service and one service per planted fault.

Every service shares one env.py (``import monomig; monomig.run_env()``), so the URL is
whatever ``monomig test`` gives it, and ``services/<name>/models.py`` is its
``target_metadata``. Each fault service is the healthy one with one thing broken:

- ``two_heads``: a second head (``th3b`` beside ``th3``);
- ``bad_step``: revision ``bs2``'s upgrade fails (a statement the database refuses);
- ``model_drift``: the models have a column ``users.nickname`` no revision creates;
- ``forgot_index``: revision ``fi2``'s downgrade leaves its index ``ix_users_name`` behind;
- ``wrong_column``: revision ``wc2`` adds ``users.email`` and its downgrade drops ``users.name``;
- ``down_raises``: revision ``dr2``'s downgrade raises ``RuntimeError``;
- ``empty_down`` (not in :data:`FAULTS`): revision ``ed2``'s downgrade is ``pass``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

ENV_PY = '''"""One env.py for every service: the service is the -n section."""
import monomig

monomig.run_env()
'''

REV = '''"""{doc}"""
from alembic import op
import sqlalchemy as sa

revision = {rev!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
{up}


def downgrade():
{down_body}
'''

MODELS = """import sqlalchemy as sa

metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("email", sa.String(100), nullable=True, index=True),
{extra}
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
    sa.Column("status", sa.Enum("new", "paid", name="order_status"), nullable=False, server_default="new"),
)
"""

#: The healthy service: (revision suffix, upgrade, downgrade, docstring).
HEALTHY = [
    (
        "1",
        """
op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("name", sa.String(50), nullable=False))
""",
        'op.drop_table("users")',
        "create users",
    ),
    (
        "2",
        """
op.add_column("users", sa.Column("email", sa.String(100), nullable=True))
op.create_index("ix_users_email", "users", ["email"])
""",
        """
op.drop_index("ix_users_email", table_name="users")
with op.batch_alter_table("users") as b:
    b.drop_column("email")
""",
        "add users.email",
    ),
    (
        "3",
        """
op.create_table(
    "orders",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
    sa.Column("status", sa.Enum("new", "paid", name="order_status"), nullable=False, server_default="new"),
)
""",
        """
op.drop_table("orders")
sa.Enum(name="order_status").drop(op.get_bind(), checkfirst=True)
""",
        "create orders",
    ),
]

LOGGING = """
[loggers]
keys = root
[handlers]
keys = console
[formatters]
keys = generic
[logger_root]
level = WARNING
handlers = console
[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = generic
[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
"""

#: Each service's revisions are <prefix>1, <prefix>2, <prefix>3 (and <prefix>3b).
PREFIX = {
    "healthy": "hh",
    "two_heads": "th",
    "bad_step": "bs",
    "model_drift": "md",
    "forgot_index": "fi",
    "wrong_column": "wc",
    "down_raises": "dr",
    "empty_down": "ed",
}

FAULTS = ("two_heads", "bad_step", "model_drift", "forgot_index", "wrong_column", "down_raises")


def _body(text: str) -> str:
    return textwrap.indent(textwrap.dedent(text).strip() or "pass", "    ")


def write_service(root: Path, name: str, prefix: str, fault: str | None = None) -> list[str]:
    versions = root / "migrations" / "versions" / name
    versions.mkdir(parents=True, exist_ok=True)
    revs = []
    steps = [list(s) for s in HEALTHY]
    if fault == "bad_step":
        steps[1][1] = 'op.execute("ALTER TABLE no_such_table ADD COLUMN x INTEGER")'
    elif fault == "forgot_index":
        steps[1][1] += '\nop.create_index("ix_users_name", "users", ["name"])'
    elif fault == "wrong_column":
        # drops name, where its upgrade added email
        steps[1][2] = """
op.drop_index("ix_users_email", table_name="users")
with op.batch_alter_table("users") as b:
    b.drop_column("name")
"""
    elif fault == "empty_down":
        steps[1][2] = "pass"
    elif fault == "down_raises":
        steps[1][2] = 'raise RuntimeError("this downgrade was never written")'
    down = None
    for suffix, up, dn, doc in steps:
        rev = f"{prefix}{suffix}"
        (versions / f"{rev}_step.py").write_text(
            REV.format(doc=doc, rev=rev, down=down, up=_body(up), down_body=_body(dn))
        )
        revs.append(rev)
        down = rev
    if fault == "two_heads":
        rev = f"{prefix}3b"
        (versions / f"{rev}_step.py").write_text(
            REV.format(doc="a second head", rev=rev, down=f"{prefix}2", up="    pass", down_body="    pass")
        )
        revs.append(rev)
    models = root / "services" / name
    models.mkdir(parents=True, exist_ok=True)
    (models / "__init__.py").write_text("")
    extra = {
        "model_drift": '    sa.Column("nickname", sa.String(20), nullable=True),',
        "forgot_index": '    sa.Index("ix_users_name", "name"),',
    }.get(fault or "", "")
    (models / "models.py").write_text(MODELS.format(extra=extra))
    return revs


def write_repo(
    root: Path, faults: tuple[str, ...] = FAULTS, extra_ini: dict[str, dict[str, str]] | None = None
) -> dict[str, list[str]]:
    """The healthy service ``healthy`` and one service per fault; returns each one's revisions."""
    (root / "migrations").mkdir(parents=True, exist_ok=True)
    (root / "migrations" / "env.py").write_text(ENV_PY)
    (root / "services").mkdir(exist_ok=True)
    (root / "services" / "__init__.py").write_text("")
    names = ["healthy", *faults]
    revs = {}
    for name in names:
        revs[name] = write_service(root, name, PREFIX[name], None if name == "healthy" else name)
    lines = [
        "[alembic]",
        f"databases = {', '.join(names)}",
        "",
        "[DEFAULT]",
        "script_location = ./migrations",
        "prepend_sys_path = .",
        "path_separator = os",
        "",
    ]
    for name in names:
        lines += [f"[{name}]", f"version_locations = ./migrations/versions/{name}"]
        lines += [f"{k} = {v}" for k, v in (extra_ini or {}).get(name, {}).items()]
        lines.append("")
    lines += LOGGING.splitlines()
    (root / "alembic.ini").write_text("\n".join(lines))
    return revs
