"""The supported Alembic range (python/monomig/_alembic_support.py): inside it the
bridge activates; outside it (here Alembic 1.12.1, from the package index, in a cached
virtualenv of scripts/alembic_matrix.py) it refuses with one warning per process and
every command gives stock Alembic's output, unless ``MONOMIG_BRIDGE=force``.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import re
import sys
from pathlib import Path

import pytest
from support.fleet_repo import ENV_PY, FleetRepo, env_without_urls, run

import monomig
from monomig import _alembic_support

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("version", "supported"),
    [
        ("1.12.1", False),
        ("1.12.99", False),
        ("1.13.0", True),
        ("1.13.3", True),
        ("1.17.0", True),
        ("1.20.1", True),
        ("1.20.9", True),
        ("1.21.0", False),
        ("1.21.0b1", False),
        ("2.0.0", False),
        ("0.9.10", False),
        ("garbage", False),
    ],
)
def test_the_range_and_the_message(monkeypatch: pytest.MonkeyPatch, version: str, supported: bool) -> None:
    monkeypatch.setattr(_alembic_support, "installed_version", lambda: version)
    found = _alembic_support.check(environ={})
    assert (found.version, found.supported, found.forced, found.may_activate) == (version, supported, False, supported)
    assert found.range == "1.13.0 to 1.20.x"
    if supported:
        assert found.message == ""
    else:
        assert found.message == (
            f"monomig: warning: Alembic {version} is outside the range monomig's bridge supports "
            "(1.13.0 to 1.20.x), so the bridge stays off and Alembic runs as it does without monomig. "
            "Install a supported Alembic (pip install 'monomig[alembic]'), or set MONOMIG_BRIDGE=force "
            "to switch the bridge on anyway, at your own risk."
        )
        forced = _alembic_support.check(environ={"MONOMIG_BRIDGE": " Force "})
        assert (forced.supported, forced.forced, forced.may_activate) == (False, True, True)
        assert "MONOMIG_BRIDGE=force switches the bridge on anyway, at your own risk" in forced.message
    # any other MONOMIG_BRIDGE value forces nothing
    assert not _alembic_support.check(environ={"MONOMIG_BRIDGE": "1"}).forced


def test_the_installed_alembic_is_supported_and_feature_checks_follow_it() -> None:
    import alembic

    found = _alembic_support.check()
    assert found.version == alembic.__version__
    assert found.supported and found.message == ""
    parsed = _alembic_support.parse_version(alembic.__version__)
    assert parsed is not None
    assert _alembic_support.at_least(1, 13)
    assert _alembic_support.at_least(*parsed)
    assert not _alembic_support.at_least(parsed[0], parsed[1] + 1)


def _matrix() -> object:
    spec = importlib.util.spec_from_file_location("monomig_alembic_matrix", REPO / "scripts" / "alembic_matrix.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _venv_outside_the_range() -> Path:
    """The cached virtualenv with Alembic 1.12.1 (built once per machine)."""
    matrix = _matrix()
    lock_path = matrix.cache_dir() / ".outside.lock"  # type: ignore[attr-defined]
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return matrix.ensure_venv("1.12", sys.executable, rebuild=False, quiet=True)  # type: ignore[attr-defined,no-any-return]
        except matrix.SetupFailed as e:  # type: ignore[attr-defined]
            if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
                raise
            pytest.skip(f"no virtualenv with Alembic 1.12.1 (needs the package index): {e}")


def _overlay(tmp: Path) -> Path:
    """A folder that puts this installed monomig (not its Alembic) on another
    interpreter's path: links to the two installed packages."""
    import monomig_alembic

    overlay = tmp / "overlay"
    overlay.mkdir()
    for package in (monomig, monomig_alembic):
        assert package.__file__ is not None
        (overlay / package.__name__).symlink_to(Path(package.__file__).parent, target_is_directory=True)
    return overlay


@pytest.mark.slow
def test_outside_the_range_the_bridge_refuses_and_commands_are_stock(tmp_path: Path) -> None:
    venv = _venv_outside_the_range()
    alembic = str(venv / "bin" / "alembic")
    python = str(venv / "bin" / "python")
    repo = FleetRepo(tmp_path / "proj")
    db = tmp_path / "svc.db"
    repo.add_service("svc", f"sqlite:///{db}")
    revs = repo.chain("svc", 3)
    first = repo.root / "migrations" / "versions" / "svc" / f"{revs[0]}_rev.py"
    # Stock Alembic imports every revision module to build its graph; the bridge does
    # not for `current`: this line shows which of the two answered.
    first.write_text(first.read_text() + "\nimport sys\nsys.stderr.write('module svc0000 imported\\n')\n")
    env_py = repo.root / "migrations" / "env.py"

    stock_env = env_without_urls()
    bridged_env = {**stock_env, "PYTHONPATH": str(_overlay(tmp_path))}
    commands = [
        ["-n", "svc", "upgrade", revs[1]],
        ["-n", "svc", "current"],
        ["-n", "svc", "heads"],
        ["-n", "svc", "history"],
        ["-n", "svc", "upgrade", "head", "--sql"],
        ["-n", "svc", "upgrade", "head"],
        ["-n", "svc", "current"],
    ]

    def sequence(env: dict[str, str]) -> list[tuple[int, str, str]]:
        if db.exists():
            db.unlink()
        return [(r.returncode, r.stdout, r.stderr) for r in (run(alembic, repo.root, *c, env=env) for c in commands)]

    stock = sequence(stock_env)  # stock Alembic 1.12.1, monomig not installed
    assert [s[0] for s in stock] == [0] * len(commands), stock
    assert "module svc0000 imported" in stock[1][2]

    env_py.write_text("import monomig\n" + ENV_PY)  # the one line the README asks for
    bridged = sequence(bridged_env)
    warning = (
        "monomig: warning: Alembic 1.12.1 is outside the range monomig's bridge supports (1.13.0 to 1.20.x), "
        "so the bridge stays off and Alembic runs as it does without monomig. Install a supported Alembic "
        "(pip install 'monomig[alembic]'), or set MONOMIG_BRIDGE=force to switch the bridge on anyway, "
        "at your own risk.\n"
    )
    for command, (code, out, err), (s_code, s_out, s_err) in zip(commands, bridged, stock, strict=True):
        assert (code, out) == (s_code, s_out), command
        env_runs = command[2:] != ["heads"] and command[2:] != ["history"]
        # env.py ran (and imported monomig): one warning, and otherwise stock's stderr
        assert err.count(warning) == (1 if env_runs else 0), (command, err)
        assert err.replace(warning, "") == s_err, command

    # The monomig command on that Alembic: Alembic's commands are stock Alembic's (the
    # fast path hands over), monomig's own commands work.
    monomig_cmd = [python, "-m", "monomig.cli"]
    heads = run(monomig_cmd[0], repo.root, *monomig_cmd[1:], "-n", "svc", "heads", env=bridged_env)
    assert (heads.returncode, heads.stdout) == (0, stock[2][1])
    assert heads.stderr.count(warning) == 1
    for fleet in (["downgrade", "--all", "base", "--yes"], ["upgrade", "--all"]):
        done = run(monomig_cmd[0], repo.root, *monomig_cmd[1:], *fleet, env=bridged_env)
        assert done.returncode == 0, (fleet, done.stdout, done.stderr)
    status = run(monomig_cmd[0], repo.root, *monomig_cmd[1:], "status", "--json", env=bridged_env)
    assert status.returncode == 0, status.stderr
    assert '"state": "up_to_date"' in status.stdout
    check = run(monomig_cmd[0], repo.root, *monomig_cmd[1:], "check", "--all", env=bridged_env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "warning" not in status.stderr + check.stderr

    # doctor names the refusal for the service that opted in (env.py imports monomig),
    # and says the bridge is on (untested) under MONOMIG_BRIDGE=force.
    import json

    doctor = run(monomig_cmd[0], repo.root, *monomig_cmd[1:], "doctor", "--json", env=bridged_env)
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    report = json.loads(doctor.stdout)
    found = [(p["code"], p["service"]) for p in report["problems"]]
    assert ("alembic_unsupported", "svc") in found, report["problems"]
    assert "Alembic 1.12.1 is outside the range" in json.dumps(report["problems"])
    forced_env = {**bridged_env, "MONOMIG_BRIDGE": "force"}
    doctor = run(monomig_cmd[0], repo.root, *monomig_cmd[1:], "doctor", "--json", env=forced_env)
    report = json.loads(doctor.stdout)
    assert "alembic_unsupported" not in [p["code"] for p in report["problems"]], report["problems"]
    assert "forced with MONOMIG_BRIDGE=force" in doctor.stdout

    # MONOMIG_BRIDGE=force: the bridge switches on anyway (`current` imports no revision
    # module), with the at-your-own-risk warning, once.
    forced = run(alembic, repo.root, "-n", "svc", "current", env={**bridged_env, "MONOMIG_BRIDGE": "force"})
    assert (forced.returncode, forced.stdout) == (0, stock[6][1])
    assert "module svc0000 imported" not in forced.stderr
    assert forced.stderr.count("MONOMIG_BRIDGE=force switches the bridge on anyway, at your own risk") == 1


def test_colons_in_revision_ids_follow_the_installed_alembic(tmp_path: Path) -> None:
    """Alembic accepts ':' in a revision id before 1.17.1 (#1540) and refuses it from
    then on; monomig's reader, graph and the commands through the bridge do the same."""
    from alembic.script.revision import Revision, RevisionError

    try:
        Revision("a:b", None)
        accepted = True
    except RevisionError:
        accepted = False
    assert accepted == (not _alembic_support.at_least(1, 17, 1))

    repo = FleetRepo(tmp_path / "proj")
    repo.add_service("svc", f"sqlite:///{tmp_path / 'db.sqlite'}")
    repo.revision("svc", "a:b", None, filename="ab_rev.py")
    repo.revision("svc", "c1", "a:b")
    versions = repo.root / "migrations" / "versions" / "svc"
    message = "Character(s) ':' not allowed in revision identifier 'a:b'"
    if accepted:
        entries, _ = monomig._native.scan_revisions([str(versions)], cache=False)
        assert sorted(e.revision for e in entries) == ["a:b", "c1"]
        assert monomig._native.RevisionGraph(entries).heads == ("c1",)
    else:
        with pytest.raises(monomig.MonomigError, match=re.escape(message)):
            monomig._native.scan_revisions([str(versions)], cache=False)
    env = env_without_urls()
    stock = run("alembic", repo.root, "-n", "svc", "heads", env=env)
    ours = run("monomig", repo.root, "-n", "svc", "heads", env=env)
    # `upgrade head --sql` runs env.py, whose `import monomig` switches the bridge on.
    stock_sql = run("alembic", repo.root, "-n", "svc", "upgrade", "head", "--sql", env={**env, "MONOMIG_BRIDGE": "0"})
    bridged_sql = run("alembic", repo.root, "-n", "svc", "upgrade", "head", "--sql", env=env)
    if accepted:
        assert (ours.returncode, ours.stdout) == (stock.returncode, stock.stdout) == (0, "c1 (head)\n"), ours.stderr
        assert bridged_sql.returncode == stock_sql.returncode == 0, bridged_sql.stderr
        assert "UPDATE alembic_version SET version_num='c1'" in bridged_sql.stdout
    else:
        assert stock.returncode != 0 and message in stock.stderr
        assert ours.returncode != 0 and message in ours.stderr, ours.stderr


@pytest.mark.slow
def test_colons_in_revision_ids_in_the_fleet_commands_follow_the_installed_alembic(tmp_path: Path) -> None:
    """`status`, `check --all` and `upgrade --all` read a service's revisions by the id
    rules of the installed Alembic, as `alembic upgrade head` does: ':' is accepted
    before 1.17.1 and refused with Alembic's message from then on."""
    import json

    accepted = not _alembic_support.at_least(1, 17, 1)
    message = "Character(s) ':' not allowed in revision identifier 'a:b'"
    repo = FleetRepo(tmp_path / "proj")
    repo.add_service("svc", f"sqlite:///{tmp_path / 'db.sqlite'}")
    repo.revision("svc", "a:b", None, filename="ab_rev.py")
    repo.revision("svc", "c1", "a:b")
    env = env_without_urls()
    stock = run("alembic", repo.root, "-n", "svc", "heads", env={**env, "MONOMIG_BRIDGE": "0"})
    before = run("monomig", repo.root, "status", "--json", env=env)
    upgrade = run("monomig", repo.root, "upgrade", "--all", env=env)
    after = run("monomig", repo.root, "status", "--json", env=env)
    check = run("monomig", repo.root, "check", "--all", env=env)
    [b], [a] = json.loads(before.stdout), json.loads(after.stdout)
    if accepted:
        assert (stock.returncode, stock.stdout) == (0, "c1 (head)\n"), stock.stderr
        assert (b["state"], b["heads"], b["pending"]) == ("not_initialized", ["c1"], 2), before.stdout
        assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
        assert (a["state"], a["current"]) == ("up_to_date", ["c1"]), after.stdout
        assert check.returncode == 0, check.stdout + check.stderr
    else:
        assert stock.returncode != 0 and message in stock.stderr
        assert b["state"] == "error" and message in b["error"], before.stdout
        assert upgrade.returncode != 0 and message in upgrade.stdout + upgrade.stderr
        assert message in check.stdout and check.returncode == 1, check.stdout + check.stderr
