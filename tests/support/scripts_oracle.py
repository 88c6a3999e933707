"""Alembic 1.20.1 as the oracle for revision-file discovery and reading.

``alembic_load`` runs Alembic's own loader (``ScriptDirectory._load_revisions``,
which discovers and imports each file) without building the revision map, so
files need not form a valid graph. ``view`` / ``monomig_view`` put both sides
in the same shape.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory


@dataclass
class AlembicResult:
    scripts: list[Any]
    warnings: list[str]
    error: BaseException | None = None


def alembic_load(
    script_dir: Path,
    locations: list[Path] | list[str],
    recursive: bool = False,
    sourceless: bool = False,
) -> AlembicResult:
    """Alembic's scripts (in load order) and its UserWarnings, or the exception it raises."""
    sd = ScriptDirectory(
        str(script_dir),
        version_locations=[str(p) for p in locations],
        recursive_version_locations=recursive,
        sourceless=sourceless,
    )
    scripts: list[Any] = []
    error = None
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                for s in sd._load_revisions():
                    scripts.append(s)
            except BaseException as e:
                if isinstance(e, KeyboardInterrupt):
                    raise
                error = e
    finally:
        sys.dont_write_bytecode = dont_write
    msgs = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    return AlembicResult(scripts, msgs, error)


def view(s: Any) -> dict[str, Any]:
    """What Alembic's Script shows."""
    return {
        "path": s.path,
        "revision": s.revision,
        "down_revision": s.down_revision,
        "branch_labels": s._orig_branch_labels,
        "dependencies": s.dependencies,
        "doc": s.doc,
        "longdoc": s.longdoc,
        "module_doc": s.module.__doc__,
    }


def monomig_view(e: Any) -> dict[str, Any]:
    """The same fields from a monomig RevisionEntry."""
    return {
        "path": e.path,
        "revision": e.revision,
        "down_revision": e.down_revision,
        "branch_labels": e.branch_labels,
        "dependencies": e.depends_on,
        "doc": e.doc,
        "longdoc": e.longdoc,
        "module_doc": e.module_doc,
    }
