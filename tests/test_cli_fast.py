"""The ``monomig`` command itself: the Alembic-free fast path, its help and its own commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support.alembic_versions import FAST_PATH
from support.cli_repo import cli_env, normalize, run_cli
from support.snapshots import assert_snapshot

from monomig import cli

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
@FAST_PATH
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
    assert "    status" in r.stdout
    assert "--all" in r.stdout


def _words(text: str) -> str:
    return " ".join(text.split())


def test_help_snapshot(tmp_path: Path) -> None:
    r = run_cli("monomig", ["--help"], tmp_path)
    assert r.returncode == 0 and r.stderr == ""
    # The global options are the installed Alembic's, help texts included (wrapped wider).
    a = run_cli("alembic", ["--help"], tmp_path)
    ours = r.stdout.split("\noptions:\n")[1].split("\n\n")[0]
    assert _words(ours) == _words(a.stdout.split("\noptions:\n")[1])
    if cli.SPEC["alembic_version"] == cli._GENERATED_SPEC["alembic_version"]:
        assert_snapshot("monomig-help-fleet.txt", r.stdout)


def test_delegated_command_help_is_the_installed_alembics(tmp_path: Path) -> None:
    r = run_cli("monomig", ["current", "--help"], tmp_path)
    assert r.returncode == 0
    a = run_cli("alembic", ["current", "--help"], tmp_path)
    assert normalize(r.stdout) == a.stdout
    if cli.SPEC["alembic_version"] == cli._GENERATED_SPEC["alembic_version"]:
        assert_snapshot("monomig-current-help.txt", r.stdout)


def test_version_names_monomig_and_alembic(tmp_path: Path) -> None:
    import alembic

    r = run_cli("monomig", ["--version"], tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("monomig ")
    assert f"(alembic {alembic.__version__} command line)" in r.stdout


def test_check_as_alembic_accepts_it_is_alembics(tmp_path: Path) -> None:
    # `monomig [-n NAME] check` is Alembic's check: its help is Alembic's, plus a paragraph
    # naming the fleet check
    a = run_cli("alembic", ["-n", "x", "check", "--help"], tmp_path)
    for argv in (["-n", "x", "check", "--help"], ["check", "--help"]):
        m = run_cli("monomig", argv, tmp_path)
        assert m.returncode == 0
        assert normalize(m.stdout).startswith(a.stdout), m.stdout
        assert "monomig check --all" in m.stdout[len(a.stdout) :]
    fleet = run_cli("monomig", ["check", "--all", "--help"], tmp_path)
    assert fleet.returncode == 0 and "fleet check" in fleet.stdout and "Alembic's check" in fleet.stdout
    # which check a command line asks for
    for argv in (
        ["check", "--all"],
        ["check", "-n", "a"],
        ["check", "--json"],
        ["check", "--format=github"],
        ["-c", "x.ini", "check", "--name", "a"],
        ["check", "--js"],
        ["check", "-na"],
    ):
        assert cli.wants_fleet_check(argv), argv
    for argv in (["check"], ["-n", "svc", "check"], ["check", "--help"], ["-x", "--all", "check"], ["heads", "--all"]):
        assert not cli.wants_fleet_check(argv), argv
    # the global -n with the fleet check's options: one clear error, not a guess
    both = run_cli("monomig", ["-n", "svc", "check", "--all"], tmp_path)
    assert both.returncode == 2 and "monomig check --all -n NAME" in both.stderr, both.stderr
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
    rev.write_text(
        rev.read_text().replace("def upgrade():\n    pass", "def upgrade():\n    import time\n    time.sleep(60)")
    )
    marker = root / "started"
    env_py = root / "migrations" / "env.py"
    env_py.write_text(f"open({str(marker)!r}, 'w').close()\n" + env_py.read_text())
    exe = Path(sys.executable).parent / "monomig"
    proc = subprocess.Popen(
        [str(exe), "-n", "svc", "upgrade", "head"],
        cwd=root,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err


# ------------------------------------------------------------- the argparse-free parser

QUICK_WORDS = [
    "-n", "svc", "--name", "-c", "a.ini", "--config", "-x", "k=v", "--raiseerr", "-q", "--quiet",
    "heads", "history", "branches", "show", "current", "upgrade", "-v", "--verbose",
    "--resolve-dependencies", "-r", "--rev-range", "base:heads", "-i", "--indicate-current", "head",
    "-h", "--help", "--version", "--", "-", "-1", "--name=svc", "-nsvc", "--nam", "--verb", "",
    "-vq", "heads2", "a b", "-x y",
]  # fmt: skip


def _argparse_view(argv: list[str]) -> dict[str, object] | None:
    parser = cli.build_parser(fleet_check=cli.wants_fleet_check(argv))
    try:
        import contextlib
        import io

        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            return vars(parser.parse_args(argv))
    except SystemExit:
        return None


def _quick_cases() -> list[list[str]]:
    import random

    rng = random.Random(20261128)
    cases = [
        ["-n", "svc", "heads"],
        ["heads"],
        ["-c", "a.ini", "-c", "b.toml", "-n", "svc", "-x", "a=1", "-x", "b", "--raiseerr", "-q", "history", "-v",
         "-r", "base:heads", "-i"],
        ["--name", "a", "--name", "b", "branches", "--verbose", "-v"],
        ["-n", "svc", "show", "head"],
        ["-n", "svc", "show"],
        ["-n", "svc", "show", "a", "b"],
        ["-n", "svc", "history", "-r"],
        ["-n", "svc", "history", "-r", "-1:"],
        ["-n", "", "heads"],
    ]  # fmt: skip
    commands = ["heads", "history", "branches", "show"]
    own = {
        "heads": [["-v"], ["--verbose"], ["--resolve-dependencies"]],
        "history": [["-v"], ["-i"], ["--indicate-current"], ["-r", "a:b"], ["--rev-range", ":head"]],
        "branches": [["-v"], ["--verbose"]],
        "show": [],
    }
    globals_ = [["-n", "svc"], ["--name", "other"], ["-c", "x.ini"], ["--config", "pyproject.toml"], ["-x", "a=b"],
                ["--raiseerr"], ["-q"], ["--quiet"]]  # fmt: skip
    for _ in range(300):  # well-formed lines, in every combination
        command = rng.choice(commands)
        words = [w for g in rng.sample(globals_, rng.randint(0, 4)) for w in g] + [command]
        if own[command]:
            words += [w for o in rng.choices(own[command], k=rng.randint(0, 3)) for w in o]
        if command == "show":
            words.append(rng.choice(["head", "base", "abc@head", ""]))
        cases.append(words)
    for _ in range(400):  # anything
        words = [rng.choice(QUICK_WORDS) for _ in range(rng.randint(0, 4))]
        words.append(rng.choice(commands))
        words += [rng.choice(QUICK_WORDS) for _ in range(rng.randint(0, 4))]
        cases.append(words)
    return cases


def test_quick_parser_agrees_with_argparse() -> None:
    """Every command line the argparse-free parser accepts parses as argparse parses it."""
    accepted = 0
    for argv in _quick_cases():
        quick = cli._quick_parse(argv)
        if quick is None:
            continue
        accepted += 1
        full = _argparse_view(argv)
        assert full is not None, f"{argv}: quick parse accepted what argparse rejects"
        assert vars(quick) == full, argv
    assert accepted >= 50  # the common forms take the quick path


@FAST_PATH
def test_fast_commands_skip_argparse(demo_copy: Path) -> None:
    code = (
        "import sys\nfrom monomig import cli\nstatus = cli.main(['-n', 'service_one', 'heads'])\n"
        "print('LOADED', sorted(m for m in ('argparse', 'json', 'monomig.fleet', 'subprocess') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=demo_copy, capture_output=True, text=True,
                          env=cli_env())  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("LOADED []"), proc.stdout
