"""The configuration reader follows the installed Alembic's rules (src/config/alembic_version.rs).

Alembic 1.16 changed how the configuration is read: ``[tool.alembic]`` of
pyproject.toml, ``path_separator``, deprecation warnings, ``Path.absolute()`` (``..``
kept). monomig's reader applies the rules of the Alembic installed beside it, so the
fleet commands (``services``, ``status``, ``check --all``, ``upgrade --all``) see the
services and version locations that Alembic sees. Here: the rules by version number
(``load_project(alembic_version=...)``), and end to end, the fleet commands against
stock ``alembic`` on the installed release (``make test-alembic-matrix`` runs this
file on every minor, 1.13 to 1.20).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support.fleet_repo import FleetRepo, run

import monomig
import monomig._native as native
from monomig import _alembic_support

NEW_RULES = _alembic_support.at_least(1, 16)


def _project(root: Path) -> None:
    """One project whose reading differs between Alembic 1.15 and 1.16."""
    (root / "m" / "versions").mkdir(parents=True)
    (root / "m" / "other").mkdir()
    (root / "a").mkdir()
    (root / "a" / "alembic.ini").write_text(
        "[alembic]\n"
        "script_location = %(here)s/../m\n"
        "path_separator = ;\n"
        "prepend_sys_path = .:lib\n"
        "version_locations = %(here)s/../m/versions;%(here)s/../m/other\n"
        "\n[toml_only]\n"
        "sqlalchemy.url = sqlite://\n"
    )
    (root / "pyproject.toml").write_text('[tool.alembic]\nscript_location = "%(here)s/m"\n')


def test_the_rules_follow_the_version_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    ini = "a/../a/alembic.ini"
    new = monomig.load_project(ini, "pyproject.toml", alembic_version="1.16.0")
    old = monomig.load_project(ini, "pyproject.toml", alembic_version="1.15.2")
    assert (new.alembic_version, old.alembic_version) == ("1.16.0", "1.15.2")
    root = str(tmp_path)
    # 1.16: path_separator splits both lists, %(here)s keeps '..', pyproject.toml fills [toml_only].
    svc = new.services["alembic"] if "alembic" in new.services else new.section("alembic")
    assert svc.version_locations == [f"{root}/a/../a/../m/versions", f"{root}/a/../a/../m/other"]
    assert svc.prepend_sys_path == [".:lib"]
    assert new.toml_file == f"{root}/pyproject.toml"
    assert new.section("toml_only").script_location == f"{root}/m"
    # 1.15: no path_separator (one location, prepend_sys_path split on ':'), '..' folded, no TOML.
    svc = old.section("alembic")
    assert svc.version_locations == [f"{root}/m/versions;{root}/m/other"]
    assert svc.prepend_sys_path == [".", "lib"]
    assert svc.options["here"] == f"{root}/a"
    assert svc.warnings == []
    assert old.toml_file is None
    with pytest.raises(monomig.ConfigError, match=r"no 'script_location'|No 'script_location'"):
        old.section("toml_only")
    # -c: appendable from 1.16; before, the last one wins and there is no TOML file.
    assert native.config_paths(["x.ini", "y.ini"], None, alembic_version="1.15.2") == ("y.ini", "")
    with pytest.raises(monomig.ConfigError, match="only one ini file"):
        native.config_paths(["x.ini", "y.ini"], None, alembic_version="1.16.0")
    with pytest.raises(monomig.ConfigError, match="not a version number"):
        monomig.load_project(ini, alembic_version="next")


def test_by_default_the_installed_alembic_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import alembic

    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    project = monomig.load_project("a/alembic.ini", "pyproject.toml", find_services=False)
    parsed = _alembic_support.parse_version(alembic.__version__)
    assert parsed is not None
    assert project.alembic_version == ".".join(map(str, (parsed + (0, 0))[:3]))
    assert (project.toml_file is not None) == NEW_RULES


def _fleet_project(root: Path) -> FleetRepo:
    """Three services whose version locations depend on the Alembic release: one
    configured with path_separator (1.16+) beside the legacy split, one whose
    version_locations come only from pyproject.toml (1.16+), one with '..' in a
    version location (folded before 1.16)."""
    repo = FleetRepo(root)
    db = root / "db.sqlite"
    url = f"sqlite:///{db}"
    repo.add_service(
        "sep", url, path_separator=";", version_locations="./migrations/versions/sep;./migrations/versions/sep2"
    )
    repo.add_service("toml", url, version_table="toml_version")
    del repo.services["toml"]["version_locations"]
    repo.add_service("dots", url, version_table="dots_version", version_locations="./migrations/x/../versions/dots")
    repo.write_ini()
    (root / "migrations" / "x").mkdir()
    (root / "migrations" / "versions" / "sep2").mkdir()
    (root / "pyproject.toml").write_text('[tool.alembic]\nversion_locations = ["%(here)s/migrations/versions/toml"]\n')
    # `sep`: a head in each of its two locations (1.16+), or none (one location that does not exist).
    repo.revision("sep", "se01", None)
    (root / "migrations" / "versions" / "sep2" / "se02_rev.py").write_text(
        (root / "migrations" / "versions" / "sep" / "se01_rev.py").read_text().replace("se01", "se02")
    )
    # `toml`: its own file (1.16+), or the default <script_location>/versions, which holds `top1`.
    repo.revision("toml", "tom1", None)
    (root / "migrations" / "versions" / "top1_rev.py").write_text(
        (root / "migrations" / "versions" / "toml" / "tom1_rev.py").read_text().replace("tom1", "top1")
    )
    repo.revision("dots", "dot1", None)
    return repo


def _alembic_heads(root: Path, name: str) -> set[str]:
    out = run("alembic", root, "-n", name, "heads")
    assert out.returncode == 0, out.stderr
    return set(re.findall(r"^(\w+) \(", out.stdout, re.M))


def test_fleet_commands_read_what_the_installed_alembic_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    root = tmp_path / "proj"
    root.mkdir()
    _fleet_project(root)

    services = run("monomig", root, "services", "--json")
    assert services.returncode == 0, services.stderr
    listed = {s["name"]: s["version_locations"] for s in json.loads(services.stdout)}
    assert list(listed) == ["sep", "toml", "dots"]
    for name, locations in listed.items():
        kw = {"toml_file": str(root / "pyproject.toml")} if NEW_RULES else {}
        cfg = Config(str(root / "alembic.ini"), ini_section=name, **kw)
        with monkeypatch.context() as m:
            m.chdir(root)  # relative locations are relative to the working directory
            expected = [str(p) for p in ScriptDirectory.from_config(cfg)._version_locations]
        assert locations == expected, name

    status = run("monomig", root, "status", "--json")
    # exit 2: a service could not be read (the missing location of `sep` before 1.16)
    assert status.returncode == (0 if NEW_RULES else 2), status.stderr
    rows = {s["service"]: s for s in json.loads(status.stdout)}
    for name in ("toml", "dots"):
        assert set(rows[name]["heads"]) == _alembic_heads(root, name), rows[name]
    if NEW_RULES:
        assert set(rows["sep"]["heads"]) == _alembic_heads(root, "sep") == {"se01", "se02"}
        assert set(rows["toml"]["heads"]) == {"tom1"}
    else:
        # Alembic finds no revision in the one location "versions/sep;versions/sep2", which does
        # not exist; monomig says so rather than report an empty service.
        assert _alembic_heads(root, "sep") == set()
        assert rows["sep"]["state"] == "error", rows["sep"]
        assert "versions/sep;" in json.dumps(rows["sep"]) and "does not exist" in json.dumps(rows["sep"])
        assert set(rows["toml"]["heads"]) == {"top1"}
