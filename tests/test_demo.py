"""`make demo`'s script, run on a private copy of the demo monorepo with the installed wheel."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.snapshots import assert_snapshot

BIN = Path(sys.executable).parent


@pytest.mark.slow
def test_demo_script_upgrades_both_services(demo_copy: Path, repo_root: Path) -> None:
    (demo_copy / "scripts").mkdir()
    shutil.copy2(repo_root / "scripts" / "demo.py", demo_copy / "scripts" / "demo.py")
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("ALEMBIC_CONFIG", None)
    p = subprocess.run(
        [sys.executable, "scripts/demo.py"], cwd=demo_copy, env=env, capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert "monomig check: 2 services, no findings" in p.stdout
    status_after = p.stdout.split("$ monomig status")[-1]
    assert status_after.count("up to date") == 2
    assert "6f708192a3b4 (head)" in p.stdout and "c3d4e5f6a7b8 (head)" in p.stdout
    # A second run finds nothing to do.
    again = subprocess.run(
        [sys.executable, "scripts/demo.py"], cwd=demo_copy, env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "up to date" in again.stdout.split("$ monomig upgrade --all")[1]


def test_make_demo_announces_each_long_step(repo_root: Path) -> None:
    """`make demo` says what each long step does before it starts (on a fresh machine pip and
    the release build take minutes): the shape of those lines, from make's dry run of every step."""
    p = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", "demo"], cwd=repo_root, capture_output=True, text=True, timeout=60
    )
    assert p.returncode == 0, p.stderr
    # the lines as the terminal shows them (`echo "==>" "text"` prints `==> text`)
    steps = [" ".join(shlex.split(line)[1:]) for line in p.stdout.splitlines() if line.startswith('echo "==>"')]
    assert_snapshot("make-demo-progress.txt", "\n".join(steps) + "\n")
    # pip and cargo show their own progress: nothing in the long steps is silenced
    long_steps = [line for line in p.stdout.splitlines() if "requirements-dev.txt" in line or "maturin build" in line]
    assert long_steps and not any("--quiet" in line for line in long_steps), long_steps
