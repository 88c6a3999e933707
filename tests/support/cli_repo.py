"""Alembic projects on disk for the command-line tests, and running both commands on them.

``write_project`` lays out an ``alembic.ini`` with one section per service, a shared
``env.py`` (SQLite, online and offline; support/env_templates.py) and revision files as
``alembic revision`` writes them. ``run_cli`` runs ``alembic`` or ``monomig`` as a real
subprocess through support.fleet_repo.run, with a fixed hash seed and width;
``run_batch`` runs many command lines of one tool in one interpreter (each with its
own stdout/stderr and exit status), which keeps the random tests affordable.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from support.env_templates import section_env_py
from support.fleet_repo import run

BIN = Path(sys.executable).parent
HASHSEED = "0"

ENV_PY = section_env_py(fleet=False)

SCRIPT_MAKO = '''\
"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from alembic import op
import sqlalchemy as sa

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade():
    pass


def downgrade():
    pass
'''


def _revs_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    return ", ".join(v)


def revision_file(entry: tuple[Any, ...], index: int, doc: str | None = None) -> str:
    rev, down, deps, labels = entry[:4]
    message = doc if doc is not None else f"step {index} of the schema"
    return (
        f'"""{message}\n\nRevision ID: {rev}\nRevises: {_revs_text(down)}\n'
        f'Create Date: 2024-01-{index % 28 + 1:02d} 12:{index % 60:02d}:00.000000\n\n"""\n'
        "from alembic import op\nimport sqlalchemy as sa\n\n"
        f"revision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = {labels!r}\ndepends_on = {deps!r}\n\n\n"
        "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
    )


def write_versions(versions: Path, entries: list[tuple[Any, ...]], docs: list[str] | None = None) -> None:
    versions.mkdir(parents=True, exist_ok=True)
    for i, entry in enumerate(entries):
        doc = docs[i] if docs else None
        (versions / f"{i:04d}_{entry[0]}.py").write_text(revision_file(entry, i, doc))


def write_project(root: Path, services: dict[str, list[tuple[Any, ...]]], extra_ini: str = "") -> Path:
    """``root/alembic.ini`` with a section per service (``versions/<service>``, ``var/<service>.db``)."""
    root.mkdir(parents=True, exist_ok=True)
    mig = root / "migrations"
    mig.mkdir(exist_ok=True)
    (mig / "env.py").write_text(ENV_PY)
    (mig / "script.py.mako").write_text(SCRIPT_MAKO)
    (root / "var").mkdir(exist_ok=True)
    lines = ["[alembic]", "script_location = %(here)s/migrations", "path_separator = os", ""]
    for name, entries in services.items():
        write_versions(mig / "versions" / name, entries)
        lines += [
            f"[{name}]",
            "script_location = %(here)s/migrations",
            f"version_locations = %(here)s/migrations/versions/{name}",
            "path_separator = os",
            f"sqlalchemy.url = sqlite:///%(here)s/var/{name}.db",
            "",
        ]
    (root / "alembic.ini").write_text("\n".join(lines) + extra_ini)
    return root


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ALEMBIC_CONFIG", "PYTHONWARNINGS")}
    env["PYTHONHASHSEED"] = HASHSEED
    env["COLUMNS"] = "100"
    env.update(extra or {})
    return env


def run_cli(
    tool: str, args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``alembic`` or ``monomig`` (the console scripts) with :func:`cli_env` (support.fleet_repo.run)."""
    return run(str(BIN / tool), cwd, *args, env=cli_env(env), timeout=120)


def normalize(text: str) -> str:
    """monomig's program name where argparse prints it, read as alembic's."""
    text = text.replace("usage: monomig", "usage: alembic")
    # the list of commands in the top-level usage: Alembic's plus monomig's own (those of
    # the parser and every module of monomig.commands)
    from monomig import commands

    own = ["services", "doctor", "status", *(re.escape(m.NAME) for m in commands.modules())]
    text = re.sub(rf",(?:{'|'.join(own)})\b", "", text)
    return re.sub(r"(?m)^monomig((?: \w+)?: error:)", r"alembic\1", text)


BATCH = r"""
import json, os, sys, tempfile, traceback
tool, argvs, result_path = json.loads(sys.stdin.read())
if tool == "alembic":
    from alembic.config import CommandLine
    def run(argv):
        CommandLine(prog="alembic").main(argv)
else:
    from monomig import cli
    def run(argv):
        code = cli.main(argv)
        if code:
            raise SystemExit(code)
import warnings
results = []
saved = os.dup(1), os.dup(2)
filters = list(warnings.filters)
for argv in argvs:
    # each command line warns as a fresh process would ("default": once per location)
    warnings.filters[:] = filters
    warnings._filters_mutated()
    sys.stdout.flush(); sys.stderr.flush()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        os.dup2(out.fileno(), 1); os.dup2(err.fileno(), 2)
        code = 0
        try:
            run(argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException as e:
            code = "exception"
            sys.stderr.write(traceback.format_exception_only(type(e), e)[-1])
        sys.stdout.flush(); sys.stderr.flush()
        os.dup2(saved[0], 1); os.dup2(saved[1], 2)
        out.seek(0); err.seek(0)
        results.append([out.read().decode(), err.read().decode(), code % 256 if isinstance(code, int) else code])
with open(result_path, "w") as f:
    json.dump(results, f)
"""


def run_batch(tool: str, argvs: list[list[str]], cwd: Path) -> list[tuple[str, str, Any]]:
    """Run each command line of ``tool`` in one interpreter: ``(stdout, stderr, status)`` each."""
    result_path = cwd.parent / f".batch-{tool}.json"
    proc = subprocess.run(
        [sys.executable, "-c", BATCH],
        input=json.dumps([tool, argvs, str(result_path)]),
        cwd=cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(result_path.read_text())
    result_path.unlink()
    return [tuple(r) for r in results]
