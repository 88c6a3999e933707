"""``monomig lint``: every rule triggered, not triggered and allowed, on the three
dialects, in one lint run (one render process per service); the line mapping, the
section settings, ``--since`` on a real git history and every output format.

The SQL is rendered by Alembic offline: no database server is needed.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from support.fleet_repo import Repo, monomig

pytestmark = pytest.mark.slow  # each test runs monomig lint (Alembic renders in a child process)

PG_URL = "postgresql://app@localhost/shop"
MY_URL = "mysql+pymysql://app@localhost/shop"
LITE_URL = "sqlite:///shop.db"

# (rule, dialect service, upgrade that triggers it, upgrade that does not).
# Tables not created in the run ("accounts", "orders", "legacy") exist before it.
CASES: list[tuple[str, str, str, str]] = [
    (
        "require_concurrent_index_creation",
        "pg",
        'op.create_index("ix_a", "accounts", ["email"])',
        'op.create_table("fresh", sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True))\n'
        'op.create_index("ix_fresh", "fresh", ["id"])',
    ),
    (
        "require_concurrent_index_deletion",
        "pg",
        'op.drop_index("ix_a", table_name="accounts")',
        "with op.get_context().autocommit_block():\n"
        '    op.drop_index("ix_a", table_name="accounts", postgresql_concurrently=True, if_exists=True)',
    ),
    (
        "concurrently_in_transaction",
        "pg",
        'op.create_index("ix_b", "accounts", ["name"], postgresql_concurrently=True)',
        "with op.get_context().autocommit_block():\n"
        '    op.create_index("ix_b", "accounts", ["name"], postgresql_concurrently=True, if_not_exists=True)',
    ),
    (
        "constraint_missing_not_valid",
        "pg",
        'op.create_check_constraint("ck_pos", "accounts", "balance >= 0")',
        'op.execute("ALTER TABLE accounts ADD CONSTRAINT ck_pos CHECK (balance >= 0) NOT VALID")',
    ),
    (
        "adding_foreign_key_constraint",
        "pg",
        'op.execute("ALTER TABLE orders ADD COLUMN account_id BIGINT REFERENCES accounts (id)")',
        'op.add_column("orders", sa.Column("account_id", sa.BigInteger()))',
    ),
    (
        "disallowed_unique_constraint",
        "pg",
        'op.create_unique_constraint("uq_email", "accounts", ["email"])',
        'op.execute("ALTER TABLE accounts ADD CONSTRAINT uq_email UNIQUE USING INDEX ix_email")',
    ),
    (
        "adding_primary_key_constraint",
        "pg",
        'op.create_primary_key("pk_legacy", "legacy", ["id"])',
        'op.execute("ALTER TABLE legacy ADD CONSTRAINT pk_legacy PRIMARY KEY USING INDEX ix_legacy_id")',
    ),
    (
        "adding_not_nullable_field",
        "pg",
        'op.add_column("accounts", sa.Column("plan", sa.Text(), nullable=False))',
        'op.add_column("accounts", sa.Column("plan", sa.Text(), nullable=False, server_default="free"))',
    ),
    (
        "setting_not_nullable_field",
        "pg",
        'op.alter_column("accounts", "plan", nullable=False)',
        'op.execute("ALTER TABLE accounts ADD CONSTRAINT plan_nn CHECK (plan IS NOT NULL) NOT VALID")',
    ),
    (
        "adding_field_with_volatile_default",
        "pg",
        'op.add_column("accounts", sa.Column("token", sa.Uuid(), server_default=sa.text("gen_random_uuid()")))',
        'op.add_column("accounts", sa.Column("tier", sa.Text(), server_default="basic"))',
    ),
    (
        "changing_column_type",
        "pg",
        'op.alter_column("accounts", "name", type_=sa.Text())',
        'op.add_column("accounts", sa.Column("name_text", sa.Text()))',
    ),
    (
        "renaming_column",
        "pg",
        'op.alter_column("accounts", "name", new_column_name="full_name")',
        'op.add_column("accounts", sa.Column("full_name", sa.Text()))',
    ),
    (
        "renaming_table",
        "pg",
        'op.rename_table("accounts", "customers")',
        'op.create_table("staging", sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True))\n'
        'op.rename_table("staging", "staging2")',
    ),
    (
        "dropping_column",
        "pg",
        'op.drop_column("accounts", "legacy_code")',
        'op.add_column("accounts", sa.Column("code", sa.Text()))',
    ),
    (
        "dropping_table",
        "pg",
        'op.drop_table("legacy")',
        'op.create_table("scratch", sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True))\n'
        'op.drop_table("scratch")',
    ),
    ("dropping_database", "pg", 'op.execute("DROP DATABASE scratch")', 'op.execute("CREATE DATABASE scratch")'),
    (
        "ban_drop_not_null",
        "pg",
        'op.alter_column("accounts", "plan", nullable=True)',
        'op.alter_column("accounts", "plan", server_default="free")',
    ),
    (
        "prefer_bigint_keys",
        "pg",
        'op.create_table("k1", sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True))',
        'op.create_table("k2", sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True), '
        'sa.Column("n", sa.Integer()))',
    ),
    (
        "prefer_identity",
        "pg",
        'op.create_table("s1", sa.Column("id", sa.BigInteger(), primary_key=True))',
        'op.create_table("s2", sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True))',
    ),
    (
        "prefer_text_field",
        "pg",
        'op.add_column("accounts", sa.Column("code", sa.String(20)))',
        'op.add_column("accounts", sa.Column("code", sa.Text()))',
    ),
    (
        "prefer_timestamptz",
        "pg",
        'op.add_column("accounts", sa.Column("seen_at", sa.DateTime()))',
        'op.add_column("accounts", sa.Column("seen_at", sa.DateTime(timezone=True)))',
    ),
    (
        "ban_char_field",
        "pg",
        'op.add_column("accounts", sa.Column("country", sa.CHAR(2)))',
        'op.add_column("accounts", sa.Column("country", sa.Text()))',
    ),
    (
        "prefer_robust_stmts",
        "pg",
        "with op.get_context().autocommit_block():\n"
        '    op.create_index("ix_r", "accounts", ["email"], postgresql_concurrently=True)',
        "with op.get_context().autocommit_block():\n"
        '    op.create_index("ix_r", "accounts", ["email"], postgresql_concurrently=True, if_not_exists=True)',
    ),
    (
        "transaction_nesting",
        "pg",
        'op.execute("COMMIT")',
        'with op.get_context().autocommit_block():\n    op.execute("VACUUM accounts")',
    ),
    ("ban_truncate_cascade", "pg", 'op.execute("TRUNCATE accounts CASCADE")', 'op.execute("TRUNCATE accounts")'),
    (
        "unparsed_statement",
        "pg",
        'op.execute("FROBNICATE THE accounts")',
        "op.execute(\"UPDATE accounts SET plan = 'free' WHERE plan IS NULL\")",
    ),
    (
        "not_renderable",
        "pg",
        'rows = op.get_bind().execute(sa.text("SELECT id FROM accounts")).fetchall()',
        "op.execute(sa.text(\"UPDATE accounts SET plan = 'free'\"))",
    ),
    (
        "require_lock_timeout",
        "pgt",
        'op.drop_column("accounts", "legacy_code")  # monomig: allow[dropping_column] unused since v2',
        "op.execute(\"SET lock_timeout = '2s'\")\nop.execute(\"SET statement_timeout = '60s'\")\n"
        'op.drop_column("accounts", "legacy_code")  # monomig: allow[dropping_column] unused since v2',
    ),
    (
        "require_statement_timeout",
        "pgt",
        "op.execute(\"SET lock_timeout = '2s'\")\n"
        'op.drop_column("accounts", "legacy_code")  # monomig: allow[dropping_column] unused since v2',
        "op.execute(\"SET lock_timeout = '2s'\")\nop.execute(\"SET statement_timeout = '60s'\")\n"
        'op.drop_column("accounts", "legacy_code")  # monomig: allow[dropping_column] unused since v2',
    ),
    (
        "mysql_copying_alter",
        "my",
        'op.alter_column("accounts", "name", type_=sa.String(200), existing_nullable=True)',
        'op.add_column("accounts", sa.Column("nick", sa.String(20)))',
    ),
    (
        "adding_foreign_key_constraint",
        "my",
        'op.create_foreign_key("fk_acc", "orders", "accounts", ["account_id"], ["id"])',
        'op.create_index("ix_orders_acc", "orders", ["account_id"])',
    ),
    (
        "adding_not_nullable_field",
        "my",
        'op.add_column("accounts", sa.Column("plan", sa.String(20), nullable=False))',
        'op.add_column("accounts", sa.Column("plan", sa.String(20), nullable=False, server_default="free"))',
    ),
    (
        "dropping_column",
        "my",
        'op.drop_column("accounts", "legacy_code")',
        'op.add_column("accounts", sa.Column("legacy_code2", sa.String(20)))',
    ),
    (
        "sqlite_batch_recreate",
        "lite",
        'with op.batch_alter_table("accounts", copy_from=sa.Table("accounts", sa.MetaData(), '
        'sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(50)))) as b:\n'
        '    b.alter_column("name", type_=sa.Text())',
        'op.add_column("accounts", sa.Column("nick", sa.Text()))',
    ),
    (
        "adding_not_nullable_field",
        "lite",
        'op.add_column("accounts", sa.Column("plan", sa.Text(), nullable=False))',
        'op.add_column("accounts", sa.Column("plan", sa.Text(), nullable=False, server_default="free"))',
    ),
    (
        "renaming_table",
        "lite",
        'op.rename_table("accounts", "customers")',
        'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))',
    ),
]

REVISION = '''\
"""{doc}"""
from alembic import op
import sqlalchemy as sa

revision = {rev!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
{upgrade}


def downgrade():
    op.execute("SELECT 1")
'''


def _allowed(upgrade: str, rule: str) -> str:
    """The triggering code with an allow for ``rule`` on the line of the call that produces
    the finding: the ``with`` of a batch (its SQL is emitted when the block ends), else the
    last line."""
    lines = upgrade.splitlines()
    at = 0 if lines[0].startswith("with op.batch_alter_table") else len(lines) - 1
    if "# monomig: allow[" in lines[at]:
        lines[at] = lines[at].replace("# monomig: allow[", f"# monomig: allow[{rule}, ", 1)
    else:
        lines[at] += f"  # monomig: allow[{rule}] accepted in review: the table is tiny"
    return "\n".join(lines)


def _write_cases(repo: Repo) -> dict[tuple[str, str, str], Path]:
    files: dict[tuple[str, str, str], Path] = {}
    previous: dict[str, str | None] = {"pg": None, "pgt": None, "my": None, "lite": None}
    for n, (rule, service, trigger, safe) in enumerate(CASES):
        for variant, code in (("trigger", trigger), ("safe", safe), ("allowed", _allowed(trigger, rule))):
            rev = f"{service}{n:02d}{variant[0]}"
            path = repo.root / "migrations" / "versions" / service / f"{rev}.py"
            path.write_text(
                REVISION.format(
                    doc=f"{rule} {variant}",
                    rev=rev,
                    down=previous[service],
                    upgrade=textwrap.indent(code, "    "),
                )
            )
            previous[service] = rev
            files[(rule, service, variant)] = path
    return files


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, dict[tuple[str, str, str], Path], list[dict]]:
    repo = Repo(tmp_path_factory.mktemp("lint"))
    repo.add_service("pg", PG_URL, **{"monomig.lock_timeout": "5s", "monomig.statement_timeout": "60s"})
    repo.add_service("pgt", PG_URL)
    repo.add_service("my", MY_URL, **{"monomig.lock_timeout": "5s", "monomig.statement_timeout": "60s"})
    repo.add_service("lite", LITE_URL)
    files = _write_cases(repo)
    done = monomig(repo.root, "lint", "--json")
    assert done.returncode == 1, done.stderr
    return repo, files, json.loads(done.stdout)


def _line_of(path: Path, needle: str) -> int:
    for number, text in enumerate(path.read_text().splitlines(), 1):
        if needle in text:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def test_every_rule_triggers_is_quiet_on_the_safe_form_and_is_allowed(cases) -> None:
    _repo, files, found = cases
    by_path: dict[str, list[dict]] = {}
    for f in found:
        by_path.setdefault(f["path"], []).append(f)
    problems = []
    for (rule, service, variant), path in files.items():
        rules_here = [f["rule"] for f in by_path.get(str(path), [])]
        if variant == "trigger" and rule not in rules_here:
            problems.append(f"{service} {rule}: the trigger is not flagged ({rules_here})")
        if variant == "safe" and rule in rules_here:
            problems.append(f"{service} {rule}: the safe form is flagged")
        if variant == "allowed" and (
            rule in rules_here or "unused_allow" in rules_here or "invalid_allow" in rules_here
        ):
            problems.append(f"{service} {rule}: the allowed form still has {rules_here}")
    assert not problems, "\n".join(problems)


def test_findings_point_at_the_op_call_and_carry_the_fix(cases) -> None:
    _, files, found = cases
    path = files[("require_concurrent_index_creation", "pg", "trigger")]
    (f,) = [f for f in found if f["path"] == str(path) and f["rule"] == "require_concurrent_index_creation"]
    assert f["line"] == _line_of(path, "op.create_index")
    assert f["statement"] == "CREATE INDEX ix_a ON accounts (email)"
    assert "CONCURRENTLY" in f["message"] + f["fix"] and f["severity"] == "error"
    assert f["service"] == "pg" and f["revision"] == path.stem
    path = files[("not_renderable", "pg", "trigger")]
    (f,) = [f for f in found if f["path"] == str(path) and f["rule"] == "not_renderable"]
    assert f["line"] == _line_of(path, "op.get_bind()")
    assert "fetchall" in f["message"]
    # the revisions after the one that could not be rendered are linted all the same
    later = files[("require_lock_timeout", "pgt", "trigger")]
    assert any(g["path"] == str(later) for g in found)


def test_every_rule_of_the_table_is_exercised_and_documented(cases) -> None:
    _, _, _found = cases
    listed = monomig(Path("."), "lint", "--rules").stdout.split("\n")
    ids = {line.split()[0] for line in listed if line.strip()}
    assert len(ids) >= 25, ids
    docs = (Path(__file__).resolve().parent.parent / "docs" / "lint.md").read_text()
    assert not [i for i in ids if f"`{i}`" not in docs], "rules missing from docs/lint.md"
    exercised = {c[0] for c in CASES} | {"invalid_allow", "unused_allow", "irreversible_revision"}
    assert ids - exercised == set()


def test_allow_comments_reason_unknown_unused_and_file_wide(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.add_service("pg", PG_URL, **{"monomig.lock_timeout": "5s", "monomig.statement_timeout": "60s"})
    repo.revision(
        "pg",
        "a1",
        None,
        upgrade="""
        op.drop_column("accounts", "a")  # monomig: allow[dropping_column]
        op.drop_column("accounts", "b")  # monomig: allow[dropping_colum] typo
        op.add_column("accounts", sa.Column("c", sa.Text()))  # monomig: allow[dropping_column] nothing here
        # monomig: allow[renaming_column] the old name is read by nothing since v3
        op.alter_column("accounts", "d", new_column_name="e")
    """,
        downgrade="op.execute('SELECT 1')",
    )
    repo.revision(
        "pg",
        "a2",
        "a1",
        text=(
            '"""a2"""\n# monomig: allow[dropping_table] the legacy tables are empty since 2023\n'
            "from alembic import op\n\nrevision = 'a2'\ndown_revision = 'a1'\n\n\n"
            "def upgrade():\n    op.drop_table('legacy1')\n    op.drop_table('legacy2')\n"
        ),
    )
    done = monomig(tmp_path, "lint", "--json")
    found = [(f["revision"], f["rule"], f["line"]) for f in json.loads(done.stdout)]
    assert sorted(found) == sorted(
        [
            ("a1", "invalid_allow", 12),  # no reason (the finding is silenced all the same)
            ("a1", "invalid_allow", 13),  # unknown rule
            ("a1", "dropping_column", 13),  # ... so the finding stays
            ("a1", "unused_allow", 14),  # nothing to silence on that line
            ("a2", "irreversible_revision", 1),
        ]
    ), done.stdout
    assert done.returncode == 1  # invalid_allow is an error


def test_section_disables_raises_and_rejects_unknown_rules(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.add_service(
        "pg",
        PG_URL,
        **{
            "monomig.lock_timeout": "5s",
            "monomig.statement_timeout": "60s",
            "monomig.lint.disable": "dropping_column, irreversible_revision",
            "monomig.lint.error": "renaming_column",
        },
    )
    repo.revision(
        "pg",
        "a1",
        None,
        upgrade="""
        op.drop_column("accounts", "a")
        op.alter_column("accounts", "d", new_column_name="e")
    """,
    )
    done = monomig(tmp_path, "lint", "--json")
    assert [(f["rule"], f["severity"]) for f in json.loads(done.stdout)] == [("renaming_column", "error")]
    assert done.returncode == 1
    repo.services["pg"]["monomig.lint.error"] = "renaming_colum"
    repo.write_ini()
    done = monomig(tmp_path, "lint")
    assert done.returncode == 2
    assert "monomig.lint.error = renaming_colum in the [pg] section names no lint rule" in done.stderr


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args],
        cwd=root,
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
            "HOME": str(root),
            "PATH": "/usr/bin:/bin",
        },
    )


def test_since_lints_only_what_changed_on_a_real_git_history(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.add_service("pg", PG_URL, **{"monomig.lock_timeout": "5s", "monomig.statement_timeout": "60s"})
    repo.revision("pg", "a1", None, upgrade='op.drop_column("accounts", "a")', downgrade="op.execute('SELECT 1')")
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    repo.revision("pg", "a2", "a1", upgrade='op.drop_column("accounts", "b")', downgrade="op.execute('SELECT 1')")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "pr")
    repo.revision("pg", "a3", "a2", upgrade='op.drop_column("accounts", "c")', downgrade="op.execute('SELECT 1')")
    done = monomig(tmp_path, "lint", "--since", "main~1", "--json")
    assert sorted(f["revision"] for f in json.loads(done.stdout)) == ["a2", "a3"], done.stderr
    done = monomig(tmp_path, "lint", "a1:a2", "--json")
    assert [f["revision"] for f in json.loads(done.stdout)] == ["a2"], done.stderr
    done = monomig(tmp_path, "lint", "--since", "no-such-ref")
    assert done.returncode == 2 and "--since no-such-ref" in done.stderr and "Traceback" not in done.stderr


def test_output_formats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Repo(tmp_path)
    repo.add_service("pg", PG_URL, **{"monomig.lock_timeout": "5s", "monomig.statement_timeout": "60s"})
    repo.revision(
        "pg", "a1", None, upgrade='op.create_index("ix_a", "accounts", ["email"])', downgrade="op.execute('SELECT 1')"
    )
    path = "migrations/versions/pg/a1_rev.py"
    text = monomig(tmp_path, "lint")
    assert text.returncode == 1
    assert text.stdout.startswith(f"{path}:12: error require_concurrent_index_creation [pg a1]: CREATE INDEX ix_a")
    assert "    fix: op.create_index(..., postgresql_concurrently=True)" in text.stdout
    assert "monomig lint: 1 service, 1 revision, 1 error" in text.stderr
    sarif = json.loads(monomig(tmp_path, "lint", "--format", "sarif").stdout)
    (result,) = sarif["runs"][0]["results"]
    assert sarif["version"] == "2.1.0"
    assert result["ruleId"] == "require_concurrent_index_creation" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": path},
        "region": {"startLine": 12},
    }
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["id"] == "require_concurrent_index_creation"
    # the GitHub form from the same findings, in this process (the command prints lint.github's text)
    from monomig import lint

    monkeypatch.chdir(tmp_path)
    findings, errors, services, revisions = lint.run([], None, None, None, None)
    assert (errors, services, revisions) == ([], 1, 1)
    assert lint.github(findings).startswith(
        f"::error file={path},line=12,title=monomig lint require_concurrent_index_creation (pg)::"
    )
    assert lint.text(findings) == text.stdout


def test_clean_revisions_exit_0(tmp_path: Path) -> None:
    clean = Repo(tmp_path)
    clean.add_service("pg", PG_URL)
    clean.revision(
        "pg",
        "b1",
        None,
        upgrade='op.create_table("t", sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True))',
        downgrade='op.drop_table("t")',
    )
    done = monomig(clean.root, "lint")
    assert done.returncode == 0 and "1 revision, no findings" in done.stdout, done.stderr


def test_a_service_without_url_could_not_run(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.add_service("nourl", None)
    repo.revision("nourl", "a1", None)
    done = monomig(tmp_path, "lint")
    assert done.returncode == 2
    assert "service 'nourl': no database URL" in done.stderr and "Traceback" not in done.stderr
