"""Throwaway monorepos for the fleet commands: one alembic.ini with a section per
service, a shared env.py that takes the service's URL from its section (as Alembic's
generic template does), and revision files written on demand."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ENV_PY = '''\
import logging

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
logging.basicConfig(level=logging.WARNING, format="%(levelname)-5.5s [%(name)s] %(message)s")
logging.getLogger("alembic").setLevel(logging.INFO)
version_table = config.get_main_option("version_table") or "alembic_version"
version_table_schema = config.get_main_option("version_table_schema") or None
if context.get_x_argument(as_dictionary=True).get("show_lock"):
    import os
    with open(context.get_x_argument(as_dictionary=True)["show_lock"], "w") as f:
        f.write(os.environ.get("MONOMIG_LOCK_HELD", ""))
if context.get_x_argument(as_dictionary=True).get("fail") == config.config_ini_section:
    raise RuntimeError("failing on request (-x fail=" + config.config_ini_section + ")")


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        version_table=version_table,
        version_table_schema=version_table_schema,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            version_table=version_table,
            version_table_schema=version_table_schema,
            transaction_per_migration=config.get_main_option("transaction_per_migration") == "true",
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

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


class Repo:
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


def env_without_urls() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONOMIG_URL_")}
    env["PYTHONPATH"] = ""
    return env


def monomig(root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MONOMIG, *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=env or env_without_urls(),
        timeout=timeout,
    )


def alembic(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=env_without_urls(),
        timeout=timeout,
    )
