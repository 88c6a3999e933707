"""Imports as stock Alembic would have seen them (``monomig._preload``), against stock Alembic.

Stock Alembic imports every revision module before it runs a step. In the fixture the first
revision does ``import pkg`` and uses ``pkg.sub.types.INT``, which only the second
revision's ``from pkg.sub.types import INT`` makes reachable: stock passes, the bridge
passes because it runs that import before the first step, and fails as it used to with
``monomig.preload_imports = false``. Every module of the fixture writes its name to a log
when imported, so each test also shows what each command imported.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.databases import ServerDb, pg_database  # noqa: F401
from support.fleet_repo import Repo, alembic_script, env_without_urls, monomig

import monomig._native as native

TYPES_PY = """\
import os

import sqlalchemy as sa

INT = sa.Integer
with open(os.environ["PRELOAD_LOG"], "a") as _f:
    _f.write("pkg.sub.types\\n")
"""

HEAD = '''"""{rev}"""
import os
{imports}
from alembic import op
import sqlalchemy as sa

with open(os.environ["PRELOAD_LOG"], "a") as _f:
    _f.write("{rev}\\n")

revision = "{rev}"
down_revision = {down!r}
branch_labels = None
depends_on = None




def upgrade():
    op.create_table("t_{rev}", sa.Column("id", {column_type}, primary_key=True))


def downgrade():
    op.drop_table("t_{rev}")
'''

ATTRIBUTE_ERROR = "module 'pkg' has no attribute 'sub'"


def build(
    root: Path,
    url: str,
    *,
    extra: str | None = None,
    second: tuple[str, str] = ("from pkg.sub.types import INT", "INT"),
) -> Repo:
    """aaaa (``import pkg``, uses ``pkg.sub.types.INT``) <- bbbb (``from pkg.sub.types
    import INT``) <- cccc; ``extra``: the import line of a fourth revision dddd."""
    for d in ("pkg", "pkg/sub"):
        (root / d).mkdir(parents=True, exist_ok=True)
        (root / d / "__init__.py").write_text("")
    (root / "pkg" / "sub" / "types.py").write_text(TYPES_PY)
    repo = Repo(root)
    repo.add_service("svc", url, prepend_sys_path=".", monomig_bridge="true")
    revs = [
        ("aaaa", None, "import pkg", "pkg.sub.types.INT"),
        ("bbbb", "aaaa", *second),
        ("cccc", "bbbb", "", "sa.Integer"),
    ]
    if extra is not None:
        revs.append(("dddd", "cccc", extra, "sa.Integer"))
    for rev, down, imports, column_type in revs:
        text = HEAD.format(rev=rev, down=down, imports=imports, column_type=column_type)
        repo.revision("svc", rev, down, text=text)
    return repo


def set_options(repo: Repo, url: str, **options: str) -> None:
    repo.services["svc"]["sqlalchemy.url"] = url
    for k in ("monomig.preload_imports", "monomig.eager_import"):
        repo.services["svc"].pop(k, None)
    repo.services["svc"].update(options)
    repo.write_ini()


def side_env(log: Path, stock: bool) -> dict[str, str]:
    env = env_without_urls()
    env["PRELOAD_LOG"] = str(log)
    if stock:
        env["MONOMIG_BRIDGE"] = "0"
    else:
        env.pop("MONOMIG_BRIDGE", None)
    return env


def imported(log: Path) -> list[str]:
    lines = log.read_text().split() if log.exists() else []
    log.unlink(missing_ok=True)
    return lines


@pytest.mark.slow
def test_preload_imports_the_submodule_a_from_import_names(tmp_path: Path) -> None:
    """``from pkg.sub import types`` imports the submodule ``pkg.sub.types``: the preload does too."""
    log = tmp_path / "imports.log"
    repo = build(tmp_path, f"sqlite:///{tmp_path}/stock.db", second=("from pkg.sub import types", "types.INT"))
    bbbb = next((tmp_path / "migrations" / "versions" / "svc").glob("bbbb*.py"))
    assert ("pkg.sub", ["types"]) in native.import_statements(bbbb)
    p = alembic_script(tmp_path, "-n", "svc", "upgrade", "aaaa", env=side_env(log, stock=True))
    assert p.returncode == 0, p.stderr
    imported(log)
    set_options(repo, f"sqlite:///{tmp_path}/bridge.db")
    p = alembic_script(tmp_path, "-n", "svc", "upgrade", "aaaa", env=side_env(log, stock=False))
    assert p.returncode == 0, p.stderr
    assert imported(log) == ["pkg.sub.types", "aaaa"]


@pytest.mark.slow  # a dozen processes
def test_preloaded_imports_make_an_earlier_step_pass_as_in_stock_alembic(tmp_path: Path) -> None:
    log = tmp_path / "imports.log"
    url = f"sqlite:///{tmp_path}/stock.db"
    repo = build(tmp_path, url)
    stock, bridged = side_env(log, stock=True), side_env(log, stock=False)

    # Stock Alembic: every module is imported first, so aaaa's step finds pkg.sub.
    p = alembic_script(tmp_path, "-n", "svc", "upgrade", "aaaa", env=stock)
    assert p.returncode == 0, p.stderr
    assert imported(log) == ["aaaa", "pkg.sub.types", "bbbb", "cccc"]

    # The bridge: the modules the revision files import, not the revision modules.
    set_options(repo, f"sqlite:///{tmp_path}/bridge.db")
    p = alembic_script(tmp_path, "-n", "svc", "upgrade", "aaaa", env=bridged)
    assert p.returncode == 0, p.stderr
    assert imported(log) == ["pkg.sub.types", "aaaa"]

    # Read-only commands import nothing, neither revision modules nor their imports.
    for args in (["current"], ["heads"], ["history"], ["check"]):
        p = alembic_script(tmp_path, "-n", "svc", *args, env=bridged)
        assert p.returncode in (0, 255), p.stderr  # check: "New upgrade operations detected" or not
        assert "Traceback" not in p.stderr
        assert imported(log) == [], args
    # ... while stock Alembic imports every module for them.
    p = alembic_script(tmp_path, "-n", "svc", "current", env=stock)
    assert p.returncode == 0 and imported(log) == ["aaaa", "pkg.sub.types", "bbbb", "cccc"]

    # The rest of the way, through monomig's own command and the fleet runner.
    p = monomig(tmp_path, "-n", "svc", "downgrade", "base", env=bridged)
    assert p.returncode == 0, p.stderr
    assert imported(log) == ["pkg.sub.types", "aaaa"]
    p = monomig(tmp_path, "upgrade", "--all", env=bridged)
    assert p.returncode == 0, p.stdout + p.stderr
    assert imported(log) == ["pkg.sub.types", "aaaa", "bbbb", "cccc"]

    # Switched off: the bridge fails as it did before (only aaaa is imported).
    set_options(repo, f"sqlite:///{tmp_path}/off.db", **{"monomig.preload_imports": "false"})
    p = alembic_script(tmp_path, "-n", "svc", "upgrade", "aaaa", env=bridged)
    assert p.returncode != 0 and ATTRIBUTE_ERROR in p.stderr
    assert imported(log) == ["aaaa"]

    # stamp preloads too (it runs no step, but is one of the commands that move the version table).
    set_options(repo, f"sqlite:///{tmp_path}/stamp.db")
    p = alembic_script(tmp_path, "-n", "svc", "stamp", "bbbb", env=bridged)
    assert p.returncode == 0, p.stderr
    assert imported(log) == ["pkg.sub.types"]


def test_eager_import_imports_every_revision_module_as_stock_does(tmp_path: Path) -> None:
    log = tmp_path / "imports.log"
    repo = build(tmp_path, f"sqlite:///{tmp_path}/eager.db")
    set_options(repo, f"sqlite:///{tmp_path}/eager.db", **{"monomig.eager_import": "yes"})
    p = alembic_script(tmp_path, "-n", "svc", "upgrade", "aaaa", env=side_env(log, stock=False))
    assert p.returncode == 0, p.stderr
    # Stock's load order: every module, its own imports as it runs them.
    assert imported(log) == ["aaaa", "pkg.sub.types", "bbbb", "cccc"]
    # A value that is not a yes/no word is a one-paragraph error naming file, section and option.
    set_options(repo, f"sqlite:///{tmp_path}/eager.db", **{"monomig.eager_import": "sometimes"})
    p = alembic_script(tmp_path, "-n", "svc", "upgrade", "head", env=side_env(log, stock=False))
    assert p.returncode == 255 and "Traceback" not in p.stderr
    assert "section [svc]: monomig.eager_import = 'sometimes' is not a yes/no value" in p.stderr
    assert "alembic.ini" in p.stderr and imported(log) == []


def test_a_failing_preload_import_fails_as_stock_alembic_fails(tmp_path: Path) -> None:
    log = tmp_path / "imports.log"
    repo = build(tmp_path, f"sqlite:///{tmp_path}/stock.db", extra="import not_a_module_anywhere_q7")
    p_stock = alembic_script(tmp_path, "-n", "svc", "upgrade", "aaaa", env=side_env(log, stock=True))
    set_options(repo, f"sqlite:///{tmp_path}/bridge.db")
    p_bridge = alembic_script(tmp_path, "-n", "svc", "upgrade", "aaaa", env=side_env(log, stock=False))
    assert p_stock.returncode == p_bridge.returncode == 1
    last = "ModuleNotFoundError: No module named 'not_a_module_anywhere_q7'"
    assert p_stock.stderr.strip().splitlines()[-1] == p_bridge.stderr.strip().splitlines()[-1] == last
    # raised from the revision file, as in stock Alembic's traceback
    assert "dddd_rev.py" in p_bridge.stderr

    # A guarded import does not fail stock Alembic, nor the bridge.
    guarded = "try:\n    import not_a_module_anywhere_q7\nexcept ImportError:\n    pass"
    repo = build(tmp_path, f"sqlite:///{tmp_path}/guarded.db", extra=guarded)
    imported(log)
    for stock in (True, False):
        set_options(repo, f"sqlite:///{tmp_path}/guarded_{stock}.db")
        p = alembic_script(tmp_path, "-n", "svc", "upgrade", "aaaa", env=side_env(log, stock=stock))
        assert p.returncode == 0, p.stderr


@pytest.mark.postgres
def test_preloaded_imports_on_postgresql(tmp_path: Path, pg_database: ServerDb) -> None:
    log = tmp_path / "imports.log"
    repo = build(tmp_path, pg_database.url)
    stock, bridged = side_env(log, stock=True), side_env(log, stock=False)
    p = alembic_script(tmp_path, "-n", "svc", "upgrade", "aaaa", env=stock)
    assert p.returncode == 0, p.stderr
    assert alembic_script(tmp_path, "-n", "svc", "downgrade", "base", env=stock).returncode == 0
    set_options(repo, pg_database.url, **{"monomig.preload_imports": "off"})
    p = alembic_script(tmp_path, "-n", "svc", "upgrade", "aaaa", env=bridged)
    assert p.returncode != 0 and ATTRIBUTE_ERROR in p.stderr
    set_options(repo, pg_database.url)
    imported(log)
    p = alembic_script(tmp_path, "-n", "svc", "upgrade", "head", env=bridged)
    assert p.returncode == 0, p.stderr
    assert imported(log) == ["pkg.sub.types", "aaaa", "bbbb", "cccc"]
    p = monomig(tmp_path, "status", "--json", env=bridged)
    assert '"up_to_date"' in p.stdout, p.stdout + p.stderr
