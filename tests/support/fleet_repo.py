"""The tests' one project builder and one command runner.

:class:`FleetRepo` (also importable as ``Repo``) writes a throwaway monorepo: one
alembic.ini with a section per service (``add_service``, ``write_ini``), a shared
env.py that takes the service's URL from its section (tests/support/env_templates.py),
and revision files written on demand (``revision``, ``chain``). The corrupt-repository
builder (support/corrupt_repo.py) starts from it.

:func:`run` runs a command of the test virtualenv (``monomig``, ``alembic``, or the
interpreter itself) in a subprocess from a project's root, with the ``MONOMIG_URL_*``
overrides of the calling environment removed; :func:`monomig` and :func:`alembic` are
its two common cases.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from support.env_templates import section_env_py

ENV_PY = section_env_py(fleet=True)

REVISION = '''\
"""{doc}"""
from alembic import op
import sqlalchemy as sa

revision = {rev!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
{upgrade}


def downgrade():
{downgrade}
'''


_script = Path(sys.executable).parent / "monomig"
MONOMIG = str(_script) if _script.exists() else "monomig"


class FleetRepo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.services: dict[str, dict[str, str]] = {}
        (root / "migrations").mkdir(parents=True, exist_ok=True)
        (root / "migrations" / "env.py").write_text(ENV_PY)
        (root / "migrations" / "script.py.mako").write_text("# unused\n")

    def add_service(self, name: str, url: str | None, **options: str) -> Path:
        versions = self.root / "migrations" / "versions" / name
        versions.mkdir(parents=True, exist_ok=True)
        opts = {"script_location": "./migrations", "version_locations": f"./migrations/versions/{name}"}
        if url is not None:
            opts["sqlalchemy.url"] = url.replace("%", "%%")
        opts.update(options)
        self.services[name] = opts
        self.write_ini()
        return versions

    def write_ini(self) -> None:
        lines = ["[alembic]", "databases = " + ", ".join(self.services), "", "[DEFAULT]", "path_separator = os", ""]
        for name, opts in self.services.items():
            lines.append(f"[{name}]")
            lines += [f"{k} = {v}" for k, v in opts.items()]
            lines.append("")
        (self.root / "alembic.ini").write_text("\n".join(lines))

    def revision(
        self,
        service: str,
        rev: str,
        down: str | tuple[str, ...] | None,
        upgrade: str = "pass",
        downgrade: str = "pass",
        filename: str | None = None,
        text: str | None = None,
    ) -> Path:
        path = self.root / "migrations" / "versions" / service / (filename or f"{rev}_rev.py")
        if text is None:
            text = REVISION.format(
                doc=f"revision {rev}",
                rev=rev,
                down=down,
                upgrade=textwrap.indent(textwrap.dedent(upgrade).strip() or "pass", "    "),
                downgrade=textwrap.indent(textwrap.dedent(downgrade).strip() or "pass", "    "),
            )
        path.write_text(text)
        return path

    def chain(self, service: str, count: int, prefix: str | None = None, **kw: str) -> list[str]:
        prefix = prefix or service[:4]
        revs = [f"{prefix}{i:04d}" for i in range(count)]
        for i, r in enumerate(revs):
            self.revision(service, r, revs[i - 1] if i else None, **kw)
        return revs


#: The name the fleet tests import it by.
Repo = FleetRepo


def env_without_urls() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONOMIG_URL_")}
    env["PYTHONPATH"] = ""
    return env


def run(
    program: str,
    root: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``program ARGS`` from ``root``: "monomig", "alembic" (the test virtualenv's
    commands), "python" (its interpreter) or a path. ``env`` replaces the environment
    (default: this one without ``MONOMIG_URL_*``); stdin is empty (never a terminal)
    unless ``input`` is given."""
    if program == "python":
        argv = [sys.executable]
    elif program == "alembic":
        argv = [sys.executable, "-m", "alembic"]
    elif program == "monomig":
        argv = [MONOMIG]
    else:
        argv = [program]
    return subprocess.run(
        [*argv, *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=env or env_without_urls(),
        timeout=timeout,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


def monomig(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return run("monomig", root, *args, env=env, timeout=timeout)


def alembic(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return run("alembic", root, *args, env=env, timeout=timeout)


_alembic_script = Path(sys.executable).parent / "alembic"
ALEMBIC_SCRIPT = str(_alembic_script) if _alembic_script.exists() else "alembic"


def alembic_script(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The ``alembic`` console script (not ``python -m alembic``): Alembic's plugin, and so
    the bridge of a project that opted in with ``monomig_bridge = true``, recognises the
    command only under that name."""
    return run(ALEMBIC_SCRIPT, root, *args, env=env, timeout=timeout)
