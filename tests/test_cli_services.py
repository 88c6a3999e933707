"""The ``monomig services`` command, run as the installed console script."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import fleet_repo

import monomig
from monomig import cli


def monomig_exe() -> str:
    exe = Path(sys.executable).parent / "monomig"
    assert exe.exists(), f"the monomig console script is not installed next to {sys.executable}"
    return str(exe)


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "ALEMBIC_CONFIG"}
    full_env.update(env or {})
    return fleet_repo.run(monomig_exe(), cwd, *args, env=full_env, timeout=60)


def test_services_json_on_the_demo(demo_copy: Path) -> None:
    result = run("services", "--json", cwd=demo_copy)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [s["name"] for s in data] == ["service_one", "service_two"]
    for entry in data:
        assert set(entry) == {"name", "script_location", "version_locations", "options"}
        assert entry["script_location"] == str(demo_copy / "migrations")
        assert entry["version_locations"] == [str(demo_copy / "migrations" / "versions" / entry["name"])]
        assert entry["options"]["here"] == str(demo_copy)
        assert entry["options"]["version_locations"] == f"./migrations/versions/{entry['name']}"
    assert result.stderr == ""


def test_services_table(demo_copy: Path) -> None:
    result = run("services", cwd=demo_copy)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["SERVICE", "SCRIPT_LOCATION", "VERSION_LOCATIONS"]
    assert [line.split()[0] for line in lines[1:]] == ["service_one", "service_two"]
    assert str(demo_copy / "migrations" / "versions" / "service_two") in lines[2]


def test_config_options(demo_copy: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    # -c with an absolute path: relative script_location now points into the working directory.
    result = run("services", "-c", str(demo_copy / "alembic.ini"), cwd=other)
    assert result.returncode == 2
    assert result.stderr.startswith("monomig: error: ")
    assert "Path doesn't exist: migrations" in result.stderr
    # ALEMBIC_CONFIG is the default.
    result = run("services", "--json", cwd=demo_copy, env={"ALEMBIC_CONFIG": "alembic.ini"})
    assert result.returncode == 0
    # -c twice: one ini and one pyproject.toml
    (demo_copy / "tools").mkdir()
    (demo_copy / "tools" / "pyproject.toml").write_text('[tool.alembic]\nfile_template = "%%(rev)s"\n')
    result = run("services", "-c", "tools/pyproject.toml", "-c", "alembic.ini", "--json", cwd=demo_copy)
    assert result.returncode == 0, result.stderr
    result = run("services", "-c", "a.ini", "-c", "b.ini", cwd=demo_copy)
    assert (result.returncode, result.stderr.startswith("monomig: error: only one ini file")) == (2, True)
    result = run("services", "--toml-file", "tools/pyproject.toml", "--json", cwd=demo_copy)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[alembic]\nscript_location = x\nbad line\n", "alembic.ini, line 3"),
        ("no header = 1\n", "alembic.ini, line 1"),
        ("[s]\nscript_location = %(missing)s\n", "option 'script_location'"),
        ("[s]\nscript_location = a\n[s]\n", "section [s] appears a second time"),
        ("[s]\nscript_location = migrations\npath_separator = tab\nversion_locations = a\n", "'tab' is not a valid"),
        ("[s]\nscript_location = migrations\nsqlalchemy.url = pg://u:topsecret%41@h/d\n", "pg://u:***@h/d"),
    ],
)
def test_bad_input_prints_one_error_and_exits_2(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "alembic.ini").write_text(text)
    result = run("services", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("monomig: error: ")
    assert result.stderr.count("\n") == 1, result.stderr  # one paragraph, no traceback
    assert "Traceback" not in result.stderr and "topsecret" not in result.stderr
    assert needle in result.stderr


def test_missing_config_file(tmp_path: Path) -> None:
    result = run("services", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"monomig: error: config file alembic.ini not found (looked in {tmp_path}); pass the right file with -c, "
        "or set ALEMBIC_CONFIG\n"
    )


def test_passwords_masked_in_json(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\nscript_location = migrations\nsqlalchemy.url = postgresql://app:hunter2@db/main\n"
    )
    result = run("services", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout
    assert json.loads(result.stdout)[0]["options"]["sqlalchemy.url"] == "postgresql://app:***@db/main"


def test_warnings_go_to_stderr(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\nversion_locations = a b\n")
    result = run("services", "--json", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr.startswith("monomig: warning: [alembic] No path_separator found in configuration")
    assert json.loads(result.stdout)[0]["version_locations"] == [str(tmp_path / "a"), str(tmp_path / "b")]


def test_no_services(tmp_path: Path) -> None:
    (tmp_path / "alembic.ini").write_text("[loggers]\nkeys = root\n")
    assert run("services", "--json", cwd=tmp_path).stdout == "[]\n"
    assert run("services", cwd=tmp_path).stdout.startswith("no services in ")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = run(cwd=tmp_path)
    # Alembic's own words for a missing command (`alembic` with no arguments).
    assert result.returncode == 2 and "error: too few arguments" in result.stderr
    assert run("nonsense", cwd=tmp_path).returncode == 2
    version = run("--version", cwd=tmp_path)
    assert version.returncode == 0 and monomig.__version__ in version.stdout


def test_main_in_process(demo_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(demo_copy)
    monkeypatch.delenv("ALEMBIC_CONFIG", raising=False)
    assert cli.main(["services", "--json"]) == 0
    assert [s["name"] for s in json.loads(capsys.readouterr().out)] == ["service_one", "service_two"]
    assert cli.main(["services", "-c", "nope.ini"]) == 2
    assert capsys.readouterr().err.startswith("monomig: error: config file nope.ini not found")


def test_cli_imports_only_the_allowed_modules() -> None:
    tree = ast.parse(Path(cli.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    # Only the standard library (the rest imported lazily where needed) and monomig.
    allowed = {"__future__", "argparse", "json", "sys", "os", "monomig", "typing", "warnings"}
    allowed |= {"importlib", "re", "textwrap", "fcntl", "struct", "termios", "alembic", "types"}
    assert imported <= allowed, imported
    code = (
        "import sys, monomig.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'sqlalchemy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
