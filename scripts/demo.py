"""`make demo`: check, upgrade and show both services of the demo monorepo on SQLite.

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
    run("monomig", "services")  # the services of alembic.ini
    run("monomig", "check", "--all")  # static CI guardrails for every service, no database
    run("monomig", "status")  # every service's database against its heads
    run("monomig", "upgrade", "--all")  # every service, in parallel, each under its migration lock
    run("monomig", "status")
    run("monomig", "-n", "service_one", "history")  # answered by the Rust core, as Alembic prints it
    for service in ("service_one", "service_two"):
        run("alembic", "-n", service, "current")  # the stock command, bridged by env.py's `import monomig`
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
