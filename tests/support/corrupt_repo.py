"""Monorepos with one kind of damage each, for the corrupt-repository tests.

Each repository (built with :class:`support.fleet_repo.Repo`) has two services on
SQLite: ``svc`` (revisions ``aaaa`` <- ``bbbb``, its database already at ``aaaa``)
carries the damage, ``other`` (two revisions, no database) is healthy.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from support.fleet_repo import Repo

# The damage kinds, in the order the tests list them.
KINDS = (
    "syntax_error",
    "conflict_marker",
    "empty_file",
    "binary_file",
    "not_utf8",
    "duplicate_revision",
    "missing_parent",
    "cycle",
    "duplicate_branch_label",
    "missing_version_location",
    "symlink_loop",
    "no_script_location",
)

STAMPED = "aaaa"

_NOT_UTF8 = (
    '"""Caf\xe9 menu"""\n'
    "revision = 'cccc'\n"
    "down_revision = 'bbbb'\n"
    "branch_labels = None\n"
    "depends_on = None\n\n\n"
    "def upgrade():\n    pass\n\n\n"
    "def downgrade():\n    pass\n"
).encode("latin-1")


def build(root: Path, kind: str, bridged: bool) -> Repo:
    """The repository at ``root`` with damage ``kind``; ``bridged``: env.py imports monomig."""
    repo = Repo(root)
    if bridged:
        env = root / "migrations" / "env.py"
        env.write_text("import monomig\n" + env.read_text())
    versions = repo.add_service("svc", f"sqlite:///{root}/svc.db")
    repo.add_service("other", f"sqlite:///{root}/other.db")
    repo.chain("other", 2)
    a = repo.revision("svc", "aaaa", None)
    b = repo.revision("svc", "bbbb", "aaaa")
    if kind == "syntax_error":
        repo.revision("svc", "cccc", "bbbb", upgrade="op.execute((")
    elif kind == "conflict_marker":
        b.write_text(
            b.read_text().replace(
                "down_revision = 'aaaa'\n",
                "<<<<<<< HEAD\ndown_revision = 'aaaa'\n=======\ndown_revision = None\n>>>>>>> feature\n",
            )
        )
    elif kind == "empty_file":
        (versions / "cccc_empty.py").write_text("")
    elif kind == "binary_file":
        (versions / "cccc_binary.py").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe")
    elif kind == "not_utf8":
        (versions / "cccc_rev.py").write_bytes(_NOT_UTF8)
    elif kind == "duplicate_revision":
        repo.revision("svc", "bbbb", "aaaa", filename="bbbb_copy.py")
    elif kind == "missing_parent":
        a.unlink()
    elif kind == "cycle":
        repo.revision("svc", "aaaa", "bbbb")
    elif kind == "duplicate_branch_label":
        for p in (a, b):
            p.write_text(p.read_text().replace("branch_labels = None", "branch_labels = ('feature',)"))
    elif kind == "missing_version_location":
        repo.services["svc"]["version_locations"] = "./migrations/versions/svc_typo"
        repo.write_ini()
    elif kind == "symlink_loop":
        repo.services["svc"]["recursive_version_locations"] = "true"
        repo.write_ini()
        (versions / "nested").mkdir()
        os.symlink("..", versions / "nested" / "loop")
    elif kind == "no_script_location":
        del repo.services["svc"]["script_location"]
        repo.write_ini()
    else:
        raise ValueError(kind)
    stamp(root / "svc.db", STAMPED)
    return repo


def stamp(db: Path, revision: str) -> None:
    """A version table holding ``revision``, as ``alembic stamp`` leaves it."""
    with sqlite3.connect(db) as con:
        con.execute(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        )
        con.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    con.close()


def version_rows(db: Path) -> list[str] | None:
    """The version table's rows, sorted; None when there is no table."""
    if not db.exists():
        return None
    con = sqlite3.connect(db)
    try:
        return sorted(r[0] for r in con.execute("SELECT version_num FROM alembic_version"))
    except sqlite3.OperationalError:
        return None
    finally:
        con.close()
