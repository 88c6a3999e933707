"""The Alembic bridge: activation, lazy loading of revision modules, the opt-in rule of
the `alembic.plugins` entry point, and Alembic's classes left alone otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.alembic_versions import PLUGINS
from support.bridge_repo import run_alembic

from monomig import bridge

REPO = Path(__file__).resolve().parent.parent
ALEMBIC = str(Path(sys.executable).parent / "alembic")


@pytest.fixture
def bridged() -> Iterator[None]:
    bridge.activate()
    yield
    bridge.deactivate()


def python(code: str, cwd: Path | None = None) -> str:
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, check=True)
    return p.stdout.strip()


# ---------------------------------------------------------------------------
# import monomig


def test_import_monomig_imports_neither_alembic_nor_sqlalchemy() -> None:
    out = python(
        "import sys, monomig; print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'sqlalchemy'))))".replace(
            "json.dumps", "__import__('json').dumps"
        )
    )
    assert json.loads(out) == []
    out = python("import monomig, monomig.bridge, sys; print(monomig.bridge.is_active(), 'alembic' in sys.modules)")
    assert out == "False False"


def test_import_monomig_after_alembic_activates_the_bridge() -> None:
    out = python(
        "import alembic.config, alembic.command\n"
        "from alembic.script.base import ScriptDirectory\n"
        "import monomig\n"
        "from monomig import bridge\n"
        "import tempfile, os\n"
        "d = tempfile.mkdtemp()\n"
        "sd = ScriptDirectory(d)\n"
        "print(bridge.is_active(), type(sd.revision_map).__name__)\n"
        "bridge.activate()\n"  # idempotent
        "print(ScriptDirectory.__init__.__wrapped__.__module__)\n"
    )
    assert out.splitlines() == ["True BridgeRevisionMap", "alembic.script.base"]


PROBE = r"""
import json, sys, types, importlib
import alembic.config, alembic.command
import alembic.script.base as sb, alembic.script.revision as sr, alembic.runtime.migration as rm
owners = {"ScriptDirectory": sb.ScriptDirectory, "Script": sb.Script, "RevisionMap": sr.RevisionMap,
          "Revision": sr.Revision, "MigrationContext": rm.MigrationContext, "HeadMaintainer": rm.HeadMaintainer}
found = []
for o, cls in owners.items():
    for k, v in vars(cls).items():
        f = getattr(v, "__func__", None) or getattr(v, "fget", None) or v
        if isinstance(f, (types.FunctionType, types.BuiltinFunctionType)):
            if not (getattr(f, "__module__", "") or "").startswith("alembic"):
                found.append(f"{o}.{k}")
print(json.dumps(found))
"""


def test_stock_alembic_stays_stock_with_monomig_installed() -> None:
    """The plugin is loaded by `import alembic` but patches nothing outside the alembic command."""
    assert json.loads(python(PROBE)) == []
    out = python(
        "import alembic, importlib.metadata as m; print([e.name for e in m.entry_points(group='alembic.plugins')])"
    )
    assert "monomig" in out


# ---------------------------------------------------------------------------
# Lazy loading


LAZY_INI = """[alembic]
script_location = %(here)s/migrations
sqlalchemy.url = sqlite:///%(here)s/app.db
"""

SEED_ENV = (REPO / "tests" / "fixtures" / "bridge" / "lazy_env.py").read_text()


def _rev(rid: str, down: str | None, broken: bool = False) -> str:
    boom = (
        "\n\ndef _refuse():\n    raise RuntimeError('this revision module must not be imported')\n\n\n_refuse()\n"
        if broken
        else ""
    )
    return (
        f'"""revision {rid}"""\nimport os\n'
        f"with open(os.environ['MONOMIG_IMPORT_LOG'], 'a') as _f:\n    _f.write({rid!r} + '\\n')\n"
        f"{boom}"
        f"revision = {rid!r}\ndown_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n\n"
        "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
    )


def lazy_repo(root: Path, env_imports_monomig: bool = True, broken: int | None = 1, n: int = 6) -> list[str]:
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "alembic.ini").write_text(LAZY_INI)
    env = ("import monomig\n" if env_imports_monomig else "") + SEED_ENV
    (root / "migrations" / "env.py").write_text(env)
    ids = [f"{i:x}" * 12 for i in range(1, n + 1)]
    for i, rid in enumerate(ids):
        down = ids[i - 1] if i else None
        (root / "migrations" / "versions" / f"{rid}_r{i}.py").write_text(
            _rev(rid[:12], down and down[:12], i == broken)
        )
    return [r[:12] for r in ids]


def test_one_behind_upgrade_imports_one_module(tmp_path: Path, bridged: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = lazy_repo(tmp_path, broken=None)
    log = tmp_path / "imports.log"
    monkeypatch.setenv("MONOMIG_IMPORT_LOG", str(log))
    out = run_alembic(tmp_path, ["stamp", ids[-2]])
    assert out.code == 0, out.stderr
    assert not log.exists()  # stamping imports nothing
    out = run_alembic(tmp_path, ["upgrade", "head"])
    assert out.code == 0, out.stderr
    assert log.read_text().split() == [ids[-1]]
    log.unlink()
    for argv in (["current"], ["heads"], ["history"], ["history", "-v"], ["branches"], ["upgrade", "head"]):
        out = run_alembic(tmp_path, argv)
        assert out.code == 0, (argv, out.stderr)
    assert not log.exists()
    out = run_alembic(tmp_path, ["downgrade", "-2"])
    assert out.code == 0, out.stderr
    assert log.read_text().split() == [ids[-1], ids[-2]]


def test_a_broken_module_that_does_not_run_is_not_imported(
    tmp_path: Path, bridged: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = lazy_repo(tmp_path, broken=1)
    monkeypatch.setenv("MONOMIG_IMPORT_LOG", str(tmp_path / "imports.log"))
    assert run_alembic(tmp_path, ["stamp", ids[2]]).code == 0
    out = run_alembic(tmp_path, ["upgrade", "head"])
    assert out.code == 0, out.stderr
    assert (tmp_path / "imports.log").read_text().split() == ids[3:]
    assert run_alembic(tmp_path, ["current"]).stdout.strip() == f"{ids[-1]} (head)"
    # ... and it fails as in stock Alembic once it has to run
    out = run_alembic(tmp_path, ["downgrade", "base"])
    assert out.code != 0 and "this revision module must not be imported" in out.stderr
    bridge.deactivate()
    out = run_alembic(tmp_path, ["heads"])  # stock Alembic imports every module
    assert out.code != 0 and "this revision module must not be imported" in out.stderr


# ---------------------------------------------------------------------------
# The alembic.plugins entry point and its opt-in rule (real `alembic` processes)


def alembic_cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MONOMIG_IMPORT_LOG=str(root / "imports.log"))
    return subprocess.run([ALEMBIC, *args], cwd=root, capture_output=True, text=True, env=env)


@pytest.mark.slow
@PLUGINS
def test_opted_in_project_uses_the_bridge_without_env_py(tmp_path: Path) -> None:
    ids = lazy_repo(tmp_path, env_imports_monomig=True, broken=1)
    for args in (["heads"], ["history"], ["branches"], ["show", ids[3]]):
        p = alembic_cli(tmp_path, *args)
        assert p.returncode == 0, (args, p.stderr)
    assert alembic_cli(tmp_path, "heads").stdout.strip() == f"{ids[-1]} (head)"
    assert not (tmp_path / "imports.log").exists()
    p = alembic_cli(tmp_path, "upgrade", f"{ids[0]}:head", "--sql")
    assert p.returncode != 0 and "this revision module must not be imported" in p.stderr


def test_project_that_did_not_opt_in_keeps_stock_alembic(tmp_path: Path) -> None:
    lazy_repo(tmp_path, env_imports_monomig=False, broken=1)
    p = alembic_cli(tmp_path, "heads")
    assert p.returncode != 0 and "this revision module must not be imported" in p.stderr


@PLUGINS
def test_explicit_ini_key_wins(tmp_path: Path) -> None:
    ids = lazy_repo(tmp_path, env_imports_monomig=False, broken=1)
    ini = tmp_path / "alembic.ini"
    ini.write_text(LAZY_INI + "monomig_bridge = true\n")
    p = alembic_cli(tmp_path, "heads")
    assert p.returncode == 0 and p.stdout.strip() == f"{ids[-1]} (head)", p.stderr
    ini.write_text(LAZY_INI + "monomig_bridge = false\n")
    (tmp_path / "migrations" / "env.py").write_text("import monomig\n" + SEED_ENV)
    p = alembic_cli(tmp_path, "heads")
    assert p.returncode != 0


def test_cli_selection() -> None:
    from monomig_alembic import cli_selection

    assert cli_selection(["-n", "svc", "heads"]) == ([], "svc")
    assert cli_selection(["-c", "a.ini", "--name=x", "-c", "pyproject.toml", "upgrade", "head"]) == (
        ["a.ini", "pyproject.toml"],
        "x",
    )
    assert cli_selection(["-nsvc", "-cfoo.ini", "current"]) == (["foo.ini"], "svc")
    assert cli_selection(["history"]) == ([], "alembic")


@pytest.mark.slow
def test_import_monomig_in_env_py_bridges_the_running_command(tmp_path: Path) -> None:
    """env.py imports monomig in a way the plugin cannot see (so the project did not opt
    in): Alembic built the command's ScriptDirectory before env.py ran, and that one
    must use the bridge too; commands that do not run env.py stay stock."""
    ids = lazy_repo(tmp_path, env_imports_monomig=False, broken=1)
    env = tmp_path / "migrations" / "env.py"
    env.write_text("import importlib\nimportlib.import_module('mono' + 'mig')\n" + SEED_ENV)
    p = alembic_cli(tmp_path, "stamp", ids[-2])
    assert p.returncode == 0, p.stderr
    p = alembic_cli(tmp_path, "upgrade", "head")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "imports.log").read_text().split() == [ids[-1]]
    p = alembic_cli(tmp_path, "current")
    assert p.returncode == 0 and p.stdout.strip() == f"{ids[-1]} (head)", p.stderr
    p = alembic_cli(tmp_path, "heads")
    assert p.returncode != 0 and "this revision module must not be imported" in p.stderr


def test_monomig_bridge_0_keeps_stock_alembic(tmp_path: Path) -> None:
    ids = lazy_repo(tmp_path, env_imports_monomig=True, broken=1)
    env = dict(os.environ, MONOMIG_IMPORT_LOG=str(tmp_path / "imports.log"), MONOMIG_BRIDGE="0")
    for args in (["heads"], ["stamp", ids[-1]]):
        p = subprocess.run([ALEMBIC, *args], cwd=tmp_path, capture_output=True, text=True, env=env)
        assert p.returncode != 0 and "this revision module must not be imported" in p.stderr
