"""Differential test of ``monomig lint`` against squawk (``squawk-cli``, pinned in
requirements-dev.txt) on a corpus of PostgreSQL statements rendered by Alembic from
generated revisions (tests/support/lint_corpus.py: every operation in its variants,
and real-world-shaped raw SQL).

For every rule both tools implement (the ``squawk`` column of ``monomig lint --rules``),
each statement is checked alone by both, as inside the migration's transaction (squawk
``--assume-in-transaction``; Alembic runs PostgreSQL revisions in one), on a table that
exists before the run. Where they disagree, the disagreement must be one listed in
DIFFERENCES with the reason monomig differs on purpose, and every listed difference
must still occur.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.fleet_repo import Repo
from support.lint_corpus import upgrade_bodies, write_revisions

import monomig._native as _native

pytestmark = pytest.mark.slow

SQUAWK = str(Path(sys.executable).parent / "squawk")

# The file-level rules are left out of the statement by statement comparison.
FILE_LEVEL = {"require_lock_timeout", "require_statement_timeout", "prefer_robust_stmts"}

# (monomig rule, which tool flags, a pattern of the statement, why monomig differs on purpose)
DIFFERENCES: list[tuple[str, str, str, str]] = [
    (
        "constraint_missing_not_valid",
        "squawk",
        r"\b(UNIQUE|PRIMARY KEY)\b",
        "NOT VALID exists only for foreign key and check constraints; a UNIQUE or PRIMARY KEY constraint gets "
        "its own rule (disallowed_unique_constraint, adding_primary_key_constraint) with a fix that works",
    ),
    (
        "adding_foreign_key_constraint",
        "squawk",
        r"ADD (CONSTRAINT \w+ )?FOREIGN KEY",
        "on PostgreSQL a separate ADD FOREIGN KEY is reported once, as constraint_missing_not_valid (the fix, "
        "NOT VALID then VALIDATE, is the same), not twice; adding_foreign_key_constraint is the inline REFERENCES",
    ),
    (
        "prefer_bigint_keys",
        "squawk",
        r".",
        "squawk flags every int column; monomig only keys (primary key or serial), where running out of "
        "range forces a rewrite of the table and of every table referencing it",
    ),
    (
        "prefer_bigint_keys",
        "monomig",
        r"\bSMALL(INT|SERIAL)\b",
        "squawk leaves smallint keys to its opt-in prefer-bigint-over-smallint; a smallint key runs out first",
    ),
    (
        "adding_field_with_volatile_default",
        "monomig",
        r"\b(BIG)?SERIAL\b",
        "adding a serial column fills every row from a sequence (a volatile default): the table is rewritten",
    ),
    (
        "dropping_database",
        "monomig",
        r"DROP SCHEMA",
        "dropping a schema destroys every table in it, as dropping a database does; squawk has no rule for it",
    ),
    (
        "prefer_text_field",
        "squawk",
        r"TYPE VARCHAR|SET DATA TYPE",
        "squawk flags varchar(n) in a type change too; monomig reports the type change (changing_column_type)",
    ),
    (
        "concurrently_in_transaction",
        "monomig",
        r"DROP INDEX CONCURRENTLY",
        "squawk checks CREATE INDEX CONCURRENTLY only; DROP INDEX CONCURRENTLY fails inside a transaction too",
    ),
    (
        "require_concurrent_index_creation",
        "monomig",
        r" ON audit ",
        "squawk reads the corpus as one file and exempts the table `audit` created earlier in it; monomig "
        "exempts tables created earlier in the run the same way, but here each statement is checked alone",
    ),
]


def _render(tmp_path: Path) -> list[str]:
    repo = Repo(tmp_path)
    versions = repo.add_service("pg", "postgresql://app@localhost/shop")
    write_revisions(versions, upgrade_bodies())
    job = {"ini": str(tmp_path / "alembic.ini"), "service": "pg", "dialect": "postgresql", "cwd": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "monomig._lint_render"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    answer = json.loads(done.stdout)
    statements = []
    for rev in answer["revisions"]:
        assert "error" not in rev, rev
        for st in rev["statements"]:
            if st["kind"] != "autocommit":
                statements.append(" ".join(st["sql"].split()))
    return statements


def _monomig_flags(sql: str) -> set[str]:
    request = {
        "service": "pg",
        "dialect": "postgresql",
        "lock_timeout": True,
        "statement_timeout": True,
        "revisions": [
            {"revision": "r", "path": "r.py", "source": "", "statements": [{"sql": sql, "line": 1, "kind": "execute"}]}
        ],
    }
    return {f["rule"] for f in json.loads(_native.lint_service(json.dumps(request)))}


def _squawk_flags(statements: list[str], tmp_path: Path) -> list[set[str]]:
    corpus = tmp_path / "corpus.sql"
    corpus.write_text("\n".join(s if s.endswith(";") else s + ";" for s in statements) + "\n")
    done = subprocess.run(
        [SQUAWK, "--assume-in-transaction", "--reporter", "json", str(corpus)],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, NO_COLOR="1"),
    )
    assert done.returncode in (0, 1), done.stderr
    flags: list[set[str]] = [set() for _ in statements]
    for f in json.loads(done.stdout or "[]"):
        flags[f["line"]].add(f["rule_name"])
    return flags


def test_same_statements_flagged_as_squawk_except_the_listed_differences(tmp_path: Path) -> None:
    statements = _render(tmp_path)
    assert len(statements) >= 200, len(statements)
    pairs = {
        r["id"]: r["squawk"] for r in json.loads(_native.lint_rules()) if r["squawk"] and r["id"] not in FILE_LEVEL
    }
    theirs = _squawk_flags(statements, tmp_path)
    unexplained = []
    used = set()
    agreed = 0
    for sql, squawk_flags in zip(statements, theirs, strict=True):
        ours = _monomig_flags(sql)
        for rule, squawk_rule in pairs.items():
            mine, other = rule in ours, squawk_rule in squawk_flags
            if mine == other:
                agreed += mine
                continue
            who = "monomig" if mine else "squawk"
            reason = next(
                (
                    i
                    for i, d in enumerate(DIFFERENCES)
                    if d[0] == rule and d[1] == who and re.search(d[2], sql, re.IGNORECASE)
                ),
                None,
            )
            if reason is None:
                unexplained.append(f"{rule} flagged only by {who}: {sql}")
            else:
                used.add(reason)
    assert not unexplained, "\n".join(unexplained)
    assert agreed >= 100, agreed
    stale = [d for i, d in enumerate(DIFFERENCES) if i not in used]
    assert not stale, stale
