"""The ``monomig`` command itself: the Alembic-free fast path, its help and its own commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monomig import cli
from support.cli_repo import cli_env, normalize, run_cli

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"

NO_IMPORT = """
import sys
from monomig import cli
status = cli.main(sys.argv[1:])
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"alembic", "sqlalchemy", "mako"})
print("LOADED", loaded, status)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["-n", "service_one", "heads"],
        ["-n", "service_one", "heads", "-v", "--resolve-dependencies"],
        ["-n", "service_one", "history"],
        ["-n", "service_one", "history", "--verbose", "-r", "base:heads"],
        ["-n", "service_one", "branches", "-v"],
        ["-n", "service_two", "show", "reporting@head"],
        ["-n", "service_two", "show", "nosuch"],
        ["-n", "service_two", "history", "-r", "nocolon"],
    ],
)
def test_graph_commands_import_neither_alembic_nor_sqlalchemy(demo_copy: Path, args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", NO_IMPORT, *args], cwd=demo_copy, env=cli_env(), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("LOADED [] "), last


def test_show_current_and_history_indicate_current_are_alembics(demo_copy: Path) -> None:
    for args in (["-n", "service_one", "show", "current"], ["-n", "service_one", "history", "-i"]):
        proc = subprocess.run(
            [sys.executable, "-c", NO_IMPORT, *args], cwd=demo_copy, env=cli_env(), capture_output=True, text=True
        )
        assert "'alembic'" in proc.stdout.strip().splitlines()[-1], proc.stdout + proc.stderr


def test_help_lists_alembic_and_monomig_commands(tmp_path: Path) -> None:
    r = run_cli("monomig", ["--help"], tmp_path)
    assert r.returncode == 0
    for command in ("heads", "history", "upgrade", "stamp", "services", "check"):
        assert f"    {command}" in r.stdout, command
    if cli._fleet is not None:
        assert "    status" in r.stdout
        assert "--all" in r.stdout


def _snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("MONOMIG_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text)
    if not path.exists():
        pytest.skip(f"no snapshot {name}: run with MONOMIG_UPDATE_SNAPSHOTS=1 to record it")
    assert text == path.read_text(), f"{name} changed: review, then rerun with MONOMIG_UPDATE_SNAPSHOTS=1"


def test_help_snapshot(tmp_path: Path) -> None:
    r = run_cli("monomig", ["--help"], tmp_path)
    assert r.returncode == 0 and r.stderr == ""
    variant = "fleet" if cli._fleet is not None else "nofleet"
    _snapshot(f"monomig-help-{variant}.txt", r.stdout)


def test_delegated_command_help_snapshot(tmp_path: Path) -> None:
    r = run_cli("monomig", ["current", "--help"], tmp_path)
    assert r.returncode == 0
    _snapshot("monomig-current-help.txt", r.stdout)
    a = run_cli("alembic", ["current", "--help"], tmp_path)
    assert normalize(r.stdout) == a.stdout


def test_version_names_monomig_and_alembic(tmp_path: Path) -> None:
    r = run_cli("monomig", ["--version"], tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("monomig ") and "alembic 1.20.1" in r.stdout


def test_global_name_chooses_alembic_check(tmp_path: Path) -> None:
    # `monomig -n NAME check` is Alembic's check: its help is Alembic's
    a = run_cli("alembic", ["-n", "x", "check", "--help"], tmp_path)
    m = run_cli("monomig", ["-n", "x", "check", "--help"], tmp_path)
    assert normalize(m.stdout) == a.stdout
    assert cli._prescan(["-n", "svc", "check"]) == ("check", True)
    assert cli._prescan(["--name=svc", "check"]) == ("check", True)
    assert cli._prescan(["-nsvc", "check"]) == ("check", True)
    assert cli._prescan(["-c", "x.ini", "check", "-n", "a"]) == ("check", False)
    assert cli._prescan(["-x", "-n", "check"]) == ("check", False)


def test_broken_pipe_is_quiet(tmp_path: Path) -> None:
    from support.cli_repo import write_project

    entries = [(f"{i:012x}", f"{i - 1:012x}" if i else None, None, None) for i in range(400)]
    root = write_project(tmp_path / "p", {"svc": entries})
    exe = Path(sys.executable).parent / "monomig"
    p = subprocess.Popen(
        f"'{exe}' -n svc history -v | head -c 10",
        shell=True,
        cwd=root,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = p.communicate(timeout=60)
    assert len(out) == 10 and "Traceback" not in err and "BrokenPipe" not in err


def test_ctrl_c_exits_130_without_a_traceback(tmp_path: Path) -> None:
    import signal
    import time

    from support.cli_repo import write_project

    root = write_project(tmp_path / "p", {"svc": [("aaaa00000001", None, None, None)]})
    rev = next((root / "migrations" / "versions" / "svc").glob("*.py"))
    rev.write_text(rev.read_text().replace("def upgrade():\n    pass", "def upgrade():\n    import time\n    time.sleep(60)"))
    marker = root / "started"
    env_py = root / "migrations" / "env.py"
    env_py.write_text(f"open({str(marker)!r}, 'w').close()\n" + env_py.read_text())
    exe = Path(sys.executable).parent / "monomig"
    proc = subprocess.Popen(
        [str(exe), "-n", "svc", "upgrade", "head"], cwd=root, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err
