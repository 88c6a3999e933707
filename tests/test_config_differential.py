"""monomig's configuration against the installed Alembic itself (1.13 to 1.20: `make
test-alembic-matrix` runs this file on every minor).

For every ini file of the corpus (tests/fixtures/ini, the Alembic templates
rendered by ``alembic init``, the demo's alembic.ini) and for random projects
(support/ini_gen.py, fixed seed; MONOMIG_DIFF_CASES raises the count):

- every section, and ``alembic``, read with ``Project.section(name)`` equals
  what ``alembic -n NAME`` sees: ``ScriptDirectory.from_config`` (dir, version
  locations, booleans, file template, slug length, hooks, deprecation
  warnings), ``get_prepend_sys_paths_list`` and ``get_section``; where Alembic
  raises, monomig raises ConfigError, and vice versa;
- ``load_project().services`` equals the services computed with Alembic by
  the documented rule (see support/config_oracle.py).
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest
from support import ini_gen
from support.config_oracle import (
    alembic_section,
    alembic_services,
    monomig_section,
    monomig_services,
    same_outcome,
)

import monomig

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ini"
REPO = Path(__file__).resolve().parent.parent
CORPUS = sorted(FIXTURES.rglob("*.ini")) + [REPO / "alembic.ini"]
CASES = int(os.environ.get("MONOMIG_DIFF_CASES", "3000")) // 5


def _sections(ini: Path) -> list[str]:
    import configparser

    cp = configparser.ConfigParser()
    try:
        cp.read([ini], encoding="locale")
    except Exception:  # noqa: BLE001 - unreadable: only the load error is compared
        return []
    return cp.sections()


def _compare_project(ini: str, toml: str | None, label: str) -> tuple[Any, Any]:
    expected = alembic_services(ini, toml)
    actual = monomig_services(ini, toml)
    assert same_outcome(expected, actual), f"{label}: services differ\nalembic: {expected}\nmonomig: {actual}"
    try:
        project = monomig.load_project(ini, toml, find_services=False)
    except monomig.ConfigError as e:
        # Only a file that cannot be read at all (Alembic: parse error, bad TOML) fails here.
        assert isinstance(expected, tuple), f"{label}: {e}"
        return expected, actual
    names = _sections(Path(ini)) + ["alembic"]
    for name in dict.fromkeys(names):
        exp = alembic_section(ini, name, toml)
        act = monomig_section(project, name)
        assert same_outcome(exp, act), f"{label} -n {name!r}\nalembic: {exp}\nmonomig: {act}"
    return expected, actual


@pytest.fixture
def fixture_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES / "pkgs"))


@pytest.mark.parametrize("ini", CORPUS, ids=lambda p: str(p.relative_to(REPO)))
def test_corpus_file_like_alembic(ini: Path, monkeypatch: pytest.MonkeyPatch, fixture_packages: None) -> None:
    # As `alembic -c alembic.ini` run from the ini's directory, which has the pyproject.toml if any.
    monkeypatch.chdir(ini.parent)
    toml = "pyproject.toml"
    _compare_project(ini.name, toml, str(ini))
    # And from elsewhere, naming the file by an absolute path: relative paths
    # now point at the other directory (Alembic resolves them against the
    # working directory, not the ini file).
    monkeypatch.chdir(FIXTURES)
    _compare_project(str(ini), str(ini.parent / "pyproject.toml"), f"{ini} (cwd {FIXTURES})")


def test_demo_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    project = monomig.load_project()
    assert list(project.services) == ["service_one", "service_two"]
    one = project.services["service_one"]
    assert one.script_location == str(REPO / "migrations")
    assert one.version_locations == [str(REPO / "migrations" / "versions" / "service_one")]
    assert project.services["service_two"].version_locations == [str(REPO / "migrations" / "versions" / "service_two")]


@pytest.mark.slow
def test_random_projects_like_alembic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    ini_gen.make_tree(root)
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root / "pkgs"))
    rng = random.Random(19700101)
    tally = {"services": 0, "no services": 0, "error": 0}
    for i in range(CASES):
        text, toml_text = ini_gen.project(rng)
        (root / "alembic.ini").write_text(text, encoding="utf-8")
        toml_path = root / "pyproject.toml"
        if toml_text is None:
            toml_path.unlink(missing_ok=True)
        else:
            toml_path.write_text(toml_text, encoding="utf-8")
        label = f"case {i}\n--- alembic.ini\n{text}--- pyproject.toml\n{toml_text}"
        expected, _ = _compare_project("alembic.ini", "pyproject.toml", label)
        if isinstance(expected, tuple):
            tally["error"] += 1
        else:
            tally["services" if expected else "no services"] += 1
    assert min(tally.values()) > CASES // 20, tally
