"""Real-world-shaped revision folders, read by monomig and by stock Alembic.

The fixtures (tests/fixtures/realworld, see its README) reproduce shapes of public projects:
import paths through a package named ``modules`` (Indico), names such as ``modules`` or
``eval`` as attributes of other objects, code in strings, ``globals()``/``setattr``/``exec`` in
functions nothing calls at import, ``__all__``, conditional imports, Prefect's attribute chain,
Neutron's branch labels from an imported constant, a relative import. Stock Alembic (the
bridge off: ``MONOMIG_BRIDGE=0``) is the oracle for ``heads``, ``history``, ``current`` and
exit statuses.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from support.databases import ServerDb, pg_database  # noqa: F401
from support.fleet_repo import Repo, alembic, env_without_urls, monomig

import monomig._native as native

FIXTURES = Path(__file__).parent / "fixtures" / "realworld"


def stock_env() -> dict[str, str]:
    env = env_without_urls()
    env["MONOMIG_BRIDGE"] = "0"
    env["MONOMIG_CACHE"] = "0"
    return env


def build(tmp_path: Path, services: dict[str, str]) -> Repo:
    """A project with the fixture package and the named fixture folders, one service each."""
    repo = Repo(tmp_path / "repo")
    shutil.copytree(FIXTURES / "project" / "app", repo.root / "app")
    (repo.root / "var").mkdir()
    for svc, url in services.items():
        versions = repo.add_service(svc, url, prepend_sys_path=".")
        for f in sorted((FIXTURES / "versions" / svc).glob("*.py")):
            shutil.copy(f, versions / f.name)
    return repo


def same_output(repo: Repo, svc: str, *cmd: str) -> str:
    """``monomig -n svc CMD`` prints what stock ``alembic -n svc CMD`` prints, with its status."""
    ours = monomig(repo.root, "-n", svc, *cmd)
    stock = alembic(repo.root, "-n", svc, *cmd, env=stock_env())
    assert stock.returncode == 0, stock.stderr
    assert (ours.returncode, ours.stdout) == (stock.returncode, stock.stdout), (cmd, ours.stderr)
    return ours.stdout


def test_shapes_read_without_import_and_match_alembic(tmp_path: Path) -> None:
    repo = build(tmp_path, {"shapes": f"sqlite:///{tmp_path}/repo/var/shapes.db"})
    versions = repo.root / "migrations" / "versions" / "shapes"
    entries, _ = native.scan_revisions([str(versions)], cache=False)
    assert [(Path(e.path).name, e.needs_import, e.reason) for e in entries if e.needs_import] == []
    imports = {Path(e.path).name[:12]: e.module_imports for e in entries}
    assert imports["1f2e3d4c5b6a"] == ("sqlalchemy", "alembic", "app.modules.events.fields")
    # TYPE_CHECKING imports never run; both branches of try/except may.
    assert imports["3b4c5d6e7f80"] == ("typing", "sqlalchemy", "alembic", "ujson", "json")
    assert imports["5d6e7f809102"] == ("alembic", "app.server.utilities.database")

    heads = same_output(repo, "shapes", "heads")
    assert heads.split()[0] == "5d6e7f809102"
    same_output(repo, "shapes", "history")
    same_output(repo, "shapes", "history", "--verbose")
    # No finding: every file reads statically, as Alembic reads it.
    check = monomig(repo.root, "check", "--json")
    assert (check.returncode, json.loads(check.stdout)) == (0, []), check.stderr

    # status against what stock Alembic migrated (SQLite).
    up = alembic(repo.root, "-n", "shapes", "upgrade", "3b4c5d6e7f80", env=stock_env())
    assert up.returncode == 0, up.stderr
    current = alembic(repo.root, "-n", "shapes", "current", env=stock_env())
    st = json.loads(monomig(repo.root, "status", "--json").stdout)[0]
    assert st["current"] == [current.stdout.split()[0]] == ["3b4c5d6e7f80"]
    assert (st["state"], st["pending"], st["heads"]) == ("behind", 2, ["5d6e7f809102"])


def test_shapes_status_on_postgresql(tmp_path: Path, pg_database: ServerDb) -> None:
    repo = build(tmp_path, {"shapes": pg_database.url})
    up = alembic(repo.root, "-n", "shapes", "upgrade", "head", env=stock_env())
    assert up.returncode == 0, up.stderr
    current = alembic(repo.root, "-n", "shapes", "current", env=stock_env()).stdout.split()[0]
    r = monomig(repo.root, "status", "--json", "--check")
    st = json.loads(r.stdout)[0]
    assert (r.returncode, st["state"], st["current"], st["heads"]) == (0, "up_to_date", [current], [current])


def test_neutron_and_relative_imports(tmp_path: Path) -> None:
    repo = build(
        tmp_path,
        {
            "neutron": f"sqlite:///{tmp_path}/repo/var/neutron.db",
            "relative": f"sqlite:///{tmp_path}/repo/var/relative.db",
        },
    )
    neutron = repo.root / "migrations" / "versions" / "neutron"
    entries, _ = native.scan_revisions([str(neutron)], cache=False)
    by_name = {Path(e.path).name[:12]: e for e in entries}
    # Branch labels built from imported constants: importing the file is what Alembic does.
    assert by_name["30018084ec99"].needs_import
    assert "branch_labels" in (by_name["30018084ec99"].reason or "")
    assert by_name["30018084ec99"].module_imports == ("app",)
    assert not by_name["5c85685d616d"].needs_import
    # The fast commands import those files as Alembic would and print Alembic's answer.
    heads = same_output(repo, "neutron", "heads")
    assert sorted(line.split()[0] for line in heads.splitlines()) == ["4ffceebfada", "5c85685d616d"]
    same_output(repo, "neutron", "history")

    # A relative import: Alembic loads revision modules without a package, so it fails; so does monomig.
    relative = repo.root / "migrations" / "versions" / "relative"
    (entry,), _ = native.scan_revisions([str(relative)], cache=False)
    assert entry.module_imports == (".",)
    stock = alembic(repo.root, "-n", "relative", "heads", env=stock_env())
    ours = monomig(repo.root, "-n", "relative", "heads")
    assert stock.returncode != 0 and ours.returncode == stock.returncode
    assert "relative import" in stock.stderr and "relative import" in ours.stderr


@pytest.mark.parametrize("cache", ["1", "0"])
def test_module_imports_survive_the_scan_cache(tmp_path: Path, cache: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONOMIG_CACHE", cache)
    monkeypatch.setenv("MONOMIG_CACHE_DIR", str(tmp_path / "cache"))
    versions = FIXTURES / "versions" / "shapes"
    first, _ = native.scan_revisions([str(versions)])
    again, _ = native.scan_revisions([str(versions)])
    assert [e.module_imports for e in first] == [e.module_imports for e in again]
    assert os.environ["MONOMIG_CACHE"] == cache
