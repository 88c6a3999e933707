"""`make demo`: upgrade both services of the demo monorepo on SQLite and show their state.

Runs from the repository root, where alembic.ini lives, with the virtualenv's
`alembic` and `monomig` on PATH (the Makefile sets it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*cmd: str) -> None:
    print(f"\n$ {' '.join(cmd)}", flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def main() -> int:
    (ROOT / "var").mkdir(exist_ok=True)
    if not shutil.which("monomig"):
        print("monomig is not installed in this environment; run `make demo`", file=sys.stderr)
        return 2
    run("monomig", "services")
    for service in ("service_one", "service_two"):
        run("alembic", "-n", service, "upgrade", "head")
    for service in ("service_one", "service_two"):
        run("alembic", "-n", service, "current")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
