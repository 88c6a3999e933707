"""Values Alembic computes, computed: revision files whose values come from imported names.

Neutron's ``branch_labels = (labels.EXPAND_BRANCH,)`` (a constant of a project module on
``prepend_sys_path``) is read from that module's file, without importing anything; a value
only Python can compute (``labels.EXPAND_BRANCH.upper()``) is imported as Alembic imports it.
``status``, ``check --all``, ``upgrade --all --plan`` and the fast commands then give stock
Alembic's answer (the oracle: the bridge off, ``MONOMIG_BRIDGE=0``), on SQLite and PostgreSQL.
``--no-import`` and ``monomig.import = false`` forbid any import and report the files instead.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support.databases import ServerDb, pg_database  # noqa: F401
from support.fleet_repo import Repo, alembic, env_without_urls, monomig

import monomig._native as native

FIXTURES = Path(__file__).parent / "fixtures" / "realworld"

COMPUTED = '''\
"""A label only Python computes"""
from app import labels

revision = "c0ffee000001"
down_revision = None
branch_labels = (labels.EXPAND_BRANCH.upper(),)


def upgrade():
    pass


def downgrade():
    pass
'''

MINIMAL = """\
import labels

revision = "aaaa"
down_revision = None
branch_labels = (labels.EXPAND,)


def upgrade():
    pass


def downgrade():
    pass
"""


def stock_env() -> dict[str, str]:
    env = env_without_urls()
    env["MONOMIG_BRIDGE"] = "0"
    env["MONOMIG_CACHE"] = "0"
    return env


def build(tmp_path: Path, url_of: dict[str, str], **sections: dict[str, str]) -> Repo:
    """The realworld fixture package, the Neutron folder, a computed label and the issue's
    minimal case (``lib/labels.py``, ``prepend_sys_path = lib``)."""
    repo = Repo(tmp_path / "repo")
    shutil.copytree(FIXTURES / "project" / "app", repo.root / "app")
    (repo.root / "lib").mkdir()
    (repo.root / "lib" / "labels.py").write_text("EXPAND = 'expand'\n")
    (repo.root / "var").mkdir()
    neutron = repo.add_service(
        "neutron",
        url_of["neutron"],
        prepend_sys_path=".",
        **{"monomig.allow_multiple_heads": "true"},
        **sections.get("neutron", {}),
    )
    for f in sorted((FIXTURES / "versions" / "neutron").glob("*.py")):
        shutil.copy(f, neutron / f.name)
    computed = repo.add_service("computed", url_of["computed"], prepend_sys_path=".", **sections.get("computed", {}))
    (computed / "c0ffee000001_computed.py").write_text(COMPUTED)
    minimal = repo.add_service("minimal", url_of["minimal"], prepend_sys_path="lib", **sections.get("minimal", {}))
    (minimal / "aaaa_minimal.py").write_text(MINIMAL)
    return repo


def sqlite_urls(tmp_path: Path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path}/repo/var/{s}.db" for s in ("neutron", "computed", "minimal")}


def stock_heads(repo: Repo, svc: str) -> list[str]:
    r = alembic(repo.root, "-n", svc, "heads", env=stock_env())
    assert r.returncode == 0, r.stderr
    return sorted(line.split()[0] for line in r.stdout.splitlines())


def status(repo: Repo, *args: str) -> tuple[int, dict[str, dict]]:
    r = monomig(repo.root, "status", "--json", *args)
    return r.returncode, {s["service"]: s for s in json.loads(r.stdout)}


@pytest.mark.slow
def test_constants_read_statically_and_imports_as_alembic(tmp_path: Path) -> None:
    repo = build(tmp_path, sqlite_urls(tmp_path))
    # Read from app/labels.py and app/__init__.py on prepend_sys_path: no import needed.
    neutron = repo.root / "migrations" / "versions" / "neutron"
    entries, _ = native.scan_revisions([str(neutron)], cache=False, search_path=[str(repo.root)])
    assert [(Path(e.path).name[:12], e.needs_import, e.branch_labels) for e in entries] == [
        ("30018084ec99", False, ("expand",)),
        ("4ffceebfada_", False, ("contract",)),
        ("5c85685d616d", False, ()),
    ]
    (entry,) = native.scan_revisions(
        [str(repo.root / "migrations/versions/minimal")], search_path=[str(repo.root / "lib")]
    )[0]
    assert (entry.needs_import, entry.branch_labels) == (False, ("expand",))

    # The fast commands print what stock prints.
    heads = {}
    for svc, cmd in [("neutron", "heads"), ("computed", "heads"), ("minimal", "heads"), ("neutron", "history")]:
        ours = monomig(repo.root, "-n", svc, cmd)
        stock = alembic(repo.root, "-n", svc, cmd, env=stock_env())
        assert (ours.returncode, ours.stdout) == (stock.returncode, stock.stdout) != (0, ""), (svc, cmd, ours.stderr)
        if cmd == "heads":
            heads[svc] = sorted(line.split()[0] for line in stock.stdout.splitlines())
    # Nothing migrated: status answers with stock Alembic's heads, for every service.
    code, st = status(repo)
    assert code == 0, st
    for svc in ("neutron", "computed", "minimal"):
        assert (st[svc]["state"], sorted(st[svc]["heads"])) == ("not_initialized", heads[svc]), st[svc]
    # check --all: no finding (the computed label is imported, as Alembic imports it).
    r = monomig(repo.root, "check", "--all", "--json")
    assert (r.returncode, json.loads(r.stdout)) == (0, []), r.stderr

    # upgrade --all --plan imports the computed file, as Alembic would, and plans it.
    r = monomig(repo.root, "upgrade", "--all", "--plan", "--json")
    assert r.returncode == 0, r.stderr + r.stdout
    # Stock Alembic migrates; status agrees with stock current.
    for svc in ("neutron", "computed", "minimal"):
        up = alembic(repo.root, "-n", svc, "upgrade", "heads", env=stock_env())
        assert up.returncode == 0, up.stderr
    code, st = status(repo, "--check")
    assert code == 0, st
    for svc in ("neutron", "computed", "minimal"):
        assert (st[svc]["state"], sorted(st[svc]["current"])) == ("up_to_date", heads[svc]), st[svc]
    # The bridged upgrade --all runs where stock ran (nothing left to do).
    r = monomig(repo.root, "upgrade", "--all", "heads")
    assert r.returncode == 0, r.stderr + r.stdout


@pytest.mark.slow
def test_no_import_reports_the_files(tmp_path: Path) -> None:
    repo = build(tmp_path, sqlite_urls(tmp_path), minimal={"monomig.import": "false"})
    # --no-import: constants still read statically; the computed label is reported.
    code, st = status(repo, "--no-import")
    assert code == 2
    assert st["neutron"]["state"] == st["minimal"]["state"] == "not_initialized"
    err = st["computed"]["error"]
    assert st["computed"]["state"] == "error" and "c0ffee000001_computed.py" in err
    assert "line 6: `branch_labels` is not assigned a plain literal" in err and "--no-import" in err
    r = monomig(repo.root, "check", "--all", "--no-import", "--json")
    (finding,) = json.loads(r.stdout)
    assert (r.returncode, finding["code"], finding["service"]) == (1, "unreadable_revision", "computed")
    assert "importing is off" in finding["message"] and "line 6" in finding["message"]
    r = monomig(repo.root, "upgrade", "--all", "--plan", "--no-import")
    assert r.returncode != 0 and "importing is off" in r.stdout + r.stderr
    assert "service 'computed': service 'computed'" not in r.stdout + r.stderr  # named once

    # monomig.import = false in a section forbids importing that service's files.
    (repo.root / "lib" / "labels.py").write_text("EXPAND = 'ex' + 'pand'\n")  # no longer a literal
    code, st = status(repo)
    assert code == 2 and st["minimal"]["state"] == "error" and "monomig.import = false" in st["minimal"]["error"]
    assert st["computed"]["state"] == "not_initialized"
    r = monomig(repo.root, "-n", "minimal", "heads")
    out = r.stdout + r.stderr
    assert r.returncode == 255 and out.startswith("FAILED: ") and "aaaa_minimal.py" in out and "importing is off" in out


@pytest.mark.slow
def test_an_import_that_fails_is_the_services_error(tmp_path: Path) -> None:
    repo = build(tmp_path, sqlite_urls(tmp_path))
    shutil.rmtree(repo.root / "app")  # the application is not installed here
    code, st = status(repo)
    assert code == 2 and st["computed"]["state"] == "error"
    assert "ModuleNotFoundError" in st["computed"]["error"] and "c0ffee000001_computed.py" in st["computed"]["error"]
    assert st["minimal"]["state"] == "not_initialized"
    stock = alembic(repo.root, "-n", "computed", "heads", env=stock_env())
    assert stock.returncode != 0 and "ModuleNotFoundError" in stock.stderr
    r = monomig(repo.root, "check", "--all", "--json")
    codes = {(f["service"], f["code"]) for f in json.loads(r.stdout)}
    assert ("computed", "unreadable_revision") in codes and r.returncode == 1


@pytest.mark.slow
def test_status_on_postgresql(tmp_path: Path, pg_database: ServerDb) -> None:
    urls = dict.fromkeys(("neutron", "computed", "minimal"), pg_database.url)
    repo = build(
        tmp_path,
        urls,
        neutron={"version_table": "v_neutron"},
        computed={"version_table": "v_computed"},
        minimal={"version_table": "v_minimal"},
    )
    env_py = repo.root / "migrations" / "env.py"
    assert "version_table" in env_py.read_text(), "the shared env.py passes the section's version_table"
    for svc in ("neutron", "computed"):
        up = alembic(repo.root, "-n", svc, "upgrade", "heads", env=stock_env())
        assert up.returncode == 0, up.stderr
    code, st = status(repo)
    assert code == 0, st
    assert (st["neutron"]["state"], sorted(st["neutron"]["current"])) == ("up_to_date", stock_heads(repo, "neutron"))
    assert (st["computed"]["state"], st["computed"]["current"]) == ("up_to_date", ["c0ffee000001"])
    assert (st["minimal"]["state"], st["minimal"]["heads"]) == ("not_initialized", ["aaaa"])
