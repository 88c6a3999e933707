"""`make demo`'s script, run on a private copy of the demo monorepo with the installed wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
